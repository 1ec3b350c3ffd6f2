package io.ffpoll.multiplexer.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
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
        BlockingQueue<Long> offers = new LinkedBlockingQueue<>();
        CompletableFuture<Connection> server = new CompletableFuture<>();
        CompletableFuture<Void> readClosed = new CompletableFuture<>();
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> new ConnectionHandler() {
            @Override
            public void onOpen(Connection c) {
                server.complete(c);
            }

            @Override
            public long onData(Connection c, MemorySegment data) {
                offers.add(data.byteSize());
                c.pauseReading();
                return data.byteSize() / 100 * 100;
            }

            @Override
            public void onReadClosed(Connection c) {
                readClosed.complete(null);
                c.close();
            }
        });
        Recorder clientSide = new Recorder().onOpen(c -> c.write(new byte[150]));
        Connection client = Connection.connect(loop, address, null, TlsTestKeys.client(engine).build(), clientSide)
                .get(30, TimeUnit.SECONDS);
        Connection s = server.get(30, TimeUnit.SECONDS);
        assertEquals(150L, offers.poll(30, TimeUnit.SECONDS), "the first offer");
        onLoop(() -> {
            client.write(new byte[50]);
            client.shutdownOutput(); // close_notify, then the FIN
        });
        List<Long> seen = new ArrayList<>();
        for (int i = 0; i < 50 && !readClosed.isDone(); i++) {
            onLoop(() -> null);
            onLoop(s::resumeReading);
            Long offered = offers.poll(30, TimeUnit.SECONDS);
            if (offered == null) {
                break;
            }
            seen.add(offered);
            if (offered == 100) {
                break;
            }
        }
        assertEquals(100L, seen.isEmpty() ? 0L : seen.get(seen.size() - 1), "offers after the resumes: " + seen);
        onLoop(s::resumeReading);
        readClosed.get(30, TimeUnit.SECONDS);
        onLoop(client::close);
        clientSide.awaitClosed();
    }
}
