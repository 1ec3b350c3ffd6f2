package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.SocketOption;
import io.ffpoll.bindings.internal.Bounds;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;

/**
 * {@link Platform} on Linux, over the jextract-generated bindings: accept4 and
 * SOCK_NONBLOCK|SOCK_CLOEXEC, MSG_NOSIGNAL, SO_REUSEPORT (balanced by the kernel), glibc's errno
 * numbers. {@link #create(boolean) create(true)} uses instead the calls of a system without
 * accept4 or SOCK_NONBLOCK (macOS): accept or socket, then fcntl, so that path runs here too.
 */
public final class LinuxPlatform extends Platform {
    private static final int NONBLOCK_CLOEXEC = Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC;
    private final boolean fcntlAfter;

    private LinuxPlatform(boolean fcntlAfter) {
        super(ErrnoCodes.EPERM, ErrnoCodes.ENOENT, ErrnoCodes.EINTR, ErrnoCodes.EBADF, ErrnoCodes.EAGAIN,
                ErrnoCodes.ENOMEM, ErrnoCodes.EEXIST, ErrnoCodes.EINVAL, ErrnoCodes.ENFILE, ErrnoCodes.EMFILE,
                ErrnoCodes.EPIPE, ErrnoCodes.ENOSYS, ErrnoCodes.EPROTO, ErrnoCodes.ENOTSOCK, ErrnoCodes.EADDRINUSE,
                ErrnoCodes.EADDRNOTAVAIL, ErrnoCodes.ENETUNREACH, ErrnoCodes.ECONNABORTED, ErrnoCodes.ECONNRESET,
                ErrnoCodes.ENOBUFS, ErrnoCodes.EISCONN, ErrnoCodes.ENOTCONN, ErrnoCodes.ETIMEDOUT,
                ErrnoCodes.ECONNREFUSED, ErrnoCodes.EHOSTUNREACH, ErrnoCodes.EALREADY, ErrnoCodes.EINPROGRESS,
                ErrnoCodes.EACCES, ErrnoCodes.EMSGSIZE, ErrnoCodes.ENOPROTOOPT, ErrnoCodes.EAFNOSUPPORT,
                ErrnoCodes.ENAMETOOLONG, ErrnoCodes.EPROTOTYPE);
        this.fcntlAfter = fcntlAfter;
    }

    /** The Linux platform; {@code fcntlAfter}: without accept4 and SOCK_NONBLOCK, as on macOS. */
    public static LinuxPlatform create(boolean fcntlAfter) {
        return new LinuxPlatform(fcntlAfter);
    }

    /** Whether this is the accept-then-fcntl variant. */
    public boolean fcntlAfter() {
        return fcntlAfter;
    }

    @Override
    public String name() {
        return "linux";
    }

    @Override
    public boolean balancesReusePort() {
        return true;
    }

    @Override
    public long read(int fd, MemorySegment buf, long count) {
        return Fd.read(fd, buf, count);
    }

    @Override
    public long write(int fd, MemorySegment buf, long count) {
        return Fd.write(fd, buf, count);
    }

    @Override
    public int close(int fd) {
        return Fd.close(fd);
    }

    @Override
    public int duplicate(int fd) {
        return Fd.fcntl(fd, Fd.F_DUPFD_CLOEXEC, 3);
    }

    @Override
    public int makeNonBlockingCloexec(int fd) {
        int flags = Fd.fcntl(fd, Fd.F_GETFL, 0);
        if (flags < 0) {
            return flags;
        }
        int r = Fd.fcntl(fd, Fd.F_SETFL, flags | Fd.O_NONBLOCK);
        return r < 0 ? r : Math.min(0, Fd.fcntl(fd, Fd.F_SETFD, Fd.FD_CLOEXEC));
    }

    @Override
    public int setBlocking(int fd, boolean blocking) {
        int flags = Fd.fcntl(fd, Fd.F_GETFL, 0);
        if (flags < 0) {
            return flags;
        }
        int wanted = blocking ? flags & ~Fd.O_NONBLOCK : flags | Fd.O_NONBLOCK;
        return Math.min(0, Fd.fcntl(fd, Fd.F_SETFL, wanted));
    }

