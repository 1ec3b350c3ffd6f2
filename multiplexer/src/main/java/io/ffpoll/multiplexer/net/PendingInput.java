package io.ffpoll.multiplexer.net;

import java.lang.foreign.MemorySegment;

/**
 * The bytes of one connection that its handler left unconsumed (an incomplete message), in a
 * pooled buffer that exists only while there are such bytes, so an idle connection holds none.
 * New bytes are read straight behind them. Loop thread only.
 */
final class PendingInput {
    private final BufferPool pool;
    private BufferPool.Buffer buffer;
    private long length;

    PendingInput(BufferPool pool) {
        this.pool = pool;
    }

    boolean isEmpty() {
        return length == 0;
    }

    boolean holdsBuffer() {
        return buffer != null;
    }

    long length() {
        return length;
    }

    long capacity() {
        return buffer == null ? 0 : buffer.capacity();
    }

    /** The buffer; reads go to {@code [length, capacity)}. Only while {@link #holdsBuffer()}. */
    MemorySegment segment() {
        return buffer.segment;
    }

    /** A read-only view of the buffer (made once per buffer). */
    MemorySegment view() {
        return buffer.readOnly;
    }

    /** {@code n} more bytes were read into the buffer behind the kept ones. */
    void added(long n) {
        length += n;
    }

    /** Doubles the buffer, up to {@code max}; false when it is at {@code max} already. */
    boolean grow(long max) {
        if (buffer.capacity() >= max) {
            return false;
        }
        BufferPool.Buffer bigger = pool.acquire(Math.min(max, buffer.capacity() * 2));
        MemorySegment.copy(buffer.segment, 0, bigger.segment, 0, length);
        pool.release(buffer);
        buffer = bigger;
        return true;
    }

    /**
     * The handler used {@code used} of the {@code total} bytes of {@code delivered} (a view of
     * the loop's read buffer or of this buffer): keep the rest here, first in line.
     */
    void keep(MemorySegment delivered, long used, long total) {
        long rest = total - used;
        if (rest == 0) {
            release();
            return;
        }
        if (buffer == null) {
            buffer = pool.acquire(Math.max(rest, 4096));
            MemorySegment.copy(delivered, used, buffer.segment, 0, rest);
        } else if (used > 0) {
            MemorySegment.copy(buffer.segment, used, buffer.segment, 0, rest); // memmove
        }
        length = rest;
    }

    /**
     * Appends {@code src[0, n)} behind the kept bytes (TLS: plaintext decrypted while earlier
     * plaintext waits), in a buffer made or enlarged to fit; the caller bounds the total.
     */
    void append(MemorySegment src, long n) {
        if (buffer == null) {
            buffer = pool.acquire(Math.max(n, 4096));
        } else if (buffer.capacity() - length < n) {
            BufferPool.Buffer bigger = pool.acquire(length + n);
            MemorySegment.copy(buffer.segment, 0, bigger.segment, 0, length);
            pool.release(buffer);
            buffer = bigger;
        }
        MemorySegment.copy(src, 0, buffer.segment, length, n);
        length += n;
    }

    /** Gives the buffer back to the pool. */
    void release() {
        if (buffer != null) {
            pool.release(buffer);
            buffer = null;
        }
        length = 0;
    }
}
