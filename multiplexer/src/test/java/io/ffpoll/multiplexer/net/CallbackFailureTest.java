package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * User callbacks that throw close only what they concern: never the loop, never another
 * connection, never the listener's backlog.
 */
class CallbackFailureTest extends LoopTestBase {

    /** Echoes whatever arrives; the other connections of the loop, served throughout. */
    private static long echo(Connection c, MemorySegment data) {
        assertTrue(c.write(data), "the connection takes writes");
        return data.byteSize();
    }

    private void assertEchoed(int client, String text) {
        net.send(client, text.getBytes());
        assertArrayEquals(text.getBytes(), net.readFully(client, text.length()));
    }

    /** Reads until EOF or a reset; fails if the server keeps the connection open. */
    private void assertClosedByServer(int client) {
        while (true) {
            byte[] b;
            try {
                b = net.read(client, 65536);
            } catch (AssertionError reset) {
                assertTrue(reset.getMessage().contains("ECONNRESET"), reset.getMessage());
                return;
            }
            if (b != null && b.length == 0) {
                return;
            }
            if (b == null) {
                Thread.onSpinWait(); // blocking socket: only after a timeout, never here
            }
        }
    }

    @Test
    void aWritabilityCallbackThatThrowsInTheEndOfIterationFlushClosesOnlyItsConnection() throws Exception {
        BlockingQueue<IOException> closed = new LinkedBlockingQueue<>();
        AtomicInteger closes = new AtomicInteger();
        serveConnections(() -> new ConnectionHandler() {
            @Override
            public long onData(Connection c, MemorySegment data) {
                if (data.get(ValueLayout.JAVA_BYTE, 0) == 'x') {
                    assertTrue(c.write(new byte[200 * 1024]), "the connection takes writes"); // over the high watermark: flushed at the end of the iteration
                    return data.byteSize();
                }
                return echo(c, data);
            }

            @Override
            public void onWritabilityChanged(Connection c, boolean writable) {
                if (writable) {
                    throw new IllegalStateException("writability callback failure, expected by the test");
                }
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                closes.incrementAndGet();
                closed.add(cause == null ? new IOException("no cause") : cause);
            }
        });
        int thrower = net.connect(address);
        int bystander = net.connect(address);
        assertEchoed(bystander, "before");
        net.send(thrower, "x".getBytes());
        IOException cause = closed.poll(30, TimeUnit.SECONDS);
        assertNotNull(cause, "the connection whose callback threw was not closed");
        assertTrue(cause.getMessage().contains("onWritabilityChanged"), cause.getMessage());
        assertClosedByServer(thrower);
        assertEchoed(bystander, "after");
        assertEquals(1, closes.get());
    }

    @Test
    void anAcceptHandlerThatRegisteredTheFdThenDeregisteredItAndThrewHasItClosed() throws Exception {
        // Registered and deregistered again (the fd stays open): nobody owns it, so the
        // listener closes it, as for a handler that never registered it.
        serve((fd, peer) -> {
            loop.register(fd, io.ffpoll.multiplexer.Interest.READABLE, event -> { });
            loop.deregister(fd);
            throw new IllegalStateException("accept handler failure after a watch, expected by the test");
        });
        int client = net.connect(address);
        assertClosedByServer(client);
    }

