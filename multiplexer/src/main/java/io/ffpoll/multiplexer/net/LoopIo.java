package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopCounters;
import io.ffpoll.multiplexer.internal.LoopLocal;

import io.ffpoll.multiplexer.backend.Backend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * One loop's shared I/O state for its {@link Connection}s: the buffer pool, the read buffer
 * every connection reads into first (so an idle connection needs none of its own), the iovec
 * and msghdr scratch for gathering sends, and the connections whose writes are flushed once,
 * just before the loop's next poll. Loop thread only.
 */
final class LoopIo implements LoopLocal {
    private static final Logger LOG = LoggerFactory.getLogger(LoopIo.class);
    static final long READ_BUFFER = 64 * 1024;
    static final int MAX_IOV = 64;
    /** How often free buffers that went unused are given back ({@link BufferPool#trim}). */
    static final Duration TRIM_PERIOD = Duration.ofSeconds(1);

    private final EventLoop loop;
    /** The loop's counters ({@link io.ffpoll.multiplexer.LoopMetrics}): bytes, connections, buffers. */
    final long[] counts;
    final BufferPool pool = new BufferPool(this::trimLater);
    final BufferPool.Buffer readBuffer = pool.acquire(READ_BUFFER);
    /** The pending input of every connection that has kept no bytes yet: empty for good. */
    final PendingInput noInput = new PendingInput(pool);
    private boolean trimScheduled;
    private final Arena arena = Arena.ofConfined();
    final Gather gather = Platform.current().allocateGather(arena, MAX_IOV);
    /** The loop's backend, where it completes sends (io_uring); else null and sends are syscalls. */
    final Backend sender;
    /** The loop's backend, where it receives into its own buffers (io_uring); else null. */
    final Backend receiver;
    // A send in flight needs its msghdr and iovecs until it completes: one Gather each, reused.
    private final ArrayDeque<Gather> freeGathers = new ArrayDeque<>();
    private final FlushList<Connection> toFlush = new FlushList<>();
    private int open;
    // Made on the first TLS connection: the plaintext a TLS read decrypts into (several records),
    // and the engines' scratch; a loop without TLS holds neither.
    private BufferPool.Buffer tlsPlain;
    private BufferPool.Buffer tlsScratch;

    private final Backend backend;

    private LoopIo(EventLoop loop, Backend backend) {
        this.loop = loop;
        this.backend = backend;
        this.counts = LoopAccess.get().counters(loop).counts;
        sender = backend.completesSends() ? backend : null;
        receiver = backend.completesReceives() ? backend : null;
    }

    /**
     * Deregisters and closes a connection's fd, in the loop's next poll where the backend batches
     * closes (io_uring), else at once. Loop thread only.
     */
    void deregisterAndClose(int fd) throws IOException {
        backend.deregisterAndCloseSoon(fd);
    }

    /** {@code loop}'s state, made on first use. Loop thread only. */
    static LoopIo of(EventLoop loop) {
        return LoopAccess.get().local(loop, LoopIo.class, l -> new LoopIo(l, LoopAccess.get().backend(l)));
    }

    // A timer only while something is pooled: a loop whose pool is empty never wakes for it.
    private void trimLater() {
        if (!trimScheduled && !loop.isClosed()) {
            trimScheduled = true;
            loop.schedule(TRIM_PERIOD, this::trim);
        }
    }

    private void trim() {
        trimScheduled = false;
        if (pool.trim() > 0) {
            trimLater();
        }
    }

    /** A Gather for one send in flight, until {@link #giveBack}. */
    Gather takeGather() {
        Gather g = freeGathers.pollFirst();
        return g != null ? g : Platform.current().allocateGather(arena, MAX_IOV);
    }

    void giveBack(Gather g) {
        freeGathers.addFirst(g);
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
        counts[LoopCounters.OPEN_CONNECTIONS] = open;
    }

    void closed() {
        open--;
        counts[LoopCounters.OPEN_CONNECTIONS] = open;
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
        counts[LoopCounters.BUFFERS_IN_USE] = pool.inUseCount();
        counts[LoopCounters.BUFFERS_FREE] = pool.pooledCount();
    }

    /** The loop has closed its connections: free the memory. */
    @Override
    public void closeBecauseLoopStopped() {
        if (sender != null) {
            // The loop's connections are closed, but a send of theirs may still be in flight:
            // the kernel reads its iovecs and chunks until it completes, so nothing is freed first.
            try {
                sender.quiesceSends();
            } catch (IOException | RuntimeException e) {
                LOG.warn("closing the sends in flight failed; their memory is left to the process: {}", e.toString());
                return;
            }
        }
        pool.release(readBuffer);
        if (tlsPlain != null) {
            pool.release(tlsPlain);
        }
        if (tlsScratch != null) {
            pool.release(tlsScratch);
        }
        pool.close();
        counts[LoopCounters.BUFFERS_IN_USE] = pool.inUseCount();
        counts[LoopCounters.BUFFERS_FREE] = pool.pooledCount();
        arena.close();
    }
}
