package io.ffpoll.bindings.testing.rump;

import io.ffpoll.bindings.bsd.BsdAbi;
import io.ffpoll.bindings.bsd.BsdPlatform;
import io.ffpoll.bindings.bsd.KeventCalls;
import io.ffpoll.bindings.bsd.KqueuePlatform;
import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.OptionCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.platform.UnixCalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;

/**
 * The {@link Platform} of the tests that run on a NetBSD rump kernel ({@link RumpKernel}): every
 * socket and descriptor call goes to the rump kernel's system calls, with NetBSD's numbers
 * ({@link BsdAbi#NETBSD}), and {@link #keventCalls()} gives its kqueue, so the kqueue backend,
 * the loop and the connection code run unchanged over NetBSD's kernel. Made by
 * {@link #create()} when {@code Platform.current()} is first asked for, with
 * {@code -Dffpoll.platform.provider} naming this class ({@link Rump#require()} sets it).
 *
 * <p>Its descriptors are the rump kernel's, not the host's: a java.net client cannot reach its
 * sockets, and there are no files, pipes or descriptor passing here. Addresses are encoded as
 * NetBSD's (with {@code sin_len}) by {@link BsdPlatform#netbsd()}, which calls nothing itself.
 */
public final class RumpPlatform extends Platform implements KqueuePlatform {
    private static final int MAX_FILES = 16384;
    private final RumpCalls calls;
    private final RumpKevent kevent;
    private final BsdPlatform addresses = BsdPlatform.netbsd();
    private final BsdAbi abi = BsdAbi.NETBSD;
    private final RumpOptions options;
    private final RumpUnix unix;

    private RumpPlatform(RumpCalls calls) {
        super(BsdAbi.NETBSD.errnos());
        this.calls = calls;
        this.kevent = new RumpKevent(calls);
        this.options = new RumpOptions(calls);
        this.unix = new RumpUnix(calls);
    }

