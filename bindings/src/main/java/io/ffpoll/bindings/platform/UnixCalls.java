package io.ffpoll.bindings.platform;

import java.lang.foreign.MemorySegment;

/**
 * The Unix-domain socket calls of one OS family, and those for stream descriptors that are not
 * sockets, beside {@link Platform} ({@link Platform#unix()}): stream sockets and socketpairs,
 * pipes, sockaddr_un names (abstract ones on Linux alone; the BSDs start with a length byte),
 * peer credentials, and what a descriptor handed in from outside is. Every call returns its
 * result or {@code -errno}.
 */
public abstract class UnixCalls {
    /** For the implementations. */
    protected UnixCalls() {}

    /**
     * AF_UNIX, as this OS numbers it.
     *
     * @return the family number
     */
    public abstract int unixFamily();

    /**
     * A Unix-domain stream socket: non-blocking, close-on-exec, no SIGPIPE.
     *
     * @return the socket, or -errno
     */
    public abstract int unixStreamSocket();

    /**
     * socketpair(AF_UNIX, SOCK_STREAM): two connected sockets, non-blocking, close-on-exec, no
     * SIGPIPE, into {@code fds[0]} and {@code fds[1]}.
     *
     * @param fds at least two ints
     * @return 0, or -errno
     */
    public abstract int unixStreamPair(int[] fds);

    /**
     * A pipe, both ends non-blocking and close-on-exec: the read end into {@code fds[0]}, the
     * write end into {@code fds[1]}.
     *
     * @param fds at least two ints
     * @return 0, or -errno
     */
    public abstract int pipe(int[] fds);

    /**
     * Whether Unix sockets can have abstract names (Linux alone).
     *
     * @return whether abstract names exist
     */
    public abstract boolean hasAbstractUnixNames();

    /**
     * The longest Unix socket name in bytes: {@code sun_path} less its NUL (107 on Linux, 103
     * on the BSDs).
     *
     * @return the bytes
     */
    public abstract int maxUnixNameBytes();

    /**
     * The bytes of a Unix socket's path, as the JDK's own Unix-domain channels
     * ({@code UnixDomainSocketAddress}) put the same path into sun_path, so that a socket bound
     * by one is reached by the other: the path in the platform's file-name encoding
     * ({@link UnixNames#encodePath}). macOS overrides it.
     *
     * @param path the path's text
     * @return the bytes
     * @throws IllegalArgumentException if a character has no byte in that encoding
     */
    public byte[] unixPathBytes(String path) {
        return UnixNames.encodePath(path);
    }

    /**
     * Writes a Unix socket's path (or, with {@code abstractName}, its abstract name) as a
     * sockaddr_un into {@code dst} and returns the length to pass with it.
     *
     * @param name the path's or the name's bytes
     * @param abstractName whether {@code name} is an abstract name
     * @param dst a sockaddr_storage ({@link Platform#allocateSockaddr})
     * @return the address length
     * @throws IllegalArgumentException if the name is empty or longer than
     *         {@link #maxUnixNameBytes()} (the message says ENAMETOOLONG), or a path holds a NUL
     * @throws UnsupportedOperationException for an abstract name where the OS has none
     */
    public abstract int encodeUnix(byte[] name, boolean abstractName, MemorySegment dst);

    /**
     * The name in a sockaddr_un of {@code length} bytes (from accept, getsockname or
     * getpeername): empty for an unnamed socket, a leading NUL byte for an abstract name (the
     * name is every byte after it), else the path without its NUL.
     *
     * @param src the sockaddr
     * @param length its length
     * @return the name's bytes
     */
    public abstract byte[] decodeUnix(MemorySegment src, int length);

    /**
     * The address family of the sockaddr in {@code src}.
     *
     * @param src a sockaddr
     * @return its family
     */
    public abstract int sockaddrFamily(MemorySegment src);

    /**
     * getpeername(2); {@code addrLen} holds addr's size on entry and the address length on return.
     *
     * @param fd the socket
     * @param addr a sockaddr_storage ({@link Platform#allocateSockaddr})
     * @param addrLen a socklen_t holding addr's size
     * @return 0, or -errno
     */
    public abstract int getpeername(int fd, MemorySegment addr, MemorySegment addrLen);

    /**
     * The peer's address of a connection its peer has reset, which getpeername(2) no longer
     * gives (ENOTCONN) but accept(2) still does: Linux's getsockopt(SO_PEERNAME), where
     * {@code addrLen} holds the exact size of the listening socket's family's address.
     * Elsewhere -ENOSYS.
     *
     * @param fd the socket
     * @param addr a sockaddr_storage ({@link Platform#allocateSockaddr})
     * @param addrLen a socklen_t holding the family's sockaddr size
     * @return 0, or -errno
     */
    public int peerNameAfterReset(int fd, MemorySegment addr, MemorySegment addrLen) {
        return -io.ffpoll.bindings.Err.ENOSYS;
    }

    /**
     * 1 if {@code fd} is a stream socket, 0 if a socket of another type, -ENOTSOCK if it is no
     * socket (a pipe, a terminal, a file), other -errno (EBADF: not open). One getsockopt(SO_TYPE).
     *
     * @param fd the descriptor
     * @return 1, 0 or -errno
     */
    public abstract int isStreamSocket(int fd);

    /**
     * How {@code fd} was opened: 0 read-only, 1 write-only, 2 read-write (fcntl F_GETFL and
     * O_ACCMODE), or -errno.
     *
     * @param fd the descriptor
     * @return 0, 1, 2 or -errno
     */
    public abstract int accessMode(int fd);

    /**
     * writev(2) of the first {@code count} iovecs of {@code gather}, for a descriptor that is no
     * socket (sendmsg would fail with ENOTSOCK). On a pipe whose reader is gone it is EPIPE:
     * the JVM ignores SIGPIPE.
     *
     * @param fd the descriptor
     * @param gather the iovecs
     * @param count how many
     * @return the bytes written, or -errno
     * @throws IndexOutOfBoundsException if {@code count} is negative or more than the gather's capacity
     */
    public abstract long writeGathered(int fd, Gather gather, int count);

    /**
     * The credentials of a Unix socket's peer as the kernel recorded them when it connected:
     * {@code out[0]} uid, {@code out[1]} gid, {@code out[2]} pid, or -1 where the OS does not
     * tell (FreeBSD). Linux: SO_PEERCRED; the BSDs: getpeereid, and LOCAL_PEERPID on macOS.
     *
     * @param fd a connected Unix-domain socket
     * @param out at least three longs
     * @return 0, or -errno (EINVAL, ENOTSOCK or EOPNOTSUPP-like on a socket of another family)
     */
    public abstract int peerCredentials(int fd, long[] out);
}
