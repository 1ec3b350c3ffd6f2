package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.testing.LoopTestBase;
import io.ffpoll.multiplexer.testing.LoopThreads;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which thread may call what on a Connection: a call from the wrong thread fails before it
 * changes anything, writeAsync and closeAsync work from any thread, and loops asking each other
 * for connections never wait for each other.
 */
class ConnectionThreadingTest extends LoopTestBase {

    /** Records what the loop side saw; writes nothing back. */
    private static final class Sink implements ConnectionHandler {
        final CompletableFuture<Connection> opened = new CompletableFuture<>();
        final CompletableFuture<IOException> closed = new CompletableFuture<>();
        final AtomicInteger closes = new AtomicInteger();

        @Override
        public void onOpen(Connection c) {
            opened.complete(c);
        }

        @Override
        public long onData(Connection c, MemorySegment data) {
            return data.byteSize();
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
            closes.incrementAndGet();
            closed.complete(cause);
        }
    }

    private Connection openOne(Sink sink, int[] pair) throws Exception {
        return Connection.open(loop, pair[1], address, sink).get(30, TimeUnit.SECONDS);
    }

    @Test
    void aCallFromAnotherThreadFailsBeforeChangingAnythingAndTheConnectionWorksOn() throws Exception {
        int[] pair = net.pair();
        Sink sink = new Sink();
        Connection c = openOne(sink, pair);
        net.forget(pair[1]);
        WrongThreadException write = assertThrows(WrongThreadException.class, () -> c.write("lost".getBytes()));
        assertTrue(write.getMessage().contains("Connection.write") && write.getMessage().contains(loop.name()),
                write.getMessage());
        assertThrows(WrongThreadException.class, c::close);
        assertThrows(WrongThreadException.class, c::abort);
        assertThrows(WrongThreadException.class, c::shutdownOutput);
        assertThrows(WrongThreadException.class, c::pauseReading);
        assertThrows(WrongThreadException.class, () -> c.setMaxQueued(1, Connection.Overflow.REFUSE));
        assertTrue(onLoop(() -> c.isOpen() && !c.isClosing() && c.queuedBytes() == 0), "nothing changed");
        // The right thread, afterwards: everything works, and the refused bytes never went out.
        assertTrue(onLoop(() -> c.write("sent".getBytes())));
        assertArrayEquals("sent".getBytes(), net.readFully(pair[0], 4));
        onLoop(() -> c.close());
        assertNull(sink.closed.get(30, TimeUnit.SECONDS));
        assertEquals(1, sink.closes.get());
        assertEquals(0, net.read(pair[0], 16).length, "EOF after exactly the bytes written on the loop");
    }