    /**
     * Boots the kernel of {@code -Dffpoll.rump} (once) and binds its calls. The kernel's
     * {@code maxfiles} (the ceiling of every descriptor limit) is 1,772 here: too few for the
     * suites' thousand connections (two thousand descriptors). This rump kernel has no
     * kern.maxfiles sysctl node (ENOENT), so the variable itself is raised, then the limit, as
     * the tests' JVM has its own limit raised.
     */
    public static RumpPlatform create() {
        RumpKernel kernel = RumpKernel.get();
        RumpCalls calls = new RumpCalls(kernel);
        kernel.symbol("rumpns_maxfiles").reinterpret(4).set(ValueLayout.JAVA_INT, 0, MAX_FILES);
        // Likewise kern.somaxconn (128: listen's backlog is clamped to it, and a burst of
        // connects beyond it is reset or times out) and kern.sbmax (256 KiB: a larger SO_RCVBUF
        // is ENOBUFS), which a BSD host's administrator raises by sysctl; the suites assume
        // Linux's larger defaults.
        kernel.symbol("rumpns_somaxconn").reinterpret(4).set(ValueLayout.JAVA_INT, 0, 4096);
        kernel.setSbMax(8L << 20);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rlim = arena.allocate(BsdAbi.RLIMIT_SIZE, 8);
            rlim.set(ValueLayout.JAVA_LONG, 0, MAX_FILES);
            rlim.set(ValueLayout.JAVA_LONG, 8, MAX_FILES);
            calls.setrlimit(BsdAbi.RLIMIT_NOFILE, rlim); // the rump process is root: it may raise both
        }
        return new RumpPlatform(calls);
    }

    /** The kernel's calls, for the relay's shutdown of a reading side. */
    RumpCalls calls() {
        return calls;
    }

    @Override
    public KeventCalls keventCalls() {
        return kevent;
    }

    @Override
    public String name() {
        return "netbsd";
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
        Bounds.length("read", "count", count, "buf", buf);
        return calls.read(fd, buf, count);
    }

    @Override
    public long write(int fd, MemorySegment buf, long count) {
        Bounds.length("write", "count", count, "buf", buf);
        return calls.write(fd, buf, count);
    }

    @Override
    public int close(int fd) {
        return calls.close(fd);
    }

    @Override
    public int duplicate(int fd) {
        return calls.fcntl(fd, abi.fDupfdCloexec, 3);
    }

    @Override
    public int makeNonBlockingCloexec(int fd) {
        int flags = calls.fcntl(fd, BsdAbi.F_GETFL, 0);
        if (flags < 0) {
            return flags;
        }
        int r = calls.fcntl(fd, BsdAbi.F_SETFL, flags | BsdAbi.O_NONBLOCK);
        return r < 0 ? r : Math.min(0, calls.fcntl(fd, BsdAbi.F_SETFD, BsdAbi.FD_CLOEXEC));
    }

    @Override
    public int setBlocking(int fd, boolean blocking) {
        int flags = calls.fcntl(fd, BsdAbi.F_GETFL, 0);
        if (flags < 0) {
            return flags;
        }
        int wanted = blocking ? flags & ~BsdAbi.O_NONBLOCK : flags | BsdAbi.O_NONBLOCK;
        return Math.min(0, calls.fcntl(fd, BsdAbi.F_SETFL, wanted));
    }

    @Override
    public int isNonBlocking(int fd) {
        int flags = calls.fcntl(fd, BsdAbi.F_GETFL, 0);
        return flags < 0 ? flags : (flags & BsdAbi.O_NONBLOCK) != 0 ? 1 : 0;
    }

    @Override
    public int isCloseOnExec(int fd) {
        int flags = calls.fcntl(fd, BsdAbi.F_GETFD, 0);
        return flags < 0 ? flags : (flags & BsdAbi.FD_CLOEXEC) != 0 ? 1 : 0;
    }

    /**
     * TCP_NODELAY on every TCP socket: this is a real TCP stack with Nagle's algorithm and
     * delayed ACKs (200 ms), where Linux's loopback tests never wait on them; the tests' small
     * request-response exchanges would each stall. Closes fd on failure.
     */
    private int noDelay(int fd) {
        int r = options.setInt(fd, BsdAbi.IPPROTO_TCP, BsdAbi.TCP_NODELAY, 1);
        if (r < 0) {
            calls.close(fd);
            return r;
        }
        return fd;
    }

    @Override
    public int socket(int family) {
        int fd = calls.socket(family, BsdAbi.SOCK_STREAM | abi.sockNonblock | abi.sockCloexec);
        return fd < 0 ? fd : noDelay(fd);
    }

    @Override
    public int accept(int listenFd, MemorySegment addr, MemorySegment addrLen) {
        if (addr.address() != 0) {
            Bounds.socklen("accept", addr, addrLen);
        }
        int fd = calls.paccept(listenFd, addr, addrLen, abi.sockNonblock | abi.sockCloexec);
        return fd < 0 ? fd : noDelay(fd);
    }

    @Override
    public int bind(int fd, MemorySegment addr, int length) {
        Bounds.length("bind", "addrlen", length, "addr", addr);
        return calls.bind(fd, addr, length);
    }

    @Override
    public int listen(int fd, int backlog) {
        return calls.listen(fd, backlog);
    }

    @Override
    public int connect(int fd, MemorySegment addr, int length) {
        Bounds.length("connect", "addrlen", length, "addr", addr);
        return calls.connect(fd, addr, length);
    }

    @Override
    public int getsockname(int fd, MemorySegment addr, MemorySegment addrLen) {
        Bounds.socklen("getsockname", addr, addrLen);
        return calls.getsockname(fd, addr, addrLen);
    }

    @Override
    public int shutdownOutput(int fd) {
        return calls.shutdown(fd, BsdAbi.SHUT_WR);
    }

    @Override
    public long send(int fd, MemorySegment buf, long length, boolean nonBlocking) {
        Bounds.length("send", "length", length, "buf", buf);
        return calls.send(fd, buf, length, abi.msgNosignal | (nonBlocking ? abi.msgDontwait() : 0));
    }

    @Override
    public long sendGathered(int fd, Gather gather, int count) {
        setGatherCount(gather, count);
        return calls.sendmsg(fd, gather.msghdr(), abi.msgNosignal);
    }

    @Override
    public void setGatherCount(Gather gather, int count) {
        Bounds.count("sendmsg", "count", count, gather.capacity(), "gather", "iovecs");
        gather.msghdr().set(ValueLayout.JAVA_INT, BsdAbi.MSG_IOVLEN, count); // an int on the BSDs
    }

    @Override
    protected long msghdrSize() {
        return BsdAbi.MSGHDR_SIZE;
    }

    @Override
    protected void pointMsghdr(MemorySegment msghdr, MemorySegment iov) {
        msghdr.set(ValueLayout.ADDRESS, BsdAbi.MSG_IOV, iov);
    }

    @Override
    public int family(InetSocketAddress address) {
        return addresses.family(address);
    }

    @Override
    public long sockaddrSize() {
        return addresses.sockaddrSize();
    }

    @Override
    public int encode(InetSocketAddress address, MemorySegment dst) {
        return addresses.encode(address, dst);
    }

    @Override
    public InetSocketAddress decode(MemorySegment src) {
        return addresses.decode(src);
    }

    @Override
    public long openFileLimit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rlim = arena.allocate(BsdAbi.RLIMIT_SIZE, 8);
            int r = calls.getrlimit(BsdAbi.RLIMIT_NOFILE, rlim);
            if (r < 0) {
                return r;
            }
            long soft = rlim.get(ValueLayout.JAVA_LONG, 0);
            return soft == BsdAbi.RLIM_INFINITY ? Long.MAX_VALUE : soft;
        }
    }
}
