package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.testing.LoopThreads;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link ResumeWithKeptBytesTest} over TLS, both engines: the record that came while the
 * handler was paused is decrypted behind the plaintext it kept and offered with it, and the
 * peer's close_notify follows. The client runs on a loop of its own, and each resume waits
 * for the server's loop to block in its poll: a loop runs the tasks that come while it runs
 * tasks before it polls, so back-to-back resumes from the test would keep it from ever
 * hearing of the record.
 */
class TlsResumeWithKeptBytesTest extends TlsTestBase {

    static Stream<String> engines() {
        return TlsTestKeys.engines();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aRecordThatCameWhilePausedIsOfferedBehindTheKeptPlaintext(String engine) throws Exception {
        AtomicReference<ResumeWithKeptBytesTest.PausingDecoder> current = new AtomicReference<>();
        serveTls(TlsTestKeys.server(engine, "ec").build(), current::get);
        int serverTid = LoopThreads.tid(loop);
        try (EventLoop clientLoop = EventLoop.start("client")) {
            for (int round = 0; round < 10; round++) {
                ResumeWithKeptBytesTest.PausingDecoder decoder = new ResumeWithKeptBytesTest.PausingDecoder();
                current.set(decoder);
                Recorder clientSide = new Recorder().onOpen(c -> c.write(new byte[150]));
                Connection client = Connection.connect(clientLoop, address, null, TlsTestKeys.client(engine).build(), clientSide)
                        .get(30, TimeUnit.SECONDS);
                Connection server = decoder.opened.get(30, TimeUnit.SECONDS);
                assertEquals(150L, decoder.offers.poll(30, TimeUnit.SECONDS), "the first offer");
                clientLoop.submit(() -> {
                    client.write(new byte[50]);
                    client.shutdownOutput(); // close_notify, then the FIN
                    return null;
                }).get(30, TimeUnit.SECONDS);
                // Each resume is answered by an offer and a pause; within a few, the loop has
                // polled the new record, and the 50 kept bytes come with its 50.
                List<Long> seen = new ArrayList<>();
                for (int i = 0; i < 50 && !decoder.readClosed.isDone(); i++) {
                    LoopThreads.awaitBlocked(serverTid);
                    onLoop(server::resumeReading);
                    Long offered = decoder.offers.poll(30, TimeUnit.SECONDS);
                    seen.add(offered);
                    if (offered == null || offered == 100) {
                        break;
                    }
                }
                assertEquals(100L, seen.getLast(), "round " + round + ": offers after the resumes: " + seen);
                onLoop(server::resumeReading);
                decoder.readClosed.get(30, TimeUnit.SECONDS);
                clientLoop.submit(() -> {
                    client.close();
                    return null;
                }).get(30, TimeUnit.SECONDS);
                clientSide.awaitClosed();
            }
        }
    }
}
