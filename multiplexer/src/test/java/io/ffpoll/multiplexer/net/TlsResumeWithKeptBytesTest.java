package io.ffpoll.multiplexer.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link ResumeWithKeptBytesTest} over TLS, both engines: the records that came while the
 * handler was paused are decrypted behind the plaintext it kept and offered with it, and the
 * peer's close_notify follows.
 */
class TlsResumeWithKeptBytesTest extends TlsTestBase {

    static Stream<String> engines() {
        return TlsTestKeys.engines();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void recordsThatCameWhilePausedAreOfferedBehindTheKeptPlaintext(String engine) throws Exception {
        ResumeWithKeptBytesTest.PausingDecoder decoder = new ResumeWithKeptBytesTest.PausingDecoder();
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> decoder);
        Recorder clientSide = new Recorder().onOpen(c -> c.write(new byte[150]));
        Connection client = Connection.connect(loop, address, null, TlsTestKeys.client(engine).build(), clientSide)
                .get(30, TimeUnit.SECONDS);
        Connection server = decoder.opened.get(30, TimeUnit.SECONDS);
        assertEquals(150L, decoder.offers.poll(30, TimeUnit.SECONDS), "the first offer");
        onLoop(() -> {
            client.write(new byte[50]);
            client.shutdownOutput(); // close_notify, then the FIN
        });
        decoder.resumeUntilWhole(server, this::onLoop);
        onLoop(client::close);
        clientSide.awaitClosed();
    }
}
