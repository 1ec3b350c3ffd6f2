package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.ffpoll.http.ServerProbe.partialRequests;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How http-lite stops: a graceful shutdown finishes the requests in flight and refuses new
 * connections, and a connection accepted as it begins is answered, not reset. Run on the OS's
 * backend here, on io_uring by the pom's second execution, and on kqueue by a subclass.
 */
class HttpServerShutdownTest extends HttpTestBase {
    @Test
    void gracefulShutdownFinishesRequestsInFlightAndRefusesNewConnections() throws Exception {
        HttpServer s = standard(2);
        InetSocketAddress address = s.address();
        try (RawClient inFlight = new RawClient(address); RawClient idle = new RawClient(address)) {
            assertEquals(200, idle.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().status());
            inFlight.send("POST /echo HTTP/1.1\r\n" + HOST + "Content-Length: 10\r\n\r\nhalf-");
            await(() -> partialRequests(s) == 1, "the server has the partial request");
            java.util.concurrent.atomic.AtomicReference<Thread> stopper = new java.util.concurrent.atomic.AtomicReference<>();
            CompletableFuture<Boolean> done = CompletableFuture.supplyAsync(() -> {
                stopper.set(Thread.currentThread());
                return s.shutdown(Duration.ofSeconds(30));
            });
            // Idle connections are closed after the listeners: once the idle one sees EOF,
            // new connections are refused.
            assertTrue(idle.closedByPeer(), "idle connection kept during shutdown");
            assertThrows(ConnectException.class, () -> {
                try (Socket socket = new Socket()) {
                    socket.connect(address, 30_000);
                }
            });
            // The shutdown waits for the request in flight on a condition, not by polling.
            // WAITING with no timeout: parked until the last connection closes (a poll would be
            // TIMED_WAITING between its looks).
            await(() -> stopper.get() != null && stopper.get().getState() == Thread.State.WAITING
                    && java.util.Arrays.stream(stopper.get().getStackTrace())
                    .anyMatch(f -> f.getMethodName().equals("shutdown")), "shutdown waits for the connections");
            // The window observed is three runs of the loop's sweeper, its own once-a-second
            // timer: at least two seconds, however loaded the machine, in which a shutdown that
            // polled at any interval under a second would wake at least twice.
            java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
            long waits = threads.getThreadInfo(stopper.get().threadId()).getWaitedCount();
            long sweeps = s.onLoop(0, () -> s.loopState(0).sweeps);
            await(() -> {
                try {
                    return s.onLoop(0, () -> s.loopState(0).sweeps) >= sweeps + 3;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }, "the loop swept three times");
            long woke = threads.getThreadInfo(stopper.get().threadId()).getWaitedCount() - waits;
            assertTrue(woke <= 1, "the waiting shutdown woke " + woke + " times in three sweeps of the loop");
            assertEquals(Thread.State.WAITING, stopper.get().getState(), "the shutdown still waits for the connection in flight");
            RawClient.Response r = inFlight.send("done.").read();
            assertEquals(200, r.status());
            assertEquals("half-done.", r.text());
            assertEquals("close", r.header("connection"));
            assertTrue(done.get(30, TimeUnit.SECONDS), "shutdown did not finish cleanly");
        }
    }

    @Test
    void aConnectionAcceptedBeforeShutdownGetsItsFirstRequestAnswered() throws Exception {
        // A client that connected just before a drain (a worker's, in a rolling restart) has
        // not had a chance to send: closing it would fail a request nobody retries.
        HttpServer s = standard(1);
        try (RawClient fresh = new RawClient(s.address()); RawClient idle = new RawClient(s.address())) {
            assertEquals(200, idle.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().status());
            await(() -> s.stats().join().openConnections() == 2, "both connections accepted");
            CompletableFuture<Boolean> done = CompletableFuture.supplyAsync(() -> s.shutdown(Duration.ofSeconds(30)));
            assertTrue(idle.closedByPeer(), "the idle keep-alive connection is closed by the drain");
            RawClient.Response r = fresh.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read();
            assertEquals(200, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(fresh.closedByPeer());
            assertTrue(done.get(30, TimeUnit.SECONDS), "shutdown did not finish cleanly");
        }
    }

    @Test
    void aConnectionTakenFromASharedSocketAsShutdownBeginsIsAnsweredNotReset() throws Exception {
        // Worker processes share one listening socket (--workers). A connection a draining
        // worker takes from the shared queue must be answered: no other process can serve it
        // now. Here the test holds the socket, as the supervisor does. Whether the loop accepts
        // before its listener closes is a race, so five servers each run it.
        for (int round = 0; round < 5; round++) {
            takeAConnectionAsShutdownBegins();
        }
    }

    private void takeAConnectionAsShutdownBegins() throws Exception {
        int shared = io.ffpoll.multiplexer.net.Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128, false);
        try {
            HttpServer s = start(Main.withBuiltInRoutes(builder()).threads(1)
                    .inheritedFd(io.ffpoll.bindings.platform.Platform.current().duplicate(shared)));
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            CompletableFuture<Object> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    return s.onLoop(0, () -> {
                        held.countDown();
                        return release.await(30, TimeUnit.SECONDS);
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            held.await();
            try (RawClient c = new RawClient(io.ffpoll.multiplexer.net.Tcp.localAddress(shared))) {
                c.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n");
                CompletableFuture<Boolean> done = CompletableFuture.supplyAsync(() -> s.shutdown(Duration.ofSeconds(30)));
                await(s::isStopped, "the shutdown began");
                release.countDown(); // the loop sees the connection only now, stopping
                blocked.get(30, TimeUnit.SECONDS);
                // Either the server takes the connection and answers it, or its listener closes
                // first and leaves the connection in the queue for the next process.
                await(() -> done.isDone() || s.requestsServed() > 0, "the connection answered or the shutdown done");
                if (s.requestsServed() > 0) {
                    RawClient.Response r = c.read();
                    assertEquals(200, r.status(), "the server took the connection, so it answers it");
                    assertEquals("close", r.header("connection"));
                    assertTrue(c.closedByPeer());
                    c.close(); // ends the server's lingering close
                    assertTrue(done.get(30, TimeUnit.SECONDS), "shutdown did not finish cleanly");
                } else {
                    assertTrue(done.get(30, TimeUnit.SECONDS), "shutdown did not finish cleanly");
                    int left = io.ffpoll.bindings.platform.Platform.current().accept(shared, java.lang.foreign.MemorySegment.NULL,
                            java.lang.foreign.MemorySegment.NULL);
                    assertTrue(left >= 0, "the connection is neither answered nor left in the queue: " + left);
                    io.ffpoll.bindings.platform.Platform.current().close(left);
                }
            }
        } finally {
            io.ffpoll.bindings.platform.Platform.current().close(shared);
        }
    }

}