    @Override
    public int isNonBlocking(int fd) {
        int flags = Fd.fcntl(fd, Fd.F_GETFL, 0);
        return flags < 0 ? flags : (flags & Fd.O_NONBLOCK) != 0 ? 1 : 0;
    }

    @Override
    public int isCloseOnExec(int fd) {
        int flags = Fd.fcntl(fd, Fd.F_GETFD, 0);
        return flags < 0 ? flags : (flags & Fd.FD_CLOEXEC) != 0 ? 1 : 0;
    }

    /** What macOS must do after socket() and accept(): both flags by fcntl. Closes fd on failure. */
    private int afterFcntl(int fd) {
        int r = makeNonBlockingCloexec(fd);
        if (r < 0) {
            Fd.close(fd);
            return r;
        }
        return fd;
    }

    @Override
    public int socket(int family) {
        if (fcntlAfter) {
            int fd = Sockets.socket(family, Sockets.SOCK_STREAM, 0);
            return fd < 0 ? fd : afterFcntl(fd);
        }
        return Sockets.socket(family, Sockets.SOCK_STREAM | NONBLOCK_CLOEXEC, 0);
    }

    @Override
    public int accept(int listenFd, MemorySegment addr, MemorySegment addrLen) {
        if (fcntlAfter) {
            int fd = Sockets.accept(listenFd, addr, addrLen);
            return fd < 0 ? fd : afterFcntl(fd);
        }
        return Sockets.accept4(listenFd, addr, addrLen, NONBLOCK_CLOEXEC);
    }

    @Override
    public int bind(int fd, MemorySegment addr, int length) {
        return Sockets.bind(fd, addr, length);
    }

    @Override
    public int listen(int fd, int backlog) {
        return Sockets.listen(fd, backlog);
    }

    @Override
    public int connect(int fd, MemorySegment addr, int length) {
        return Sockets.connect(fd, addr, length);
    }

    @Override
    public int getsockname(int fd, MemorySegment addr, MemorySegment addrLen) {
        return Sockets.getsockname(fd, addr, addrLen);
    }

    @Override
    public int shutdownOutput(int fd) {
        return Sockets.shutdown(fd, Sockets.SHUT_WR);
    }

    private static int level(SocketOption o) {
        return switch (o) {
            case REUSE_ADDRESS, REUSE_PORT_BALANCED, SEND_BUFFER, RECEIVE_BUFFER, KEEP_ALIVE, SO_BUSY_POLL ->
                    Sockets.SOL_SOCKET;
            case IP_TOS -> SockOpts.IPPROTO_IP;
            case IPV6_TCLASS -> Sockets.IPPROTO_IPV6;
            default -> Sockets.IPPROTO_TCP;
        };
    }

    /** The option's number, or -1 for one Linux lacks (TCP_NOPUSH: TCP_CORK is Linux's). */
    private static int number(SocketOption o) {
        return switch (o) {
            case REUSE_ADDRESS -> Sockets.SO_REUSEADDR;
            case REUSE_PORT_BALANCED -> Sockets.SO_REUSEPORT;
            case TCP_NODELAY -> Sockets.TCP_NODELAY;
            case SEND_BUFFER -> Sockets.SO_SNDBUF;
            case RECEIVE_BUFFER -> Sockets.SO_RCVBUF;
            case KEEP_ALIVE -> Sockets.SO_KEEPALIVE;
            case TCP_KEEPIDLE -> SockOpts.TCP_KEEPIDLE;
            case TCP_KEEPINTVL -> SockOpts.TCP_KEEPINTVL;
            case TCP_KEEPCNT -> SockOpts.TCP_KEEPCNT;
            case TCP_USER_TIMEOUT -> SockOpts.TCP_USER_TIMEOUT;
            case TCP_FASTOPEN -> SockOpts.TCP_FASTOPEN;
            case TCP_FASTOPEN_CONNECT -> SockOpts.TCP_FASTOPEN_CONNECT;
            case TCP_DEFER_ACCEPT -> SockOpts.TCP_DEFER_ACCEPT;
            case TCP_CORK -> SockOpts.TCP_CORK;
            case TCP_NOPUSH -> -1;
            case SO_BUSY_POLL -> SockOpts.SO_BUSY_POLL;
            case IP_TOS -> SockOpts.IP_TOS;
            case IPV6_TCLASS -> SockOpts.IPV6_TCLASS;
        };
    }

