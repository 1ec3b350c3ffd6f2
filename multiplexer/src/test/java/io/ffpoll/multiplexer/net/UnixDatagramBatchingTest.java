package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.linux.LinuxDatagrams;
import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.testing.LoopThreads;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Linux's batched I/O on Unix datagram sockets, counted: the sockaddr_un of every sender comes
 * whole through recvmmsg's msg_name and goes back through sendmmsg's. What waits in the socket
 * is read in n / batch + 1 recvmmsg calls (the last batch is short, or a full one is followed by
 * the call that finds the socket empty), its echoes leave in one sendmmsg, and every iteration
 * waits once; the one-call path makes one recvfrom per datagram and one more, one sendto each.
 */
class UnixDatagramBatchingTest extends DatagramTestBase {
    @TempDir
    Path dir;
    private Thread loopThread;

    @BeforeEach
    void linuxOnly() throws Exception {
        Assumptions.assumeTrue(Platform.current().name().equals("linux"), "recvmmsg and sendmmsg are Linux's");
        loopThread = LoopThreads.thread(loop);
    }

    private long count(String call) {
        return Syscalls.count(call, loopThread);
    }

    /** Runs a task that holds the loop until the returned latch is counted down; returns once it holds it. */
    private CountDownLatch holdLoop() throws Exception {
        return LoopThreads.hold(loop);
    }

    /**
     * {@code n} datagrams from two peers wait in the echo server's socket while the loop is held
     * (a Unix send that returns has queued its datagram: nothing is in flight), then the loop
     * runs; returns the server. The peers' own queues take their echoes whole.
     */
    private void echoWaitingDatagrams(DatagramCalls calls, int batch, String receive, String send, long receives,
                                      long sends) throws Exception {
        int n = Math.min(UnixDatagramTestBase.receiverQueue(), 24);
        DatagramEndpoint server = DatagramSockets.bind(loop, UnixAddress.path(UnixTesting.freshPath(dir)),
                DatagramOptions.DEFAULTS.receiveBatch(batch), ECHO, calls).get(30, TimeUnit.SECONDS);
        UnixAddress aName = UnixAddress.path(UnixTesting.freshPath(dir));
        UnixAddress bName = UnixAddress.path(UnixTesting.freshPath(dir));
        try (RawUnixDatagram a = new RawUnixDatagram(aName); RawUnixDatagram b = new RawUnixDatagram(bName)) {
            CountDownLatch release = holdLoop();
            long receiveCalls = count(receive);
            long sendCalls = count(send);
            long waits = count(io.ffpoll.multiplexer.testing.Engines.waitCall(loop.backend()));
            long iterations = loop.stats().iterations();
            for (int i = 0; i < n; i++) {
                assertEquals(1, (i % 2 == 0 ? a : b).send(pattern(64 + i, i), server.unixAddress()), "queued " + i);
            }
            release.countDown();
            for (int i = 0; i < n; i++) {
                assertArrayEquals(pattern(64 + i, i), (i % 2 == 0 ? a : b).receive(),
                        "echo " + i + " back to its own sender, in order");
            }
            assertNull(a.poll());
            assertNull(b.poll());
            awaitOnLoop(() -> server.stats().sent() == n, "all echoes counted");
            CountDownLatch again = holdLoop(); // counts and iterations read between two iterations
            try {
                assertEquals(receives < 0 ? n / batch + 1 : receives, count(receive) - receiveCalls,
                        receive + " calls for " + n + " datagrams in batches of " + batch);
                assertEquals(sends < 0 ? n : sends, count(send) - sendCalls, send + " calls for " + n + " echoes");
                assertEquals(loop.stats().iterations() - iterations, count(io.ffpoll.multiplexer.testing.Engines.waitCall(loop.backend())) - waits,
                        "one wait call (epoll_wait, io_uring_enter) per iteration");
            } finally {
                again.countDown();
            }
        }
        DatagramStats s = server.stats();
        assertEquals(n, s.received());
        assertEquals(0, s.sendErrors() + s.truncated() + s.overflows());
        close(server);
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 5, 8})
    void waitingDatagramsAreReadInBatchesAndEchoedToEachSenderInOneSendmmsg(int batch) throws Exception {
        echoWaitingDatagrams(Platform.current().datagrams(), batch, "recvmmsg", "sendmmsg", -1, 1);
    }

    @ParameterizedTest
    @ValueSource(ints = {4})
    void theOneCallPathMakesOneCallPerDatagramAndOneToSeeEagain(int batch) throws Exception {
        int n = Math.min(UnixDatagramTestBase.receiverQueue(), 24);
        echoWaitingDatagrams(LinuxDatagrams.create(false), batch, "recvfrom", "sendto", n + 1, n);
    }
}
