package io.ffpoll.bindings.platform;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Descriptor passing over Unix sockets ({@code SCM_RIGHTS}): {@code sendmsg} of bytes with
 * descriptors, {@code recvmsg} of bytes with the descriptors they came with, and
 * {@code socketpair}, on this OS ({@link Platform#fdPassing()}). Every call returns its result or
 * {@code -errno}, never blocks (MSG_DONTWAIT, whatever the socket's own mode) and never raises
 * SIGPIPE. The msghdr, its one iovec and the control buffer are the caller's
 * {@link Buffers}, made once, so a send or a receive allocates nothing.
 *
 * <p>What the OS differences come to:
 * <ul>
 * <li>Linux receives with {@code MSG_CMSG_CLOEXEC}, so a descriptor is close-on-exec from the
 *     moment it exists in this process; so does FreeBSD. macOS has no such flag: each received
 *     descriptor gets {@code FD_CLOEXEC} by {@code fcntl} right after {@code recvmsg}, and a
 *     {@code fork}+{@code exec} by another thread in between would leak it into the child
 *     (the JDK's own process launcher closes descriptors above 2 in the child, so only native
 *     code that execs directly can hit that window).</li>
 * <li>The msghdr and cmsghdr layouts and the CMSG alignment differ
 *     ({@link ControlMessages}).</li>
 * </ul>
 *
 * <p>Descriptors are never leaked: whatever arrives with {@code MSG_CTRUNC} (the control
 * buffer was too small: the kernel installed what fitted and dropped the rest) is closed, from
 * every SCM_RIGHTS message of the receive, and so is anything beyond the caller's array.
 */
public abstract class FdPassing {
    /**
     * The most descriptors one message may carry: Linux's {@code SCM_MAX_FD} (the kernel refuses
     * more with EINVAL), applied on every OS.
     */
    public static final int MAX_FDS = 253;
    private static final long IOVEC_SIZE = 16; // void *iov_base, size_t iov_len on every LP64 ABI

    private final ControlMessages cmsg;

    /**
     * For the implementations.
     *
     * @param cmsg this OS's CMSG arithmetic
     */
    protected FdPassing(ControlMessages cmsg) {
        this.cmsg = cmsg;
    }

    /**
     * The msghdr, its iovec and a control buffer for up to {@code maxFds} descriptors, owned by
     * one caller (one socket's sends, or its receives), reused by every call.
     */
    public static final class Buffers {
        final MemorySegment msghdr;
        final MemorySegment iov;
        final MemorySegment control;
        private final int fdRoom;
        private int received;
        private int flags;

        Buffers(MemorySegment msghdr, MemorySegment iov, MemorySegment control, int fdRoom) {
            this.msghdr = msghdr;
            this.iov = iov;
            this.control = control;
            this.fdRoom = fdRoom;
        }

        /**
         * How many descriptors a receive into these buffers can bring: what the kernel fits into
         * the control buffer, which {@code CMSG_SPACE}'s rounding may make one more than asked for.
         *
         * @return the length the receive's array needs
         */
        public int fdRoom() {
            return fdRoom;
        }

        /**
         * How many descriptors the last receive put into the caller's array.
         *
         * @return how many
         */
        public int receivedFds() {
            return received;
        }

        /**
         * {@code msg_flags} of the last receive, as {@link FdPassing#isControlTruncated} and
         * {@link FdPassing#isDataTruncated} read them.
         *
         * @return the flags
         */
        public int flags() {
            return flags;
        }
    }

    /**
     * Buffers for sends or receives of up to {@code maxFds} descriptors per message.
     *
     * @param arena owns the memory
     * @param maxFds 0 to {@link #MAX_FDS}
     * @return the buffers
     */
    public final Buffers allocate(Arena arena, int maxFds) {
        Objects.checkIndex(maxFds, MAX_FDS + 1);
        MemorySegment msghdr = arena.allocate(msghdrSize(), 8);
        MemorySegment iov = arena.allocate(IOVEC_SIZE, 8);
        long space = cmsg.space((long) Integer.BYTES * Math.max(1, maxFds));
        MemorySegment control = arena.allocate(space, 8);
        int room = maxFds == 0 ? 0 : (int) ((space - cmsg.dataOffset()) / Integer.BYTES);
        return new Buffers(msghdr, iov, control, room);
    }

    /**
     * This OS's CMSG arithmetic.
     *
     * @return the arithmetic
     */
    public final ControlMessages controlMessages() {
        return cmsg;
    }

    /**
     * sendmsg(2) of the native bytes {@code data} with {@code count} descriptors of {@code fds}
     * in one SCM_RIGHTS message (none if {@code count} is 0). On a stream socket the kernel may
     * take fewer bytes than given; the descriptors then went with the first of them.
     *
     * @param fd a connected Unix socket
     * @param buffers buffers for at least {@code count} descriptors
     * @param data native memory, at least one byte when descriptors go with it
     * @param fds the descriptors
     * @param count how many
     * @return the bytes sent, or -errno (-EAGAIN: nothing was sent, no descriptor either)
     * @throws IllegalArgumentException if {@code data} is not native, or empty while {@code count > 0}
     * @throws IndexOutOfBoundsException if {@code count} exceeds {@code fds} or the buffers' room
     */
    public final long send(int fd, Buffers buffers, MemorySegment data, int[] fds, int count) {
        Objects.checkFromIndexSize(0, count, fds.length);
        if (count > 0 && data.byteSize() == 0) {
            throw new IllegalArgumentException("descriptors travel with at least one byte: a stream reads"
                    + " an empty message as end of stream");
        }
        pointIovec(buffers, data);
        if (count == 0) {
            setControl(buffers.msghdr, MemorySegment.NULL, 0);
        } else {
            if (count > buffers.fdRoom) {
                throw new IndexOutOfBoundsException("sendmsg: " + count + " fds, the buffers have room for "
                        + buffers.fdRoom);
            }
            setControl(buffers.msghdr, buffers.control, cmsg.writeRights(buffers.control, fds, count));
        }
        return sendmsg(fd, buffers.msghdr);
    }

    /**
     * recvmsg(2) into the native bytes {@code data}; the descriptors that came with them go to
     * {@code fds} ({@link Buffers#receivedFds()} says how many), close-on-exec, the caller's to
     * close. When the control data was truncated ({@link #isControlTruncated}), every descriptor
     * that did arrive is closed here and none is returned.
     *
     * @param fd a connected Unix socket
     * @param buffers the buffers
     * @param data native memory for the bytes
     * @param fds at least {@link Buffers#fdRoom()} long
     * @return the bytes received (0: end of stream, unless descriptors came), or -errno (-EAGAIN: none)
     * @throws IllegalArgumentException if {@code data} is not native or {@code fds} is too short
     */
    public final long receive(int fd, Buffers buffers, MemorySegment data, int[] fds) {
        if (fds.length < buffers.fdRoom) {
            throw new IllegalArgumentException("recvmsg: room for " + fds.length + " fds, the control buffer brings up to "
                    + buffers.fdRoom);
        }
        pointIovec(buffers, data);
        buffers.received = 0;
        buffers.flags = 0;
        setControl(buffers.msghdr, buffers.control, buffers.fdRoom == 0 ? 0 : buffers.control.byteSize());
        long r = recvmsg(fd, buffers.msghdr);
        if (r < 0) {
            return r;
        }
        int flags = flags(buffers.msghdr);
        long controlLength = controlLength(buffers.msghdr);
        int n = 0;
        boolean overflow = false;
        for (long at = cmsg.first(controlLength); at >= 0; at = cmsg.next(buffers.control, controlLength, at)) {
            if (!cmsg.isRights(buffers.control, at)) {
                continue; // credentials or timestamps the caller did not ask for: nothing to close
            }
            int count = cmsg.rightsCount(buffers.control, controlLength, at);
            long data0 = at + cmsg.dataOffset();
            for (int i = 0; i < count; i++) {
                int received = buffers.control.get(ValueLayout.JAVA_INT_UNALIGNED, data0 + (long) i * Integer.BYTES);
                if (n < fds.length) {
                    fds[n++] = received;
                } else {
                    close(received); // more than the kernel should fit: never leak it
                    overflow = true;
                }
            }
        }
        if ((flags & msgCtrunc()) != 0 || overflow) {
            for (int i = 0; i < n; i++) {
                close(fds[i]);
            }
            n = 0;
            flags |= msgCtrunc();
        } else {
            for (int i = 0; i < n; i++) {
                afterReceive(fds[i]);
            }
        }
        buffers.received = n;
        buffers.flags = flags;
        return r;
    }

    /**
     * Whether the last receive's control data was cut short ({@code MSG_CTRUNC}): descriptors
     * were lost, and those that arrived were closed.
     *
     * @param buffers the buffers of the receive
     * @return whether the control data was truncated
     */
    public final boolean isControlTruncated(Buffers buffers) {
        return (buffers.flags & msgCtrunc()) != 0;
    }

    /**
     * Whether the last receive dropped the end of a message longer than its buffer
     * ({@code MSG_TRUNC}: datagram and seqpacket sockets).
     *
     * @param buffers the buffers of the receive
     * @return whether bytes were dropped
     */
    public final boolean isDataTruncated(Buffers buffers) {
        return (buffers.flags & msgTrunc()) != 0;
    }

    private void pointIovec(Buffers buffers, MemorySegment data) {
        if (!data.isNative()) {
            throw new IllegalArgumentException("an iovec needs native memory");
        }
        buffers.iov.set(ValueLayout.JAVA_LONG, 0, data.address());
        buffers.iov.set(ValueLayout.JAVA_LONG, 8, data.byteSize());
        setIov(buffers.msghdr, buffers.iov);
    }

    /**
     * socketpair(AF_UNIX): both ends non-blocking, close-on-exec, without SIGPIPE.
     *
     * @param seqpacket SOCK_SEQPACKET (message boundaries kept) rather than SOCK_STREAM
     * @param fds two ints, where the ends go
     * @return 0, or -errno
     */
    public abstract int socketpair(boolean seqpacket, MemorySegment fds);

    /**
     * What a Unix socket this process did not make itself needs before sends (macOS:
     * SO_NOSIGPIPE; elsewhere nothing).
     *
     * @param fd the socket
     * @return 0, or -errno
     */
    public abstract int prepare(int fd);

    /**
     * {@code sizeof(struct msghdr)}.
     *
     * @return the size
     */
    protected abstract long msghdrSize();

    /**
     * Points the msghdr at one iovec.
     *
     * @param msghdr the msghdr
     * @param iov the iovec
     */
    protected abstract void setIov(MemorySegment msghdr, MemorySegment iov);

    /**
     * Sets {@code msg_control} and {@code msg_controllen}.
     *
     * @param msghdr the msghdr
     * @param control the control buffer, or NULL
     * @param length its length
     */
    protected abstract void setControl(MemorySegment msghdr, MemorySegment control, long length);

    /**
     * {@code msg_controllen} after a receive.
     *
     * @param msghdr the msghdr
     * @return the control bytes the kernel filled
     */
    protected abstract long controlLength(MemorySegment msghdr);

    /**
     * {@code msg_flags} after a receive.
     *
     * @param msghdr the msghdr
     * @return the flags
     */
    protected abstract int flags(MemorySegment msghdr);

    /**
     * {@code MSG_CTRUNC} of this OS.
     *
     * @return the flag
     */
    protected abstract int msgCtrunc();

    /**
     * {@code MSG_TRUNC} of this OS.
     *
     * @return the flag
     */
    protected abstract int msgTrunc();

    /**
     * sendmsg(2), non-blocking, without SIGPIPE.
     *
     * @param fd the socket
     * @param msghdr the msghdr
     * @return the bytes sent, or -errno
     */
    protected abstract long sendmsg(int fd, MemorySegment msghdr);

    /**
     * recvmsg(2), non-blocking, with received descriptors close-on-exec where the OS can.
     *
     * @param fd the socket
     * @param msghdr the msghdr
     * @return the bytes received, or -errno
     */
    protected abstract long recvmsg(int fd, MemorySegment msghdr);

    /**
     * What a received descriptor needs after recvmsg (macOS: FD_CLOEXEC); 0 or -errno.
     *
     * @param fd the descriptor
     * @return 0, or -errno
     */
    protected abstract int afterReceive(int fd);

    /**
     * close(2), never retried.
     *
     * @param fd the descriptor
     * @return 0, or -errno
     */
    protected abstract int close(int fd);
}
