package io.ffpoll.bindings.platform;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.ErrnoName;
import io.ffpoll.bindings.SocketOption;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The socket and descriptor calls the multiplexer needs, on this OS family: one implementation
 * for Linux ({@code bindings.linux}) and one for the BSDs ({@code bindings.bsd}, with its macOS
 * and FreeBSD differences), chosen once at start-up ({@link #current()}). Above this class
 * nothing knows errno numbers, sockaddr layouts or which calls an OS lacks:
 * <ul>
 * <li>{@link #socket} and {@link #accept} give non-blocking, close-on-exec sockets in whatever
 *     way the OS allows (Linux and FreeBSD: {@code SOCK_NONBLOCK}, {@code accept4}; macOS:
 *     {@code fcntl} after the call);</li>
 * <li>writes never raise SIGPIPE ({@code MSG_NOSIGNAL}, or {@code SO_NOSIGPIPE} set on every
 *     socket on macOS), so a vanished peer is an EPIPE;</li>
 * <li>addresses are encoded in the OS's sockaddr (the BSDs start with a length byte);</li>
 * <li>errno values are compared by name ({@link Err}).</li>
 * </ul>
 * Every call returns its result or {@code -errno}, like the bindings under it. A length that
 * does not fit its segment (a count, an address length, a socklen_t's value, a number of
 * iovecs) is a programming error, not an errno: the call throws an
 * {@link IndexOutOfBoundsException} naming itself and both sizes, before reaching the kernel,
 * which is given only the segment's address and would read or write past its end.
 */
public abstract class Platform {

    private final Map<ErrnoName, Integer> errnos = new EnumMap<>(ErrnoName.class);

    /**
     * For the implementations: {@code numbers} in {@link ErrnoName} order.
     *
     * @param numbers the numbers, in ErrnoName order
     */
    protected Platform(int... numbers) {
        ErrnoName[] names = ErrnoName.values();
        if (numbers.length != names.length) {
            throw new IllegalArgumentException("need " + names.length + " errno numbers, got " + numbers.length);
        }
        for (int i = 0; i < names.length; i++) {
            errnos.put(names[i], numbers[i]);
        }
    }

    private static final class Holder {
        static final Platform CURRENT = choose(System.getProperty("os.name", ""));
    }

    /**
     * The platform of this OS, chosen once. On Linux, {@code -Dffpoll.platform.accept=accept}
     * selects the calls of a system without {@code accept4} and {@code SOCK_NONBLOCK} (accept
     * or socket, then fcntl: what macOS needs), so that path is tested on Linux too.
     *
     * @return the platform
     */
    public static Platform current() {
        return Holder.CURRENT;
    }

    private static Platform choose(String os) {
        String name = os.toLowerCase(Locale.ROOT);
        if (name.startsWith("linux")) {
            boolean fallback = "accept".equals(System.getProperty("ffpoll.platform.accept"));
            return io.ffpoll.bindings.linux.LinuxPlatform.create(fallback);
        }
        if (name.startsWith("mac")) {
            return io.ffpoll.bindings.bsd.BsdPlatform.macos();
        }
        if (name.startsWith("freebsd")) {
            return io.ffpoll.bindings.bsd.BsdPlatform.freebsd();
        }
        throw new UnsupportedOperationException("ffpoll has no platform layer for " + os
                + " (Linux, macOS and FreeBSD are supported)");
    }

    /**
     * "linux", "macos" or "freebsd".
     *
     * @return "linux", "macos" or "freebsd"
     */
    public abstract String name();

    /**
     * This OS's number for the errno called {@code name}.
     *
     * @param name the name
     * @return the number
     */
    public final int errno(ErrnoName name) {
        return errnos.get(name);
    }

    /**
     * {@code "ECONNREFUSED (Connection refused)"}, or {@code "errno 97"} for one not named.
     *
     * @param errno the errno value
     * @return the name and text, or the number
     */
    public final String describe(int errno) {
        for (Map.Entry<ErrnoName, Integer> e : errnos.entrySet()) {
            if (e.getValue() == errno) {
                return e.getKey().name() + " (" + e.getKey().text() + ")";
            }
        }
        return "errno " + errno;
    }

    /**
     * Whether several listening sockets on one port share its connections out fairly
     * ({@link SocketOption#REUSE_PORT_BALANCED}): Linux and FreeBSD, not macOS.
     *
     * @return whether listeners on one port are balanced
     */
    public abstract boolean balancesReusePort();

    // ---- descriptors

    /**
     * read(2).
     * @param fd the descriptor
     * @param buf where to put the bytes
     * @param count at most this many
     * @return the bytes read (0: end of file), or -errno
     * @throws IndexOutOfBoundsException if {@code count} is negative or more than {@code buf} holds
     */
    public abstract long read(int fd, MemorySegment buf, long count);

    /**
     * write(2).
     * @param fd the descriptor
     * @param buf the bytes
     * @param count how many
     * @return the bytes written, or -errno
     * @throws IndexOutOfBoundsException if {@code count} is negative or more than {@code buf} holds
     */
    public abstract long write(int fd, MemorySegment buf, long count);

    /**
     * Never retry on EINTR: the descriptor is gone even then, and its number may be reused.
     *
     * @param fd the descriptor
     * @return 0, or -errno
     */
    public abstract int close(int fd);

    /**
     * A close-on-exec duplicate of {@code fd} (the lowest free number from 3).
     *
     * @param fd the descriptor
     * @return the new descriptor, or -errno
     */
    public abstract int duplicate(int fd);

    /**
     * Makes an inherited descriptor non-blocking and close-on-exec: 0 or -errno.
     *
     * @param fd the descriptor
     * @return 0, or -errno
     */
    public abstract int makeNonBlockingCloexec(int fd);

    /**
     * Sets or clears O_NONBLOCK (a blocking client socket for tests and tools): 0 or -errno.
     *
     * @param fd the descriptor
     * @param blocking true for blocking, false for non-blocking
     * @return 0, or -errno
     */
    public abstract int setBlocking(int fd, boolean blocking);

    /**
     * 1 if {@code fd} is non-blocking, 0 if not, -errno (EBADF: not open).
     *
     * @param fd the descriptor
     * @return 1, 0, or -errno
     */
    public abstract int isNonBlocking(int fd);

    /**
     * 1 if {@code fd} is close-on-exec, 0 if not, -errno (EBADF: not open).
     *
     * @param fd the descriptor
     * @return 1, 0, or -errno
     */
    public abstract int isCloseOnExec(int fd);

    // ---- sockets

    /**
     * A TCP socket for {@code family} ({@link #family}), non-blocking, close-on-exec, no SIGPIPE.
     *
     * @param family AF_INET or AF_INET6 ({@link #family})
     * @return the socket, or -errno
     */
    public abstract int socket(int family);

    /**
     * Accepts a connection: its fd (non-blocking, close-on-exec, no SIGPIPE) or -errno (EAGAIN:
     * none waiting). The peer's address goes to {@code addr} ({@link #allocateSockaddr}) and its
     * length to the socklen_t {@code addrLen}, which holds addr's size on entry; either may be
     * NULL.
     *
     * @param listenFd a listening, non-blocking socket
     * @param addr a sockaddr_storage ({@link #allocateSockaddr})
     * @param addrLen a socklen_t holding addr's size
     * @return the new socket, or -errno
     * @throws IndexOutOfBoundsException if {@code addr} is not NULL and {@code addrLen} is smaller
     *         than a socklen_t, or holds a value that is negative or more than {@code addr} holds
     * @throws IllegalArgumentException if {@code addr} is not NULL but {@code addrLen} is NULL
     */
    public abstract int accept(int listenFd, MemorySegment addr, MemorySegment addrLen);

    /**
     * bind(2).
     * @param fd the socket
     * @param addr the address ({@link #encode})
     * @param length its length
     * @return 0, or -errno
     * @throws IndexOutOfBoundsException if {@code length} is negative or more than {@code addr} holds
     */
    public abstract int bind(int fd, MemorySegment addr, int length);

    /**
     * listen(2).
     * @param fd the socket
     * @param backlog the backlog
     * @return 0, or -errno
     */
    public abstract int listen(int fd, int backlog);

    /**
     * On a non-blocking socket, -EINPROGRESS means: wait until writable, then read {@link #socketError}.
     *
     * @param fd the descriptor
     * @param addr a sockaddr_storage ({@link #allocateSockaddr})
     * @param length the length in bytes
     * @return 0, or -errno (-EINPROGRESS: under way)
     * @throws IndexOutOfBoundsException if {@code length} is negative or more than {@code addr} holds
     */
    public abstract int connect(int fd, MemorySegment addr, int length);

    /**
     * {@code addrLen} holds addr's size on entry and the address length on return.
     *
     * @param fd the descriptor
     * @param addr a sockaddr_storage ({@link #allocateSockaddr})
     * @param addrLen a socklen_t holding addr's size
     * @return 0, or -errno
     * @throws IndexOutOfBoundsException if {@code addrLen} is smaller than a socklen_t, or holds
     *         a value that is negative or more than {@code addr} holds
     */
    public abstract int getsockname(int fd, MemorySegment addr, MemorySegment addrLen);

    /**
     * shutdown(SHUT_WR): FIN after what is sent.
     *
     * @param fd the descriptor
     * @return 0, or -errno
     */
    public abstract int shutdownOutput(int fd);

    /**
     * setsockopt(2) of an int option.
     * @param fd the socket
     * @param option the option
     * @param value the value
     * @return 0, or -errno
     */
    public abstract int setOption(int fd, SocketOption option, int value);

    /**
     * getsockopt(2) of an int option.
     * @param fd the socket
     * @param option the option
     * @return the value, or -errno
     */
    public abstract int getOption(int fd, SocketOption option);

    /**
     * The socket's pending error (SO_ERROR, 0 for none; positive), or -errno if it cannot be read.
     *
     * @param fd the descriptor
     * @return the pending error (0: none), or -errno
     */
    public abstract int socketError(int fd);

    /**
     * SO_LINGER {on, 0}: close then drops what is unsent and resets the connection.
     *
     * @param fd the descriptor
     * @return 0, or -errno
     */
    public abstract int resetOnClose(int fd);

    /**
     * send(2) of {@code length} bytes, never raising SIGPIPE; {@code nonBlocking} adds MSG_DONTWAIT.
     *
     * @param fd the descriptor
     * @param buf the memory
     * @param length the length in bytes
     * @param nonBlocking true to add MSG_DONTWAIT
     * @return the bytes sent, or -errno
     * @throws IndexOutOfBoundsException if {@code length} is negative or more than {@code buf} holds
     */
    public abstract long send(int fd, MemorySegment buf, long length, boolean nonBlocking);

    /**
     * sendmsg(2) of the first {@code count} iovecs of {@code gather}, never raising SIGPIPE.
     *
     * @param fd the descriptor
     * @param gather the iovecs and msghdr
     * @param count how many
     * @return the bytes sent, or -errno
     * @throws IndexOutOfBoundsException if {@code count} is negative or more than the gather's
     *         {@link Gather#capacity() capacity}
     */
    public abstract long sendGathered(int fd, Gather gather, int count);

    /**
     * Memory for gathering sends of up to {@code iovecs} buffers.
     *
     * @param arena the arena that owns the memory
     * @param iovecs how many iovecs
     * @return the iovecs and msghdr
     */
    public final Gather allocateGather(Arena arena, int iovecs) {
        MemorySegment iov = arena.allocate(16L * iovecs, 8);
        MemorySegment msghdr = arena.allocate(msghdrSize(), 8);
        pointMsghdr(msghdr, iov);
        return new Gather(iov, msghdr, iovecs);
    }

    /**
     * {@code sizeof(struct msghdr)}.
     *
     * @return the size in bytes
     */
    protected abstract long msghdrSize();

    /**
     * Points a zeroed msghdr at the iovec array {@code iov}.
     *
     * @param msghdr the msghdr
     * @param iov the iovec array
     */
    protected abstract void pointMsghdr(MemorySegment msghdr, MemorySegment iov);

    // ---- addresses

    /**
     * AF_INET or AF_INET6, as this OS numbers them, for {@code address}.
     *
     * @param address the address
     * @return the family number
     */
    public abstract int family(InetSocketAddress address);

    /**
     * {@code sizeof(struct sockaddr_storage)}.
     *
     * @return the size in bytes
     */
    public abstract long sockaddrSize();

    /**
     * A zeroed sockaddr_storage.
     *
     * @param arena the arena that owns the memory
     * @return the memory
     */
    public final MemorySegment allocateSockaddr(Arena arena) {
        return arena.allocate(sockaddrSize(), 8);
    }

    /**
     * Writes the resolved {@code address} into {@code dst} and returns its length (the
     * socklen_t to pass with it).
     *
     * @throws IllegalArgumentException if the address is unresolved
     * @throws IndexOutOfBoundsException if {@code dst} is smaller than {@link #sockaddrSize()}
     * @param address the address
     * @param dst a sockaddr_storage to write into
     * @return the address length
     */
    public abstract int encode(InetSocketAddress address, MemorySegment dst);

    /**
     * The IPv4 or IPv6 address in {@code src}; null for another family.
     *
     * @param src a sockaddr_storage
     * @return the address, or null
     * @throws IndexOutOfBoundsException if {@code src} is too small for its family's sockaddr
     */
    public abstract InetSocketAddress decode(MemorySegment src);

    // ---- limits

    /**
     * RLIMIT_NOFILE's soft limit: how many descriptors this process may have open
     * ({@code Long.MAX_VALUE} if unlimited), or -errno.
     *
     * @return the limit, or -errno
     */
    public abstract long openFileLimit();

    // ---- typed socket options (issue 20)

    /**
     * Whether this OS has {@code option}. {@link #setOption} and {@link #getOption} of one it
     * lacks throw an {@link UnsupportedOperationException} naming the option and the OS, before
     * any call: an option is never silently ignored.
     *
     * @param option the option
     * @return whether this OS has it
     */
    public abstract boolean supports(SocketOption option);

    /**
     * The exception for {@code option} on an OS that lacks it.
     *
     * @param option the option
     * @return the exception, naming the option and this OS
     */
    protected final UnsupportedOperationException unsupported(SocketOption option) {
        return new UnsupportedOperationException("socket option " + option + " is not available on " + name());
    }

    /**
     * SO_LINGER, in seconds (macOS: SO_LINGER_SEC; its SO_LINGER counts clock ticks).
     *
     * @param fd the socket
     * @param on whether close lingers (with 0 seconds: resets the connection)
     * @param seconds how long close may wait for unsent data, at least 0
     * @return 0, or -errno
     */
    public abstract int setLinger(int fd, boolean on, int seconds);

    /**
     * SO_LINGER as it is: {@code onAndSeconds[0]} gets 1 (on) or 0 (off), {@code [1]} the seconds.
     *
     * @param fd the socket
     * @param onAndSeconds two ints to fill
     * @return 0, or -errno
     */
    public abstract int getLinger(int fd, int[] onAndSeconds);

    /**
     * Whether {@link #tcpInfo} is available: Linux's {@code struct tcp_info} (FreeBSD's has
     * another layout and macOS has only TCP_CONNECTION_INFO; neither is bound).
     *
     * @return whether TCP_INFO can be read here
     */
    public abstract boolean hasTcpInfo();

    /**
     * TCP_INFO of a TCP socket into {@code fields}, indexed by {@link TcpInfoField#ordinal()}.
     *
     * @param fd the socket
     * @param fields at least {@link TcpInfoField#COUNT} ints
     * @return 0, or -errno (ENOPROTOOPT: not a TCP socket)
     * @throws UnsupportedOperationException where {@link #hasTcpInfo()} is false
     */
    public abstract int tcpInfo(int fd, int[] fields);

    /**
     * The IP version of the socket {@code fd} is, from its bound address's family.
     *
     * @param fd the socket
     * @return 4 (AF_INET), 6 (AF_INET6), 0 for another family, or -errno
     */
    public abstract int ipVersion(int fd);

    // ---- Unix-domain sockets, and stream descriptors that are not sockets

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
     * @param dst a sockaddr_storage ({@link #allocateSockaddr})
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
     * @param addr a sockaddr_storage ({@link #allocateSockaddr})
     * @param addrLen a socklen_t holding addr's size
     * @return 0, or -errno
     */
    public abstract int getpeername(int fd, MemorySegment addr, MemorySegment addrLen);

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

    // ---- datagrams

    private volatile DatagramCalls datagrams;

    /**
     * The datagram (UDP) calls of this OS: a batch in one call on Linux, one call per datagram
     * on the BSDs ({@link DatagramCalls}). Made on first use.
     *
     * @return the calls
     */
    public final DatagramCalls datagrams() {
        DatagramCalls d = datagrams;
        if (d == null) {
            d = DatagramCalls.of(this);
            datagrams = d;
        }
        return d;
    }

    /**
     * Descriptor passing over Unix sockets ({@code SCM_RIGHTS}) on this OS.
     *
     * @return sendmsg and recvmsg with descriptors, and socketpair, for this OS
     */
    public FdPassing fdPassing() {
        return switch (name()) {
            case "linux" -> io.ffpoll.bindings.linux.LinuxFdPassing.INSTANCE;
            case "macos" -> io.ffpoll.bindings.bsd.BsdFdPassing.MACOS;
            case "freebsd" -> io.ffpoll.bindings.bsd.BsdFdPassing.FREEBSD;
            default -> throw new UnsupportedOperationException("descriptor passing on " + name());
        };
    }
}
