package io.ffpoll.multiplexer.net;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * Native memory for one loop's connections, in power-of-two size classes from 4 KiB to 64 MiB.
 * Released buffers are kept for reuse up to {@link #MAX_POOLED_BYTES}; beyond that they are
 * freed. Used only on its loop's thread, so it takes no locks; each buffer has its own confined
 * arena so it can be freed on its own.
 *
 * <p>What a burst left behind does not stay: {@link #trim()}, called by the loop at a steady
 * period while anything is pooled, frees the buffers of each size class that sat unused through
 * the whole period since the last trim (the free list's low-water mark, as allocators with a
 * decay do), so thousands of connections that answered at once and went idle hold nothing a
 * period or two later, while a steady load keeps the buffers it keeps reusing.
 *
 * <p>The accounting methods ({@link #inUseCount()}, {@link #inUseBytes()}, ...) are what tests
 * and operators read to see that idle connections hold nothing and closed ones gave back all.
 */
final class BufferPool {
    static final int MIN_SHIFT = 12; // 4 KiB
    static final int MAX_SHIFT = 26; // 64 MiB
    /** Free buffers kept for reuse, in bytes, across all size classes. */
    public static final long MAX_POOLED_BYTES = 16L << 20;
    /** Buffers one {@link #trim()} frees at most. */
    static final int MAX_FREED_PER_TRIM = 1024;

    /** One pooled buffer: its memory, a read-only view of it for handlers, and the arena that frees it. */
    static final class Buffer {
        final MemorySegment segment;
        final MemorySegment readOnly;
        final Arena arena;
        final int sizeClass;
        boolean inUse;
        /** The next chunk of the write queue that holds this one (WriteQueue links its chunks). */
        Buffer next;

        Buffer(MemorySegment segment, Arena arena, int sizeClass) {
            this.segment = segment;
            this.readOnly = segment.asReadOnly();
            this.arena = arena;
            this.sizeClass = sizeClass;
        }

        long capacity() {
            return segment.byteSize();
        }
    }

    @SuppressWarnings("unchecked")
    private final ArrayDeque<Buffer>[] free = new ArrayDeque[MAX_SHIFT - MIN_SHIFT + 1];
    // The fewest free buffers each class held since the last trim: those sat unused throughout.
    private final int[] lowWater = new int[MAX_SHIFT - MIN_SHIFT + 1];
    private final Runnable pooled;
    private long inUseBytes;
    private long inUseCount;
    private long pooledBytes;
    private long pooledCount;
    private long allocations;
    private boolean closed;

    BufferPool() {
        this(() -> {});
    }

    /** @param pooled told whenever a released buffer is kept, so that a trim gets scheduled */
    BufferPool(Runnable pooled) {
        this.pooled = pooled;
        for (int i = 0; i < free.length; i++) {
            free[i] = new ArrayDeque<>();
        }
    }

    /** Largest buffer the pool hands out. */
    public static long maxBufferSize() {
        return 1L << MAX_SHIFT;
    }

    private static int sizeClass(long minBytes) {
        int shift = Math.max(MIN_SHIFT, 64 - Long.numberOfLeadingZeros(Math.max(1, minBytes) - 1));
        if (shift > MAX_SHIFT) {
            throw new IllegalArgumentException("buffer of " + minBytes + " bytes exceeds " + maxBufferSize());
        }
        return shift - MIN_SHIFT;
    }

    /** A buffer of at least {@code minBytes}; its contents are undefined. */
    Buffer acquire(long minBytes) {
        if (closed) {
            throw new IllegalStateException("buffer pool is closed");
        }
        int c = sizeClass(minBytes);
        Buffer b = free[c].pollLast();
        if (b != null) {
            pooledBytes -= b.capacity();
            pooledCount--;
            lowWater[c] = Math.min(lowWater[c], free[c].size());
        } else {
            Arena arena = Arena.ofConfined();
            b = new Buffer(arena.allocate(1L << (c + MIN_SHIFT), 64), arena, c);
            allocations++;
        }
        b.inUse = true;
        b.next = null; // whoever held it last unlinked it; a stale link would join two queues
        inUseBytes += b.capacity();
        inUseCount++;
        return b;
    }

    /** Returns {@code b}; it must not be used afterwards. */
    void release(Buffer b) {
        if (!b.inUse) {
            throw new IllegalStateException("buffer released twice");
        }
        b.inUse = false;
        inUseBytes -= b.capacity();
        inUseCount--;
        if (!closed && pooledBytes + b.capacity() <= MAX_POOLED_BYTES) {
            free[b.sizeClass].addLast(b);
            pooledBytes += b.capacity();
            pooledCount++;
            pooled.run();
        } else {
            b.arena.close();
        }
    }

    /**
     * Frees, in each size class, as many buffers as sat in its free list through the whole time
     * since the last trim, the least recently used first (reuse takes the most recent).
     *
     * @return the bytes still pooled
     */
    long trim() {
        if (closed) {
            return 0;
        }
        // Bounded per call, so a trim after a burst is no pause of the loop's: what is left
        // over is freed at the next trims, if it stays unused.
        int budget = MAX_FREED_PER_TRIM;
        for (int c = 0; c < free.length; c++) {
            for (int n = Math.min(lowWater[c], budget); n > 0; n--, budget--) {
                Buffer b = free[c].pollFirst();
                pooledBytes -= b.capacity();
                pooledCount--;
                b.arena.close();
            }
            lowWater[c] = free[c].size();
        }
        return pooledBytes;
    }

    /** Frees every pooled buffer; buffers still in use are freed when released. */
    void close() {
        closed = true;
        for (ArrayDeque<Buffer> list : free) {
            for (Buffer b : list) {
                b.arena.close();
            }
            list.clear();
        }
        pooledBytes = 0;
        pooledCount = 0;
    }

    /** Buffers handed out and not yet released. */
    public long inUseCount() {
        return inUseCount;
    }

    /** Bytes in buffers handed out and not yet released. */
    public long inUseBytes() {
        return inUseBytes;
    }

    /** Free buffers kept for reuse. */
    public long pooledCount() {
        return pooledCount;
    }

    /** Bytes in free buffers kept for reuse. */
    public long pooledBytes() {
        return pooledBytes;
    }

    /** Buffers allocated from the OS so far (misses of the free lists). */
    public long allocations() {
        return allocations;
    }
}
