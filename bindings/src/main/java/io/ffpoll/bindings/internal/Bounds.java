package io.ffpoll.bindings.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Checks of lengths against segments, made before a downcall. FFM passes a segment to native
 * code as its bare address, so nothing stops a length past the segment's end: the kernel reads
 * or writes the memory after it (read(fd, an 8-byte segment, 64) wrote 56 bytes that were not
 * the caller's). Such a length is a programming error, not an I/O one, so it throws before the
 * call, as {@link java.util.Objects#checkFromIndexSize} does, instead of returning -errno:
 * an {@link IndexOutOfBoundsException} whose message names the call, the length and the
 * segment's size, e.g. {@code "read: count 64 out of bounds for buf of 8 bytes"}.
 *
 * <p>Each check is one comparison (unsigned, so that a negative length fails it too) and
 * allocates nothing unless it throws: they sit on every read and write. This package is not
 * exported; the OS packages and the platform layer share it.
 */
public final class Bounds {
    private Bounds() {}

    /**
     * {@code length} bytes must fit {@code segment}.
     *
     * @param call the C call, for the message
     * @param what the length's name, e.g. "count"
     * @param length the length in bytes
     * @param name the segment's name, e.g. "buf"
     * @param segment the memory the call will read or write
     */
    public static void length(String call, String what, long length, String name, MemorySegment segment) {
        if (Long.compareUnsigned(length, segment.byteSize()) > 0) {
            throw outOfBounds(call, what + " " + length, name, segment);
        }
    }

    /**
     * An array of {@code count} structs of {@code size} bytes must fit {@code segment}.
     *
     * @param call the C call
     * @param what the count's name, e.g. "maxevents"
     * @param count how many structs the call may read or write
     * @param size the size of one
     * @param name the segment's name
     * @param segment the array
     */
    public static void array(String call, String what, int count, long size, String name, MemorySegment segment) {
        // count * size cannot overflow: |count| <= 2^31 and size is a struct's.
        if (Long.compareUnsigned(count * size, segment.byteSize()) > 0) {
            throw outOfBounds(call, count < 0 ? what + " " + count : what + " " + count + " (" + count * size + " bytes)",
                    name, segment);
        }
    }

    /**
     * {@code segment} must hold one {@code type} of {@code size} bytes.
     *
     * @param call the C call
     * @param type the C type, e.g. "struct rlimit"
     * @param size its size
     * @param name the segment's name
     * @param segment the memory
     */
    public static void struct(String call, String type, long size, String name, MemorySegment segment) {
        if (segment.byteSize() < size) {
            throw outOfBounds(call, type + " (" + bytes(size) + ")", name, segment);
        }
    }

    /**
     * An address and its in/out length (accept, getsockname): {@code addrLen} must hold a
     * socklen_t, and its value, the room the kernel may fill, must fit {@code addr}. A NULL
     * {@code addrLen} with an address is an IllegalArgumentException.
     *
     * @param call the C call
     * @param addr the sockaddr memory
     * @param addrLen the socklen_t
     */
    public static void socklen(String call, MemorySegment addr, MemorySegment addrLen) {
        if (addrLen.byteSize() < Integer.BYTES) {
            if (addrLen.address() == 0 && addr.address() != 0) {
                throw new IllegalArgumentException(call + ": addrlen is NULL but addr is not");
            }
            throw outOfBounds(call, "socklen_t (4 bytes)", "addrlen", addrLen);
        }
        int len = addrLen.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        if (Integer.toUnsignedLong(len) > addr.byteSize()) {
            throw outOfBounds(call, "*addrlen " + len, "addr", addr);
        }
    }

    /**
     * {@code count} items of a container holding {@code capacity}.
     *
     * @param call the C call
     * @param what the count's name
     * @param count how many the call uses
     * @param capacity how many there are
     * @param name the container's name, e.g. "gather"
     * @param unit what it holds, e.g. "iovecs"
     */
    public static void count(String call, String what, int count, int capacity, String name, String unit) {
        if (Integer.compareUnsigned(count, capacity) > 0) {
            throw new IndexOutOfBoundsException(call + ": " + what + " " + count + " out of bounds for " + name + " of "
                    + capacity + " " + unit);
        }
    }

    /**
     * {@code length} bytes from {@code offset} must lie inside {@code segment}.
     *
     * @param call the call
     * @param offset where the bytes start
     * @param length how many
     * @param name the segment's name
     * @param segment the memory
     */
    public static void range(String call, long offset, long length, String name, MemorySegment segment) {
        if ((offset | length) < 0 || length > segment.byteSize() - offset) {
            throw outOfBounds(call, "offset " + offset + ", length " + length, name, segment);
        }
    }

    private static IndexOutOfBoundsException outOfBounds(String call, String what, String name, MemorySegment segment) {
        return new IndexOutOfBoundsException(call + ": " + what + " out of bounds for " + name + " of "
                + bytes(segment.byteSize()));
    }

    private static String bytes(long n) {
        return n == 1 ? "1 byte" : n + " bytes";
    }
}
