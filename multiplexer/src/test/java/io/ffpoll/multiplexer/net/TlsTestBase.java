package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A loop, the fd check of {@link LoopTestBase}, and the pool check of TLS tests: the loop's TLS
 * buffers (the shared plaintext buffer and the engines' scratch) are made before the test, so
 * every connection the test leaves idle or closed must leave exactly those and the read
 * buffer in use.
 */
abstract class TlsTestBase extends LoopTestBase {
    /** Buffers a loop with TLS always holds: the read buffer, the plaintext buffer and the scratch. */
    static final long SHARED_BUFFERS = 3;

    /** The servers' connections, as the listener made them. */
    final LinkedBlockingQueue<Connection> accepted = new LinkedBlockingQueue<>();

    @BeforeEach
    void makeTheLoopsTlsBuffers() throws Exception {
        onLoop(() -> {
            LoopIo io = LoopIo.of(loop);
            io.tlsPlain();
            io.tlsScratch();
        });
        assertPoolHolds(0, "before the test");
    }

    @AfterEach
    void everyBufferIsBack() throws Exception {
        awaitOnLoop(() -> LoopIo.of(loop).openConnections() == 0, "every connection is closed");
        assertPoolHolds(0, "after the test");
    }

    /** Buffers in use beyond the loop's shared ones. */
    long buffersHeld() throws Exception {
        return onLoop(() -> LoopIo.of(loop).pool.inUseCount()) - SHARED_BUFFERS;
    }

    /** {@link #buffersHeld()} on the loop thread (for awaitOnLoop). */
    long heldOnLoop() {
        return LoopIo.of(loop).pool.inUseCount() - SHARED_BUFFERS;
    }

    /** Bytes in use beyond the loop's shared buffers. */
    long bytesHeld() throws Exception {
        return onLoop(() -> LoopIo.of(loop).pool.inUseBytes())
                - LoopIo.READ_BUFFER * 2 - io.ffpoll.multiplexer.tls.TlsSessionFactory.SCRATCH_BYTES;
    }

    /** Whether the loop's ring sends the records (io_uring): then the loop makes no sendmsg for them. */
    boolean ringSends() throws Exception {
        return onLoop(() -> LoopIo.of(loop).sender != null);
    }

    /**
     * Whether {@code s}'s records wait for the peer to read: for writability on readiness, in
     * the ring's send on io_uring. On the loop thread.
     */
    static boolean recordsWait(Connection s) {
        return s.waitingForWritable || s.tls.sending();
    }

    void assertPoolHolds(long buffers, String when) throws Exception {
        assertEquals(buffers, buffersHeld(), "pooled buffers held by connections " + when);
    }

    /** Serves TLS with {@code config}, each connection with the handler {@code handlers} makes. */
    void serveTls(TlsConfig config, java.util.function.Supplier<ConnectionHandler> handlers) throws Exception {
        serve((fd, peer) -> Connection.open(loop, fd, peer, config, handlers.get()).thenAccept(accepted::add));
    }

    /** The next connection the server accepted. */
    Connection nextAccepted() throws InterruptedException {
        Connection c = accepted.poll(30, TimeUnit.SECONDS);
        if (c == null) {
            throw new AssertionError("no connection accepted");
        }
        return c;
    }

    /**
     * A handler that records what happens: onOpen, the bytes (echoed back when asked), the
     * end of the input, writability and onClosed with its cause; {@link #onOpen} and
     * {@link #onData} run the test's own actions too.
     */
    static class Recorder implements ConnectionHandler {
        final CompletableFuture<Connection> opened = new CompletableFuture<>();
        final CompletableFuture<Void> readClosed = new CompletableFuture<>();
        /** Completes with the cause onClosed got, or a marker exception for none. */
        final CompletableFuture<IOException> closed = new CompletableFuture<>();
        final AtomicInteger opens = new AtomicInteger();
        final AtomicInteger closes = new AtomicInteger();
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final List<Boolean> writability = new ArrayList<>();
        volatile boolean echo;
        volatile boolean closeAtEndOfInput;
        volatile Consumer<Connection> onOpenAction = c -> { };

        static final IOException NO_CAUSE = new IOException("closed without a cause");

        Recorder echoing() {
            echo = true;
            return this;
        }

        /** Closes the connection once the peer's input ends (an echo server's manners). */
        Recorder closingAtEndOfInput() {
            closeAtEndOfInput = true;
            return this;
        }

        Recorder onOpen(Consumer<Connection> action) {
            onOpenAction = action;
            return this;
        }

        @Override
        public void onOpen(Connection c) {
            opens.incrementAndGet();
            opened.complete(c);
            onOpenAction.accept(c);
        }

        @Override
        public long onData(Connection c, MemorySegment data) {
            synchronized (this) {
                received.writeBytes(data.toArray(ValueLayout.JAVA_BYTE));
            }
            if (echo) {
                c.write(data);
            }
            return data.byteSize();
        }

        @Override
        public void onReadClosed(Connection c) {
            readClosed.complete(null);
            if (closeAtEndOfInput) {
                c.close();
            }
        }

        @Override
        public synchronized void onWritabilityChanged(Connection c, boolean writable) {
            writability.add(writable);
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
            closes.incrementAndGet();
            closed.complete(cause == null ? NO_CAUSE : cause);
        }

        synchronized int receivedCount() {
            return received.size();
        }

        synchronized byte[] received() {
            return received.toByteArray();
        }

        synchronized List<Boolean> writability() {
            return List.copyOf(writability);
        }

        IOException awaitClosed() throws Exception {
            return closed.get(30, TimeUnit.SECONDS);
        }
    }
}
