package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The write queue's hard cap, and the idle timeouts of a connection. */
class WriteLimitsTest extends LoopTestBase {

    /** Echoes everything it reads, the way a careless echo server does: it never pauses. */
    private static final class CarelessEcho implements ConnectionHandler {
        final AtomicLong mostQueued = new AtomicLong();
        final CompletableFuture<IOException> closed = new CompletableFuture<>();
        long refused;
        long echoed;
        long echoedWhenRefused = -1;

        @Override
        public long onData(Connection c, MemorySegment data) {
            if (c.write(data)) {
                echoed += data.byteSize();
            } else {
                refused += data.byteSize();
                echoedWhenRefused = echoed;
            }
            mostQueued.accumulateAndGet(c.queuedBytes(), Math::max);
            return data.byteSize();
        }

        /** Whether a write was taken after the refusals counted in {@code refusedBefore}. */
        boolean echoedAfter(long refusedBefore) {
            return refused >= refusedBefore && echoed > echoedWhenRefused;
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
            closed.complete(cause);
        }
    }

    /** Sends {@code bytes} to the server and reads nothing back; stops when the server resets. */
    private void sendAndReadNothing(long bytes) throws IOException {
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            OutputStream out = s.getOutputStream();
            byte[] chunk = new byte[1 << 20];
            for (long sent = 0; sent < bytes; sent += chunk.length) {
                out.write(chunk);
            }
        } catch (IOException reset) {
            // the server gave up on us: expected once its cap is passed
        }
    }

    @Test
    void byDefaultAPeerThatReadsNothingCannotGrowTheQueuePastItsCap() throws Exception {
        CarelessEcho echo = new CarelessEcho();
        serveConnections(() -> echo);
        sendAndReadNothing(Connection.DEFAULT_MAX_QUEUED + (32L << 20));
        IOException cause = echo.closed.get(30, TimeUnit.SECONDS);
        assertNotNull(cause, "the connection was aborted");
        assertTrue(cause instanceof WriteQueueFullException
                && cause.getMessage().contains("its cap is " + Connection.DEFAULT_MAX_QUEUED), cause.toString());
        // Refused once it holds the cap: at most the cap and the one read that took it past.
        assertTrue(echo.mostQueued.get() <= Connection.DEFAULT_MAX_QUEUED + 64 * 1024,
                "queued " + echo.mostQueued.get() + " bytes, over the cap " + Connection.DEFAULT_MAX_QUEUED);
        awaitOnLoop(() -> ConnectionStats.of(loop).join().buffersInUse() == 1, "the queue's buffers went back");
    }

    @Test
    void withRefuseAWriteToAFullQueueIsRefusedAndTheConnectionGoesOn() throws Exception {
        CarelessEcho echo = new CarelessEcho();
        serve((fd, peer) -> Connection.open(loop, fd, peer, echo).join().setMaxQueued(4 << 20, Connection.Overflow.REFUSE));
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            OutputStream out = s.getOutputStream();
            byte[] chunk = new byte[1 << 20];
            for (int i = 0; i < 24; i++) {
                out.write(chunk);
            }
            awaitOnLoop(() -> echo.refused > 0, "a write refused");
            assertFalse(echo.closed.isDone(), "the connection goes on");
            // A write is refused once the queue holds the cap: it holds at most the cap and the
            // one read (64 KiB) that took it past.
            assertTrue(echo.mostQueued.get() <= (4 << 20) + 64 * 1024, "queued " + echo.mostQueued.get());
            // Once the peer reads what was echoed, writes are taken again.
            s.setSoTimeout(30_000);
            long refused = onLoop(() -> echo.refused);
            long echoed = onLoop(() -> echo.echoed);
            assertEquals(echoed, s.getInputStream().readNBytes((int) echoed).length);
            out.write(chunk);
            awaitOnLoop(() -> echo.echoedAfter(refused), "the echo goes on once the peer reads");
        }
        echo.closed.get(30, TimeUnit.SECONDS); // the client left with bytes unread: a reset, then the close
    }

    @Test
    void aNativeWriteToAFullQueueSendsNothingAndASingleLargeWriteIsTakenWhole() throws Exception {
        int[] pair = net.pair();
        Connection c = Connection.open(loop, pair[1], address, (conn, data) -> data.byteSize()).get(30, TimeUnit.SECONDS);
        net.forget(pair[1]);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            MemorySegment big = arena.allocate(8 << 20);
            onLoop(() -> {
                c.setMaxQueued(1 << 20, Connection.Overflow.REFUSE);
                assertTrue(c.write(big), "a queue below its cap takes a write whole, however large");
                long sent = c.sentBytes();
                assertTrue(c.queuedBytes() >= 1 << 20, "the socket took only part: the rest is queued");
                assertFalse(c.write(big), "refused: the queue holds its cap");
                assertEquals(sent, c.sentBytes(), "a refused write sends nothing");
            });
        }
        assertEquals(8 << 20, net.readFully(pair[0], 8 << 20).length, "the one taken write arrives whole");
        onLoop(() -> c.close());
    }

    /** Records the idle reports of one connection, and closes it on the third. */
    private static final class IdleRecorder implements ConnectionHandler {
        final List<IdleState> reports = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> closed = new CompletableFuture<>();

        @Override
        public long onData(Connection c, MemorySegment data) {
            return data.byteSize();
        }

        @Override
        public void onIdle(Connection c, IdleState state) {
            reports.add(state);
            if (reports.size() == 3) {
                c.close();
            }
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
            closed.complete(null);
        }
    }

    @Test
    void idleTimeoutsReportEachKindUntilTheHandlerCloses() throws Exception {
        for (IdleState kind : IdleState.values()) {
            IdleRecorder recorder = new IdleRecorder();
            Duration on = Duration.ofMillis(20);
            Listener listener = serveOnce(recorder, kind == IdleState.READ ? on : Duration.ZERO,
                    kind == IdleState.WRITE ? on : Duration.ZERO, kind == IdleState.ALL ? on : Duration.ZERO);
            try (Socket s = new Socket(address.getAddress(), address.getPort())) {
                recorder.closed.get(30, TimeUnit.SECONDS);
                assertEquals(List.of(kind, kind, kind), recorder.reports);
                assertEquals(-1, s.getInputStream().read(), "closed by the handler");
            }
            onLoop(() -> null);
            assertEquals(3, recorder.reports.size(), "no report after the close");
            listener.closeAsync().get(30, TimeUnit.SECONDS);
        }
    }

    /** A listener on a port of its own whose connections get {@code handler} and these timeouts. */
    private Listener serveOnce(ConnectionHandler handler, Duration read, Duration write, Duration all) throws Exception {
        int fd = Tcp.listen(new java.net.InetSocketAddress(address.getAddress(), 0), 16, false);
        address = Tcp.localAddress(fd);
        return Listener.start(loop, fd, (c, peer) -> Connection.open(loop, c, peer, handler).join()
                .setIdleTimeouts(read, write, all)).get(30, TimeUnit.SECONDS);
    }

    @Test
    void timeoutsChangedInAnIdleReportReplaceTheOldOnes() throws Exception {
        java.util.List<IdleState> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Connection> first = new CompletableFuture<>();
        Listener listener = serveOnce(new ConnectionHandler() {
            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onIdle(Connection c, IdleState state) {
                reports.add(state);
                c.setIdleTimeouts(Duration.ZERO, Duration.ZERO, Duration.ZERO); // no more reports
                first.complete(c);
            }
        }, Duration.ofMillis(5), Duration.ZERO, Duration.ZERO);
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            Connection c = first.get(30, TimeUnit.SECONDS);
            // Later reports would come every 5 ms: wait for ten times that many loop timers.
            CountDownLatch later = new CountDownLatch(1);
            loop.schedule(Duration.ofMillis(50), later::countDown);
            assertTrue(later.await(30, TimeUnit.SECONDS));
            assertEquals(java.util.List.of(IdleState.READ), reports);
            NullPointerException none = onLoop(() -> org.junit.jupiter.api.Assertions.assertThrows(NullPointerException.class,
                    () -> c.setIdleTimeouts(Duration.ZERO, null, Duration.ZERO)));
            assertTrue(none.getMessage().startsWith("write (Duration.ZERO turns it off)"), none.getMessage());
            onLoop(() -> c.close());
        }
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }
}