    @Test
    void anAcceptHandlerThatThrowsLosesOnlyThatConnectionAndAcceptingGoesOn() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        BlockingQueue<Integer> accepted = new LinkedBlockingQueue<>();
        serve((fd, peer) -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("accept handler failure, expected by the test");
            }
            accepted.add(fd);
        });
        // Both connections wait in the backlog while the loop is busy: one edge reports them.
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        loop.execute(() -> {
            busy.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(busy.await(30, TimeUnit.SECONDS));
        int first = net.connect(address);
        int second = net.connect(address);
        release.countDown();
        Integer fd = accepted.poll(30, TimeUnit.SECONDS);
        assertNotNull(fd, "the connection behind the failed one was not accepted");
        net.track(fd);
        assertEquals(2, calls.get());
        assertClosedByServer(first); // the failed connection's fd was closed, not leaked
        net.send(second, "ok".getBytes());
        assertArrayEquals("ok".getBytes(), net.readFully(fd, 2));
    }

    @Test
    void anErrorThrownByOnDataAbortsThatConnectionOnce() throws Exception {
        BlockingQueue<IOException> causes = new LinkedBlockingQueue<>();
        serveConnections(() -> new ConnectionHandler() {
            @Override
            public long onData(Connection c, MemorySegment data) {
                if (data.get(ValueLayout.JAVA_BYTE, 0) == '!') {
                    throw new AssertionError("onData failure, expected by the test");
                }
                return echo(c, data);
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                causes.add(cause == null ? new IOException("no cause") : cause);
            }
        });
        int thrower = net.connect(address);
        int bystander = net.connect(address);
        net.send(thrower, "!".getBytes());
        IOException cause = causes.poll(30, TimeUnit.SECONDS);
        assertNotNull(cause);
        assertTrue(cause.getMessage().contains("onData threw java.lang.AssertionError"), cause.getMessage());
        assertClosedByServer(thrower);
        assertEchoed(bystander, "still here");
        assertEquals(List.of(), List.copyOf(causes), "reported more than once");
    }

    @Test
    void anOnOpenThatThrowsClosesTheConnectionAndReportsIt() throws Exception {
        BlockingQueue<IOException> causes = new LinkedBlockingQueue<>();
        serveConnections(() -> new ConnectionHandler() {
            @Override
            public void onOpen(Connection c) {
                throw new IllegalArgumentException("onOpen failure, expected by the test");
            }

            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                causes.add(cause == null ? new IOException("no cause") : cause);
            }
        });
        int client = net.connect(address);
        IOException cause = causes.poll(30, TimeUnit.SECONDS);
        assertNotNull(cause);
        assertTrue(cause.getMessage().contains("onOpen threw"), cause.getMessage());
        assertClosedByServer(client);
        assertEquals(0, (int) onLoop(() -> ConnectionStats.of(loop).join().openConnections()));
    }

    @Test
    void aHandlerThatAbortsInsideOnDataKeepsItsReadOnlyViewUntilItReturns() throws Exception {
        AtomicInteger checked = new AtomicInteger();
        BlockingQueue<String> problems = new LinkedBlockingQueue<>();
        serveConnections(() -> (c, data) -> {
            if (data.byteSize() < 5000) {
                return 0; // keep the bytes: the connection copies them into a pooled buffer
            }
            BufferPool pool = LoopIo.of(c.loop()).pool;
            long inUse = pool.inUseCount();
            c.abort();
            // The pooled buffer under the view must not be handed out while the view is live.
            if (pool.inUseCount() != inUse) {
                problems.add("buffer released under the handler: " + inUse + " -> " + pool.inUseCount());
            }
            if (!data.isReadOnly()) {
                problems.add("onData got a writable view");
            }
            assertThrows(RuntimeException.class, () -> data.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
            for (long i = 0; i < data.byteSize(); i++) {
                if (data.get(ValueLayout.JAVA_BYTE, i) != (byte) i) {
                    problems.add("view changed at " + i);
                    break;
                }
            }
            checked.incrementAndGet();
            return data.byteSize();
        });
        int client = net.connect(address);
        byte[] message = new byte[6000];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) i;
        }
        net.send(client, java.util.Arrays.copyOf(message, 1000));
        awaitOnLoop(() -> LoopIo.of(loop).pool.inUseCount() == 2, "the connection holds a pooled buffer");
        net.send(client, java.util.Arrays.copyOfRange(message, 1000, message.length));
        assertClosedByServer(client);
        assertEquals(1, (int) onLoop(checked::get)); // read on the loop: after the handler returned
        assertEquals(List.of(), List.copyOf(problems));
        assertEquals(1L, (long) onLoop(() -> LoopIo.of(loop).pool.inUseCount()), "only the shared read buffer stays in use");
    }
}
