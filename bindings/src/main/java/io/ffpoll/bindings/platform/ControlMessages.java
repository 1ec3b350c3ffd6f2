package io.ffpoll.bindings.platform;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The arithmetic of the {@code CMSG_*} macros, done in Java because a macro cannot be called
 * through the FFM API: {@code CMSG_ALIGN}, {@code CMSG_LEN}, {@code CMSG_SPACE},
 * {@code CMSG_DATA}, {@code CMSG_FIRSTHDR} and {@code CMSG_NXTHDR}, over offsets into a control
 * buffer rather than pointers. Three ABIs, each from its own header:
 * <ul>
 * <li>Linux (glibc {@code bits/socket.h}): {@code cmsg_len} is a {@code size_t}, the header is
 *     16 bytes, and everything is aligned to {@code sizeof(size_t)}, 8;</li>
 * <li>macOS (XNU {@code bsd/sys/socket.h}): {@code cmsg_len} is a {@code socklen_t}, the header
 *     is 12 bytes, aligned with {@code __DARWIN_ALIGN32}, to 4, so the data starts at 12;</li>
 * <li>FreeBSD ({@code sys/sys/socket.h}): the same 12-byte header aligned with {@code _ALIGN},
 *     to {@code sizeof(register_t)} (8 on amd64 and arm64), so the data starts at 16.</li>
 * </ul>
 * A next header exists only if it lies wholly inside the {@code msg_controllen} bytes the
 * kernel reported, as all three {@code CMSG_NXTHDR}s require; a header whose {@code cmsg_len}
 * is shorter than a header ends the walk (glibc's check; a kernel never writes one). Immutable.
 */
public final class ControlMessages {
    /** {@code SCM_RIGHTS}: 1 on Linux, macOS and FreeBSD. */
    public static final int SCM_RIGHTS = 1;

    private final long headerSize;
    private final long alignment;
    private final boolean longLength;
    private final int solSocket;

    /**
     * The arithmetic of one ABI.
     *
     * @param headerSize {@code sizeof(struct cmsghdr)}: 16 on Linux, 12 on the BSDs
     * @param alignment what {@code CMSG_ALIGN} rounds to: 8 on Linux and FreeBSD, 4 on macOS
     * @param lengthBytes the width of {@code cmsg_len}: 8 ({@code size_t}) on Linux, 4 on the BSDs
     * @param solSocket {@code SOL_SOCKET}: 1 on Linux, 0xffff on the BSDs
     */
    public ControlMessages(long headerSize, long alignment, int lengthBytes, int solSocket) {
        if (Long.bitCount(alignment) != 1 || headerSize < 12 || (lengthBytes != 4 && lengthBytes != 8)) {
            throw new IllegalArgumentException("header " + headerSize + ", alignment " + alignment
                    + ", cmsg_len of " + lengthBytes + " bytes");
        }
        this.headerSize = headerSize;
        this.alignment = alignment;
        this.longLength = lengthBytes == 8;
        this.solSocket = solSocket;
    }

    /**
     * {@code CMSG_ALIGN(length)}.
     *
     * @param length a length in bytes
     * @return it, rounded up to the ABI's alignment
     */
    public long align(long length) {
        return (length + alignment - 1) & -alignment;
    }

    /**
     * {@code CMSG_LEN(dataLength)}: the {@code cmsg_len} of a message with that much data.
     *
     * @param dataLength the data's length in bytes
     * @return the header's aligned size plus the data
     */
    public long len(long dataLength) {
        return align(headerSize) + dataLength;
    }

    /**
     * {@code CMSG_SPACE(dataLength)}: the control buffer bytes one message with that much data takes.
     *
     * @param dataLength the data's length in bytes
     * @return the aligned header plus the aligned data
     */
    public long space(long dataLength) {
        return align(headerSize) + align(dataLength);
    }

    /**
     * {@code CMSG_DATA}: where a message's data starts, from the start of its header.
     *
     * @return the offset
     */
    public long dataOffset() {
        return align(headerSize);
    }

    /**
     * {@code CMSG_FIRSTHDR}: 0 if {@code controlLength} holds a header, else -1.
     *
     * @param controlLength {@code msg_controllen} as the kernel returned it
     * @return the first header's offset, or -1 for none
     */
    public long first(long controlLength) {
        return controlLength >= headerSize ? 0 : -1;
    }

    /**
     * {@code CMSG_NXTHDR}: the header after the one at {@code offset}, or -1 for none.
     *
     * @param control the control buffer
     * @param controlLength {@code msg_controllen} as the kernel returned it
     * @param offset a header's offset, from {@link #first} or this method
     * @return the next header's offset, or -1 for none
     */
    public long next(MemorySegment control, long controlLength, long offset) {
        long length = length(control, offset);
        if (length < headerSize) {
            return -1;
        }
        long next = offset + align(length);
        return next + align(headerSize) > controlLength || next + headerSize > control.byteSize() ? -1 : next;
    }

    /**
     * {@code cmsg_len} of the header at {@code offset}.
     *
     * @param control the control buffer
     * @param offset a header's offset
     * @return its length field, data included
     */
    public long length(MemorySegment control, long offset) {
        return longLength ? control.get(ValueLayout.JAVA_LONG, offset)
                : Integer.toUnsignedLong(control.get(ValueLayout.JAVA_INT, offset));
    }

    /**
     * {@code cmsg_level} of the header at {@code offset}.
     *
     * @param control the control buffer
     * @param offset a header's offset
     * @return the level
     */
    public int level(MemorySegment control, long offset) {
        return control.get(ValueLayout.JAVA_INT, offset + (longLength ? 8 : 4));
    }

    /**
     * {@code cmsg_type} of the header at {@code offset}.
     *
     * @param control the control buffer
     * @param offset a header's offset
     * @return the type
     */
    public int type(MemorySegment control, long offset) {
        return control.get(ValueLayout.JAVA_INT, offset + (longLength ? 12 : 8));
    }

    /**
     * Whether the header at {@code offset} is {@code SOL_SOCKET}/{@code SCM_RIGHTS}.
     *
     * @param control the control buffer
     * @param offset a header's offset
     * @return whether it carries descriptors
     */
    public boolean isRights(MemorySegment control, long offset) {
        return level(control, offset) == solSocket && type(control, offset) == SCM_RIGHTS;
    }

    /**
     * How many descriptors the SCM_RIGHTS message at {@code offset} holds within the
     * {@code controlLength} bytes the kernel filled (a truncated message may claim more).
     *
     * @param control the control buffer
     * @param controlLength {@code msg_controllen} as the kernel returned it
     * @param offset a header's offset
     * @return the number of ints in its data
     */
    public int rightsCount(MemorySegment control, long controlLength, long offset) {
        long end = Math.min(offset + length(control, offset), Math.min(controlLength, control.byteSize()));
        long data = end - (offset + dataOffset());
        return data <= 0 ? 0 : (int) (data / Integer.BYTES);
    }

    /**
     * Writes one SCM_RIGHTS message of {@code count} descriptors at the start of {@code control}.
     *
     * @param control the control buffer, at least {@link #space space(4 * count)} bytes
     * @param fds the descriptors
     * @param count how many of them
     * @return the bytes to pass as {@code msg_controllen}: {@link #space space(4 * count)}
     */
    public long writeRights(MemorySegment control, int[] fds, int count) {
        long space = space((long) Integer.BYTES * count);
        if (space > control.byteSize()) {
            throw new IndexOutOfBoundsException("SCM_RIGHTS of " + count + " fds needs " + space
                    + " control bytes, the buffer holds " + control.byteSize());
        }
        control.asSlice(0, space).fill((byte) 0); // the padding too: the kernel reads whole messages
        long len = len((long) Integer.BYTES * count);
        if (longLength) {
            control.set(ValueLayout.JAVA_LONG, 0, len);
        } else {
            control.set(ValueLayout.JAVA_INT, 0, (int) len);
        }
        control.set(ValueLayout.JAVA_INT, longLength ? 8 : 4, solSocket);
        control.set(ValueLayout.JAVA_INT, longLength ? 12 : 8, SCM_RIGHTS);
        MemorySegment.copy(fds, 0, control, ValueLayout.JAVA_INT_UNALIGNED, dataOffset(), count);
        return space;
    }
}
