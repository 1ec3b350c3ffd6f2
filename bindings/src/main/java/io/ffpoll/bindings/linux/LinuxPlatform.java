package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.platform.OptionCalls;
import io.ffpoll.bindings.platform.UnixCalls;
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
    static final int NONBLOCK_CLOEXEC = Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC;
    private final boolean fcntlAfter;
    private final LinuxOptionCalls options = new LinuxOptionCalls();
    private final LinuxUnixCalls unix;

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
        this.unix = new LinuxUnixCalls(this, fcntlAfter);
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
    public OptionCalls options() {
        return options;
    }

    @Override
    public UnixCalls unix() {
        return unix;
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

    @Override
    public long send(int fd, MemorySegment buf, long length, boolean nonBlocking) {
        return Sockets.send(fd, buf, length, Sockets.MSG_NOSIGNAL | (nonBlocking ? Sockets.MSG_DONTWAIT : 0));
    }

    @Override
    public long sendGathered(int fd, Gather gather, int count) {
        setGatherCount(gather, count);
        return Sockets.sendmsg(fd, gather.msghdr(), Sockets.MSG_NOSIGNAL);
    }

    // <sys/socket.h>: MSG_MORE is 0x8000 on every Linux architecture (not in the generated header).
    private static final int MSG_MORE = 0x8000;

    @Override
    public long sendGatheredWithMore(int fd, Gather gather, int count) {
        setGatherCount(gather, count);
        return Sockets.sendmsg(fd, gather.msghdr(), Sockets.MSG_NOSIGNAL | MSG_MORE);
    }

    @Override
    public void setGatherCount(Gather gather, int count) {
        Bounds.count("sendmsg", "count", count, gather.capacity(), "gather", "iovecs");
        gather.msghdr().set(ValueLayout.JAVA_LONG, MSG_IOVLEN, count); // size_t on Linux
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
}