    @Test
    void writeAsyncFromAnyThreadCompletesOnceTheBytesAreSentAndCloseAsyncClosesOnce() throws Exception {
        int[] pair = net.pair();
        Sink sink = new Sink();
        Connection c = openOne(sink, pair);
        net.forget(pair[1]);
        byte[] big = new byte[4 << 20]; // more than the socket buffers: the future waits for the reader
        new java.util.Random(3).nextBytes(big);
        CompletableFuture<Void> first = c.writeAsync("hello ".getBytes());
        CompletableFuture<Void> second = c.writeAsync(big);
        CompletableFuture<Void> third = c.writeAsync(java.nio.ByteBuffer.wrap("world".getBytes()));
        assertArrayEquals("hello ".getBytes(), net.readFully(pair[0], 6));
        first.get(30, TimeUnit.SECONDS);
        assertArrayEquals(big, net.readFully(pair[0], big.length));
        second.get(30, TimeUnit.SECONDS);
        assertArrayEquals("world".getBytes(), net.readFully(pair[0], 5));
        third.get(30, TimeUnit.SECONDS);
        CompletableFuture<Void> closed = c.closeAsync();
        closed.get(30, TimeUnit.SECONDS);
        assertTrue(sink.closed.isDone(), "onClosed ran before closeAsync completed");
        assertFalse(c.isOpen());
        assertTrue(c.isClosing());
        c.closeAsync().get(30, TimeUnit.SECONDS); // again: done at once
        assertEquals(1, sink.closes.get());
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> c.writeAsync("late".getBytes()).get(30, TimeUnit.SECONDS));
        assertInstanceOf(ClosedConnectionException.class, refused.getCause());
        assertEquals(0, net.read(pair[0], 16).length);
    }

    /** A refused writeAsync says why: output shut down, or closed (it said "is closeding" for the first). */
    @Test
    void aRefusedWriteAsyncSaysWhyItWasRefused() throws Exception {
        int[] pair = net.pair();
        Sink sink = new Sink();
        Connection c = openOne(sink, pair);
        net.forget(pair[1]);
        onLoop(c::shutdownOutput);
        ExecutionException shut = assertThrows(ExecutionException.class,
                () -> c.writeAsync("late".getBytes()).get(30, TimeUnit.SECONDS));
        assertInstanceOf(ClosedConnectionException.class, shut.getCause());
        assertTrue(shut.getCause().getMessage().contains("has its output shut down (shutdownOutput"),
                shut.getCause().getMessage());
        assertEquals(0, net.read(pair[0], 16).length, "the FIN");
        c.closeAsync().get(30, TimeUnit.SECONDS);
        ExecutionException closed = assertThrows(ExecutionException.class,
                () -> c.writeAsync("later".getBytes()).get(30, TimeUnit.SECONDS));
        assertTrue(closed.getCause().getMessage().endsWith(" is closed"), closed.getCause().getMessage());
    }

    @Test
    void writesNotSentWhenTheConnectionIsAbortedFailTheirFutures() throws Exception {
        int[] pair = net.pair();
        Sink sink = new Sink();
        Connection c = openOne(sink, pair);
        net.forget(pair[1]);
        CompletableFuture<Void> stuck = c.writeAsync(new byte[8 << 20]); // the peer reads nothing
        onLoop(() -> assertTrue(c.queuedBytes() > 0, "part of it waits in the queue"));
        onLoop(() -> c.abort());
        ExecutionException e = assertThrows(ExecutionException.class, () -> stuck.get(30, TimeUnit.SECONDS));
        assertInstanceOf(ClosedConnectionException.class, e.getCause());
    }

    @Test
    void twoLoopsOpeningConnectionsOnEachOtherAtOnceNeverWait() throws Exception {
        try (EventLoop other = EventLoop.start("other")) {
            int[] here = net.pair();
            int[] there = net.pair();
            Sink onOther = new Sink();
            Sink onThis = new Sink();
            CountDownLatch bothInside = new CountDownLatch(2);
            CompletableFuture<Object> a = loop.submit(() -> {
                bothInside.countDown();
                bothInside.await();
                ConnectionStats.of(other);
                return Connection.open(other, here[1], address, onOther);
            });
            CompletableFuture<Object> b = other.submit(() -> {
                bothInside.countDown();
                bothInside.await();
                ConnectionStats.of(loop);
                return Connection.open(loop, there[1], address, onThis);
            });
            a.get(30, TimeUnit.SECONDS);
            b.get(30, TimeUnit.SECONDS);
            net.forget(here[1]);
            net.forget(there[1]);
            Connection c1 = onOther.opened.get(30, TimeUnit.SECONDS);
            Connection c2 = onThis.opened.get(30, TimeUnit.SECONDS);
            assertEquals(other, c1.loop());
            assertEquals(loop, c2.loop());
            assertEquals(1, ConnectionStats.of(other).get(30, TimeUnit.SECONDS).openConnections());
            c1.closeAsync().get(30, TimeUnit.SECONDS);
            c2.closeAsync().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aConnectThatTakesLongerThanItsTimeoutFailsAndReleasesItsSocket() throws Exception {
        // Backlog 1 queues two connections (backlog + 1); four are sent, the rest wait.
        java.net.InetSocketAddress deaf = deafAddress();
        Sink sink = new Sink();
        CompletableFuture<Connection> connecting = Connection.connect(loop, deaf, Duration.ofMillis(200), sink);
        ExecutionException e = assertThrows(ExecutionException.class, () -> connecting.get(30, TimeUnit.SECONDS));
        assertInstanceOf(java.net.SocketTimeoutException.class, e.getCause());
        assertInstanceOf(java.net.SocketTimeoutException.class, sink.closed.get(30, TimeUnit.SECONDS));
        assertFalse(sink.opened.isDone());
    }

    @Test
    void aConnectInProgressWhenItsLoopClosesFailsItsFuture() throws Exception {
        EventLoop other = EventLoop.start("closing");
        Sink sink = new Sink();
        CompletableFuture<Connection> connecting = Connection.connect(other, deafAddress(), sink);
        other.close(); // the connect never completes: the loop closes under it
        ExecutionException e = assertThrows(ExecutionException.class, () -> connecting.get(30, TimeUnit.SECONDS));
        assertInstanceOf(ClosedConnectionException.class, e.getCause());
        assertInstanceOf(ClosedConnectionException.class, sink.closed.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aConnectHandlerThatThrowsFailsTheFutureAndItsSocketIsClosed() throws Exception {
        int before = (int) Loopback.openFds();
        CompletableFuture<Void> connected = Connector.connect(loop, address, new Connector.ConnectHandler() {
            @Override
            public void connected(int fd) {
                throw new IllegalStateException("connect handler failure, expected by the test");
            }

            @Override
            public void connectFailed(IOException cause) {}

            @Override
            public void onEvent(io.ffpoll.multiplexer.Event event) {}
        });
        int accepted = net.accept(listenFd);
        ExecutionException e = assertThrows(ExecutionException.class, () -> connected.get(30, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        // On io_uring the socket goes when the ring drops its poll, in the loop's next enter.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        byte[] got;
        while ((got = net.read(accepted, 16)) == null && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertNotNull(got, "no EOF at the peer");
        assertEquals(0, got.length, "the socket was closed: EOF at the peer");
        net.close(accepted);
        Loopback.awaitOpenFdsAtMost(before, "the connect's socket was closed");
    }

    @Test
    void asyncDependentsRunOnTheLoopAndWaitingOnALoopThreadIsRefused() throws Exception {
        Sink sink = new Sink();
        CompletableFuture<Connection> connected = Connection.connect(loop, address, sink);
        int accepted = net.accept(listenFd);
        connected.get(30, TimeUnit.SECONDS);
        // Complete already: a dependent added with an *Async method still runs on the loop,
        // where the connection may be written to.
        Thread ran = connected.thenApplyAsync(c -> {
            c.write("from the loop".getBytes());
            return Thread.currentThread();
        }).get(30, TimeUnit.SECONDS);
        assertEquals(LoopThreads.thread(loop), ran);
        assertEquals("from the loop", new String(net.readFully(accepted, 13)));
        // Waiting on a loop thread for a future that is not done: refused, not a hang.
        try (EventLoop other = EventLoop.start("other")) {
            CountDownLatch hold = new CountDownLatch(1);
            other.execute(() -> {
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            CompletableFuture<String> pending = other.submit(() -> "late");
            IllegalStateException refused = loop.submit(() -> assertThrows(IllegalStateException.class, pending::join))
                    .get(30, TimeUnit.SECONDS);
            assertTrue(refused.getMessage().contains("could stop the loops for good"), refused.getMessage());
            hold.countDown();
            assertEquals("late", pending.get(30, TimeUnit.SECONDS));
        }
        onLoop(() -> sink.opened.join().close());
        net.close(accepted);
    }

    @Test
    void aWriteFutureWhoseDependentAbortsRunsAfterTheSendAndNothingComesAfterOnClosed() throws Exception {
        java.util.List<String> callbacks = new java.util.concurrent.CopyOnWriteArrayList<>();
        int[] pair = net.pair();
        Connection c = Connection.open(loop, pair[1], address, new ConnectionHandler() {
            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onWritabilityChanged(Connection c, boolean writable) {
                callbacks.add("writable=" + writable + (c.isOpen() ? "" : " after close"));
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                callbacks.add("onClosed");
            }
        }).get(30, TimeUnit.SECONDS);
        net.forget(pair[1]);
        CompletableFuture<Void> aborted = new CompletableFuture<>();
        onLoop(() -> {
            c.setWriteWatermarks(1024, 2048);
            c.writeAsync(new byte[100]).thenRun(() -> {
                c.abort();
                aborted.complete(null);
            });
            c.write(new byte[16 << 20]); // over the high watermark: the flush crosses the low one
        });
        assertArrayEquals(new byte[100], net.readFully(pair[0], 100));
        aborted.get(30, TimeUnit.SECONDS);
        onLoop(() -> null);
        assertEquals("onClosed", callbacks.get(callbacks.size() - 1), "nothing after onClosed: " + callbacks);
        assertFalse(callbacks.stream().anyMatch(cb -> cb.endsWith("after close")), callbacks.toString());
    }

    /** A listener that never accepts, its queue full: a connect to it stays in progress. */
    private java.net.InetSocketAddress deafAddress() throws Exception {
        int lfd = net.track(Tcp.listen(new java.net.InetSocketAddress(address.getAddress(), 0), 1, false));
        java.net.InetSocketAddress deaf = Tcp.localAddress(lfd);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment sa = Loopback.OS.allocateSockaddr(arena);
            int length = Loopback.OS.encode(deaf, sa);
            for (int i = 0; i < 4; i++) {
                int fd = net.track(Loopback.OS.socket(Loopback.OS.family(deaf)));
                int r = Loopback.OS.connect(fd, sa, length);
                assertTrue(r == 0 || r == -io.ffpoll.bindings.Err.EINPROGRESS, "connect: " + r);
            }
        }
        return deaf;
    }
}
