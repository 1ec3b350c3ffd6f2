package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;

import java.util.concurrent.CompletableFuture;

/**
 * What one loop's connections hold right now: how many are open, and the native memory of the
 * loop's buffer pool (buffers handed out, and free ones kept for reuse). An idle connection
 * holds no buffer; the one always in use is the loop's shared read buffer.
 *
 * @param openConnections   connections open on the loop
 * @param buffersInUse      pooled buffers handed out and not yet given back
 * @param bufferBytesInUse  bytes in those buffers
 * @param pooledBytes       bytes in free buffers kept for reuse
 * @param allocations       buffers allocated from the OS so far (misses of the pool)
 */
public record ConnectionStats(int openConnections, long buffersInUse, long bufferBytesInUse, long pooledBytes,
                              long allocations) {

    /**
     * The figures of {@code loop}; all zero before its first connection. Any thread: on the
     * loop's own thread they are read at once (the future is complete when this returns),
     * elsewhere the loop is asked; it never waits.
     *
     * @param loop the event loop
     * @return the figures; failed with a {@link java.util.concurrent.RejectedExecutionException}
     *     if the loop is closed
     */
    public static CompletableFuture<ConnectionStats> of(EventLoop loop) {
        return loop.onLoop(() -> onLoop(loop));
    }

    private static ConnectionStats onLoop(EventLoop loop) {
        LoopIo io = LoopIo.ifPresent(loop);
        if (io == null) {
            return new ConnectionStats(0, 0, 0, 0, 0);
        }
        BufferPool pool = io.pool;
        return new ConnectionStats(io.openConnections(), pool.inUseCount(), pool.inUseBytes(), pool.pooledBytes(),
                pool.allocations());
    }
}
