package io.ffpoll.bindings.platform;

import io.ffpoll.bindings.internal.Bounds;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * A {@code struct iovec} array and a {@code struct msghdr} pointing at it, for gathering sends
 * ({@link Platform#sendGathered}). The platform lays out the msghdr (its {@code msg_iovlen} is a
 * {@code size_t} on Linux and an {@code int} on the BSDs); the iovecs are the same everywhere
 * (base, then length, 16 bytes on every 64-bit platform).
 */
public final class Gather {
    private static final long IOVEC_SIZE = 16;
    final MemorySegment iov;
    final MemorySegment msghdr;
    private final int capacity;

    Gather(MemorySegment iov, MemorySegment msghdr, int capacity) {
        this.iov = iov;
        this.msghdr = msghdr;
        this.capacity = capacity;
    }

    /**
     * How many iovecs it holds.
     *
     * @return how many iovecs
     */
    public int capacity() {
        return capacity;
    }

    /**
     * Points iovec {@code i} at {@code length} bytes of native {@code base} from {@code offset},
     * without making a slice object (for gathering loops on hot paths).
     *
     * @param i the index, from 0
     * @param base native memory
     * @param offset where the bytes start
     * @param length the length in bytes
     * @throws IndexOutOfBoundsException if {@code i} is not below {@link #capacity()}, or the
     *         bytes are not all inside {@code base}
     */
    public void set(int i, MemorySegment base, long offset, long length) {
        Objects.checkIndex(i, capacity);
        if (!base.isNative()) {
            throw new IllegalArgumentException("an iovec needs native memory");
        }
        Bounds.range("Gather.set", offset, length, "base", base);
        iov.set(ValueLayout.JAVA_LONG, i * IOVEC_SIZE, base.address() + offset);
        iov.set(ValueLayout.JAVA_LONG, i * IOVEC_SIZE + 8, length);
    }

    /**
     * The iovec array, for the platform's sendmsg.
     *
     * @return the iovec array
     */
    public MemorySegment iovecs() {
        return iov;
    }

    /**
     * The msghdr, for the platform's sendmsg.
     *
     * @return the msghdr
     */
    public MemorySegment msghdr() {
        return msghdr;
    }
}
