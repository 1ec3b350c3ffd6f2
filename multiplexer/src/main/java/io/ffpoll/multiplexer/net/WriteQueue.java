package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.Platform;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;

/**
 * Bytes written to a connection that the socket has not taken yet: a FIFO of pooled chunks.
 * Each byte is copied in once; {@link #gather} points an iovec array at the queued bytes so
 * one sendmsg sends many chunks, and {@link #consume} gives sent chunks back to the pool.
 */
final class WriteQueue {
    static final long CHUNK = 16 * 1024;

    private final BufferPool pool;
    // Made on the first write that has to wait: most connections never need one.
    private ArrayDeque<BufferPool.Buffer> chunks;
    private long headOffset; // first unsent byte in the first chunk
    private long tailLimit;  // first free byte in the last chunk
    private long bytes;
    // Taken out by TLS into records that are not all sent yet: still counted as queued (the
    // watermarks and flush futures see plaintext, as on plain TCP) until the records are sent.
    private long held;
    private long gathered;
    private long sent;

    WriteQueue(BufferPool pool) {
        this.pool = pool;
    }

    /** Bytes written and not yet sent, including those TLS holds in records not yet sent. */
    long bytes() {
        return bytes + held;
    }

    boolean isEmpty() {
        return bytes + held == 0;
    }

    /** Bytes still to be taken: not yet handed to TLS (all queued bytes on plain TCP). */
    long untaken() {
        return bytes;
    }

    /**
     * The first contiguous run of untaken bytes (at most a chunk), a view valid until the queue
     * changes. Only while {@link #untaken()} is positive.
     */
    MemorySegment head() {
        BufferPool.Buffer first = chunks.peekFirst();
        long end = chunks.size() == 1 ? tailLimit : first.capacity();
        return first.segment.asSlice(headOffset, end - headOffset);
    }

    /** TLS took {@code n} bytes from the head into records: they leave the chunks, but stay counted until {@link #heldSent()}. */
    void hold(long n) {
        consume(n);
        held += n;
    }

    /** The records that held bytes went out: they count as sent now. */
    void heldSent() {
        sent += held;
        held = 0;
    }

    private MemorySegment tailWithRoom() {
        if (chunks == null) {
            chunks = new ArrayDeque<>(4);
        }
        BufferPool.Buffer tail = chunks.peekLast();
        if (tail == null || tailLimit == tail.capacity()) {
            tail = pool.acquire(CHUNK);
            chunks.addLast(tail);
            tailLimit = 0;
        }
        return tail.segment;
    }

    void append(MemorySegment src, long offset, long length) {
        while (length > 0) {
            MemorySegment tail = tailWithRoom();
            long n = Math.min(length, tail.byteSize() - tailLimit);
            MemorySegment.copy(src, offset, tail, tailLimit, n);
            tailLimit += n;
            offset += n;
            length -= n;
            bytes += n;
        }
    }

    void append(byte[] src, int offset, int length) {
        while (length > 0) {
            MemorySegment tail = tailWithRoom();
            int n = (int) Math.min(length, tail.byteSize() - tailLimit);
            MemorySegment.copy(src, offset, tail, ValueLayout.JAVA_BYTE, tailLimit, n);
            tailLimit += n;
            offset += n;
            length -= n;
            bytes += n;
        }
    }

    /**
     * One gathering sendmsg of the queued bytes (up to {@code gather}'s capacity) to {@code fd},
     * never raising SIGPIPE: the bytes the socket took (they leave the queue), or -errno.
     * {@link #gatheredBytes()} then tells how many were offered.
     */
    long send(int fd, Gather gather) {
        return send(fd, gather, false);
    }

    /** {@link #send(int, Gather)}, with writev for a descriptor that is not a socket. */
    long send(int fd, Gather gather, boolean notSocket) {
        int count = gather(gather);
        long n = notSocket ? Platform.current().unix().writeGathered(fd, gather, count)
                : Platform.current().sendGathered(fd, gather, count);
        if (n > 0) {
            consume(n);
            sent += n;
        }
        return n;
    }

    /** A send made elsewhere (a ring's) took the first {@code n} gathered bytes. */
    void sentBy(long n) {
        consume(n);
        sent += n;
    }

    /** Bytes the socket has taken from this queue so far. */
    long sent() {
        return sent;
    }

    /** Counts {@code n} bytes that went to the socket without passing through the queue. */
    void sentDirectly(long n) {
        sent += n;
    }

    /** Fills {@code iov}'s iovecs with the queued bytes, in order; returns how many it used. */
    int gather(Gather iov) {
        int max = iov.capacity();
        gathered = 0;
        int i = 0;
        int last = chunks.size() - 1;
        int index = 0;
        for (BufferPool.Buffer chunk : chunks) {
            if (i == max) {
                break;
            }
            long start = index == 0 ? headOffset : 0;
            long end = index == last ? tailLimit : chunk.capacity();
            iov.set(i++, chunk.segment, start, end - start);
            gathered += end - start;
            index++;
        }
        return i;
    }

    /** Bytes the last {@link #gather} pointed at. */
    long gatheredBytes() {
        return gathered;
    }

    /** Drops the first {@code n} bytes (they were sent). */
    void consume(long n) {
        bytes -= n;
        while (n > 0) {
            BufferPool.Buffer head = chunks.peekFirst();
            long end = chunks.size() == 1 ? tailLimit : head.capacity();
            long available = end - headOffset;
            if (n < available) {
                headOffset += n;
                return;
            }
            n -= available;
            chunks.pollFirst();
            pool.release(head);
            headOffset = 0;
        }
        if (chunks.isEmpty()) {
            tailLimit = 0;
        } else if (bytes == 0) {
            // Everything sent but the last chunk still has room: keep only while it is useful.
            pool.release(chunks.pollFirst());
            headOffset = 0;
            tailLimit = 0;
        }
    }

    /** Gives every chunk back, sent or not. */
    void clear() {
        if (chunks == null) {
            return;
        }
        BufferPool.Buffer b;
        while ((b = chunks.pollFirst()) != null) {
            pool.release(b);
        }
        headOffset = 0;
        tailLimit = 0;
        bytes = 0;
        held = 0;
    }
}
