package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopLocal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One loop's shared I/O state for its {@link Connection}s: the buffer pool, the read buffer
 * every connection reads into first (so an idle connection needs none of its own), the iovec
 * and msghdr scratch for gathering sends, and the connections whose writes are flushed once,
 * just before the loop's next poll. Loop thread only.
 */
final class LoopIo implements LoopLocal {
    static final long READ_BUFFER = 64 * 1024;
    static final int MAX_IOV = 64;

    final BufferPool pool = new BufferPool();
    final BufferPool.Buffer readBuffer = pool.acquire(READ_BUFFER);
    private final Arena arena = Arena.ofConfined();
    final Gather gather = Platform.current().allocateGather(arena, MAX_IOV);
    private final FlushList<Connection> toFlush = new FlushList<>();
    private int open;
    // Made on the first TLS connection: the plaintext a TLS read decrypts into (several records),
    // and the engines' scratch; a loop without TLS holds neither.
    private BufferPool.Buffer tlsPlain;
    private BufferPool.Buffer tlsScratch;

    /** {@code loop}'s state, made on first use. Loop thread only. */
    static LoopIo of(EventLoop loop) {
        return LoopAccess.get().local(loop, LoopIo.class, l -> new LoopIo());
    }

    /** {@code loop}'s state if a connection has made it, else null. Loop thread only. */
    static LoopIo ifPresent(EventLoop loop) {
        return LoopAccess.get().localIfPresent(loop, LoopIo.class);
    }

    /** The buffer TLS reads decrypt into, shared by the loop's connections (each hands it on at once). */
    BufferPool.Buffer tlsPlain() {
        if (tlsPlain == null) {
            tlsPlain = pool.acquire(READ_BUFFER);
        }
        return tlsPlain;
    }

    /** The engines' scratch ({@link io.ffpoll.multiplexer.tls.TlsSessionFactory#SCRATCH_BYTES}). */
    MemorySegment tlsScratch() {
        if (tlsScratch == null) {
            tlsScratch = pool.acquire(io.ffpoll.multiplexer.tls.TlsSessionFactory.SCRATCH_BYTES);
        }
        return tlsScratch.segment;
    }

    void opened() {
        open++;
    }

    void closed() {
        open--;
    }

    int openConnections() {
        return open;
    }

    void requestFlush(Connection c) {
        toFlush.add(c);
    }

    @Override
    public boolean hasWork() {
        return !toFlush.isEmpty();
    }

    /**
     * Runs the flushes requested during this iteration: one send per connection. Flushes that
     * its callbacks request wait for the next iteration, whose poll then does not block. A
     * connection whose flush fails (or whose callback throws) is closed by itself; the others
     * are flushed all the same.
     */
    @Override
    public void beforePoll() {
        toFlush.flushEach(Connection::flushAtEndOfIteration);
    }

    /** The loop has closed its connections: free the memory. */
    @Override
    public void closeBecauseLoopStopped() {
        pool.release(readBuffer);
        if (tlsPlain != null) {
            pool.release(tlsPlain);
        }
        if (tlsScratch != null) {
            pool.release(tlsScratch);
        }
        pool.close();
        arena.close();
    }
}