    // An option Linux lacks throws UnsupportedOperationException before any call.
    @Override
    public int setOption(int fd, SocketOption option, int value) {
        int number = number(option);
        if (number < 0) {
            throw unsupported(option);
        }
        return Sockets.setsockopt(fd, level(option), number, value);
    }

    // An option Linux lacks throws UnsupportedOperationException before any call.
    @Override
    public int getOption(int fd, SocketOption option) {
        int number = number(option);
        if (number < 0) {
            throw unsupported(option);
        }
        return Sockets.getsockopt(fd, level(option), number);
    }

    @Override
    public int socketError(int fd) {
        return Sockets.getsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_ERROR);
    }

    @Override
    public int resetOnClose(int fd) {
        return Sockets.setLinger(fd, true, 0);
    }

    @Override
    public long send(int fd, MemorySegment buf, long length, boolean nonBlocking) {
        return Sockets.send(fd, buf, length, Sockets.MSG_NOSIGNAL | (nonBlocking ? Sockets.MSG_DONTWAIT : 0));
    }

    @Override
    public long sendGathered(int fd, Gather gather, int count) {
        Bounds.count("sendmsg", "count", count, gather.capacity(), "gather", "iovecs");
        gather.msghdr().set(ValueLayout.JAVA_LONG, MSG_IOVLEN, count); // size_t on Linux
        return Sockets.sendmsg(fd, gather.msghdr(), Sockets.MSG_NOSIGNAL);
    }

    private static final long MSG_IOVLEN = io.ffpoll.bindings.linux.gen.msghdr.msg_iovlen$offset();

    @Override
    protected long msghdrSize() {
        return io.ffpoll.bindings.linux.gen.msghdr.layout().byteSize();
    }

    @Override
    protected void pointMsghdr(MemorySegment msghdr, MemorySegment iov) {
        Sockets.setMsgIov(msghdr, iov, 0);
    }

    @Override
    public int family(InetSocketAddress address) {
        return SockAddr.family(address);
    }

    @Override
    public long sockaddrSize() {
        return SockAddr.STORAGE_SIZE;
    }

    @Override
    public int encode(InetSocketAddress address, MemorySegment dst) {
        return SockAddr.encode(address, dst);
    }

    @Override
    public InetSocketAddress decode(MemorySegment src) {
        return SockAddr.decode(src);
    }

    @Override
    public long openFileLimit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rlim = Resource.allocateRlimit(arena);
            int r = Resource.getrlimit(Resource.RLIMIT_NOFILE, rlim);
            if (r < 0) {
                return r;
            }
            long soft = Resource.rlim_cur(rlim);
            return soft == Resource.RLIM_INFINITY ? Long.MAX_VALUE : soft;
        }
    }

    // ---- Unix-domain sockets, and stream descriptors that are not sockets

    @Override
    public int unixFamily() {
        return UnixSockets.AF_UNIX;
    }

    @Override
    public int unixStreamSocket() {
        return socket(UnixSockets.AF_UNIX);
    }

    @Override
    public int unixStreamPair(int[] fds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pair = arena.allocate(ValueLayout.JAVA_INT, 2);
            int r = UnixSockets.socketpair(UnixSockets.AF_UNIX,
                    Sockets.SOCK_STREAM | (fcntlAfter ? 0 : NONBLOCK_CLOEXEC), 0, pair);
            if (r < 0) {
                return r;
            }
            return bothOrNeither(pair, fds);
        }
    }

    @Override
    public int pipe(int[] fds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pair = arena.allocate(ValueLayout.JAVA_INT, 2);
            int r = UnixSockets.pipe2(pair, fcntlAfter ? 0 : Fd.O_NONBLOCK | UnixSockets.O_CLOEXEC);
            if (r < 0) {
                return r;
            }
            return bothOrNeither(pair, fds);
        }
    }

    /** Hands out both descriptors (after fcntl, in the fallback), or closes both. */
    private int bothOrNeither(MemorySegment pair, int[] fds) {
        int a = pair.get(ValueLayout.JAVA_INT, 0);
        int b = pair.get(ValueLayout.JAVA_INT, 4);
        if (fcntlAfter) {
            int r = makeNonBlockingCloexec(a);
            if (r == 0) {
                r = makeNonBlockingCloexec(b);
            }
            if (r < 0) {
                Fd.close(a);
                Fd.close(b);
                return r;
            }
        }
        fds[0] = a;
        fds[1] = b;
        return 0;
    }

    @Override
    public boolean hasAbstractUnixNames() {
        return true;
    }

    @Override
    public int maxUnixNameBytes() {
        return (int) UnixSockets.PATH_CAPACITY - 1;
    }

    @Override
    public int encodeUnix(byte[] name, boolean abstractName, MemorySegment dst) {
        return UnixSockets.encode(name, abstractName, dst);
    }

    @Override
    public byte[] decodeUnix(MemorySegment src, int length) {
        return UnixSockets.decode(src, length);
    }

    @Override
    public int sockaddrFamily(MemorySegment src) {
        Bounds.struct("sockaddrFamily", "sa_family", 2, "src", src);
        return Short.toUnsignedInt(src.get(ValueLayout.JAVA_SHORT, 0));
    }

    @Override
    public int getpeername(int fd, MemorySegment addr, MemorySegment addrLen) {
        return UnixSockets.getpeername(fd, addr, addrLen);
    }

    @Override
    public int isStreamSocket(int fd) {
        int type = Sockets.getsockopt(fd, Sockets.SOL_SOCKET, UnixSockets.SO_TYPE);
        return type < 0 ? type : type == Sockets.SOCK_STREAM ? 1 : 0;
    }

    @Override
    public int accessMode(int fd) {
        int flags = Fd.fcntl(fd, Fd.F_GETFL, 0);
        return flags < 0 ? flags : flags & O_ACCMODE;
    }

    /**
     * O_ACCMODE: O_RDONLY 0, O_WRONLY 1, O_RDWR 2 in glibc's fcntl.h and in every BSD's
     * (POSIX leaves the numbers open; these three have never differed). Not in the generated
     * constants, hence here.
     */
    static final int O_ACCMODE = 3;

    @Override
    public long writeGathered(int fd, Gather gather, int count) {
        Bounds.count("writev", "count", count, gather.capacity(), "gather", "iovecs");
        return Fd.writev(fd, gather.iovecs(), count);
    }

    @Override
    public int peerCredentials(int fd, long[] out) {
        return UnixSockets.peerCredentials(fd, out);
    }

    // ---- typed socket options (issue 20)

    @Override
    public boolean supports(SocketOption option) {
        return number(option) >= 0;
    }

    @Override
    public int setLinger(int fd, boolean on, int seconds) {
        return Sockets.setLinger(fd, on, seconds);
    }

    @Override
    public int getLinger(int fd, int[] onAndSeconds) {
        return SockOpts.getLinger(fd, onAndSeconds);
    }

    @Override
    public boolean hasTcpInfo() {
        return true;
    }

    @Override
    public int tcpInfo(int fd, int[] fields) {
        return SockOpts.tcpInfo(fd, fields);
    }

    @Override
    public int ipVersion(int fd) {
        int family = SockOpts.family(fd);
        return family < 0 ? family : family == Sockets.AF_INET ? 4 : family == Sockets.AF_INET6 ? 6 : 0;
    }
}
