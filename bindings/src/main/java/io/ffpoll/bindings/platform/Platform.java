package io.ffpoll.bindings.platform;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.ErrnoName;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.Locale;

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

    private final ErrnoTable errnos;

    /**
     * For the implementations: {@code numbers} in {@link ErrnoName} order.
     *
     * @param numbers the numbers, in ErrnoName order
     */
    protected Platform(int... numbers) {
        errnos = new ErrnoTable(numbers);
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

    /**
     * The system property naming a class whose {@code public static create()} makes the
     * platform, instead of the one of this OS: for a platform the tests bring, such as the
     * NetBSD rump kernel's (whose descriptors are not the host's). Read once, with the choice.
     */
    public static final String PROVIDER_PROPERTY = "ffpoll.platform.provider";

    private static Platform choose(String os) {
        String provider = System.getProperty(PROVIDER_PROPERTY, "");
        if (!provider.isEmpty()) {
            try {
                ClassLoader loader = Thread.currentThread().getContextClassLoader();
                Class<?> c = Class.forName(provider, true, loader != null ? loader : Platform.class.getClassLoader());
                return Platform.class.cast(c.getMethod("create").invoke(null));
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw new IllegalStateException("-D" + PROVIDER_PROPERTY + "=" + provider + ": create() threw " + e.getCause(),
                        e.getCause());
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("-D" + PROVIDER_PROPERTY + "=" + provider + ": " + e, e);
            }
        }
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
        return errnos.number(name);
    }

    /**
     * {@code "ECONNREFUSED (Connection refused)"}, or {@code "errno 97"} for one not named.
     *
     * @param errno the errno value
     * @return the name and text, or the number
     */
    public final String describe(int errno) {
        return errnos.describe(errno);
    }

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
     * On a non-blocking socket, -EINPROGRESS means: wait until writable, then read {@link OptionCalls#socketError}.
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
     * {@link #sendGathered(int, Gather, int)}, telling the kernel more follows at once (Linux's
     * MSG_MORE: a response's head and the file sent after it leave in full segments, not the
     * head alone). Where the OS has no such flag, a plain sendGathered.
     *
     * @param fd the descriptor
     * @param gather the iovecs and msghdr
     * @param count how many
     * @return the bytes sent, or -errno
     */
    public long sendGatheredWithMore(int fd, Gather gather, int count) {
        return sendGathered(fd, gather, count);
    }

    /**
     * Makes {@code gather}'s msghdr describe its first {@code count} iovecs, as
     * {@link #sendGathered} does before its call: for a sendmsg that another party makes later
     * with the msghdr (an io_uring SQE).
     *
     * @param gather the iovecs and msghdr
     * @param count how many
     * @throws IndexOutOfBoundsException if {@code count} is negative or more than the gather's
     *         {@link Gather#capacity() capacity}
     */
    public abstract void setGatherCount(Gather gather, int count);

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

    // ---- the calls beside these: socket options, Unix sockets and pipes, datagrams, fd passing

    /** {@return the socket options of this OS ({@link OptionCalls})} */
    public abstract OptionCalls options();

    /** {@return the Unix-domain socket calls of this OS, and those for pipes and other streams ({@link UnixCalls})} */
    public abstract UnixCalls unix();

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

    /**
     * Opening, inspecting and sending files on this OS ({@link FileCalls}): sendfile on Linux;
     * on the BSDs callers read the file and send it.
     *
     * @return the file calls of this OS
     * @throws UnsupportedOperationException on a Linux architecture whose struct stat is not
     *     known here (other than x86-64 and arm64)
     */
    public FileCalls files() {
        return switch (name()) {
            case "linux" -> {
                if (!io.ffpoll.bindings.linux.LinuxFileCalls.knowsThisArchitecture()) {
                    throw new UnsupportedOperationException("ffpoll's file calls know x86-64 and arm64 Linux, not "
                            + System.getProperty("os.arch"));
                }
                yield io.ffpoll.bindings.linux.LinuxFileCalls.INSTANCE;
            }
            case "macos", "freebsd" -> io.ffpoll.bindings.bsd.BsdPlatform.fileCalls(name());
            default -> throw new UnsupportedOperationException("file calls on " + name());
        };
    }
}