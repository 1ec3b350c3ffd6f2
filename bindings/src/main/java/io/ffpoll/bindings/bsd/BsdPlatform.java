package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.OptionCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.platform.UnixCalls;
import io.ffpoll.bindings.internal.Bounds;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * {@link Platform} on macOS and FreeBSD, over libc ({@link BsdLibc}, linked on first use):
 * <ul>
 * <li>macOS has no accept4 and no SOCK_NONBLOCK/SOCK_CLOEXEC: sockets get both flags by fcntl
 *     right after socket() and accept(); it has no balancing SO_REUSEPORT, so servers there
 *     use one acceptor; and SIGPIPE is turned off per socket with SO_NOSIGPIPE, since older
 *     releases lack MSG_NOSIGNAL.</li>
 * <li>FreeBSD has accept4, the socket() flags and MSG_NOSIGNAL, and balances with
 *     SO_REUSEPORT_LB.</li>
 * <li>Both start sockaddrs with a length byte, and number errno as 4.4BSD did.</li>
 * </ul>
 * Nothing here is linked or called while only the constants and layouts are used, so this
 * class loads (and is tested) on Linux.
 */
public final class BsdPlatform extends Platform {
    private static final ValueLayout.OfShort PORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private final BsdAbi abi;
    private final String name;
    private final BsdOptionCalls options;
    private final BsdUnixCalls unix;

    private BsdPlatform(BsdAbi abi, String name) {
        super(abi.errnos());
        this.abi = abi;
        this.name = name;
        this.options = new BsdOptionCalls(this);
        this.unix = new BsdUnixCalls(this);
    }

    public static BsdPlatform macos() {
        return new BsdPlatform(BsdAbi.MACOS, "macos");
    }

    public static BsdPlatform freebsd() {
        return new BsdPlatform(BsdAbi.FREEBSD, "freebsd");
    }

    /** NetBSD's numbers over libc (accept4 and MSG_NOSIGNAL, as FreeBSD has them). */
    public static BsdPlatform netbsd() {
        return new BsdPlatform(BsdAbi.NETBSD, "netbsd");
    }

    /** The numbers and layouts this platform uses. */
    public BsdAbi abi() {
        return abi;
    }

    @Override
    public String name() {
        return name;
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
        return BsdLibc.read(fd, buf, count);
    }

    @Override
    public long write(int fd, MemorySegment buf, long count) {
        return BsdLibc.write(fd, buf, count);
    }

    @Override
    public int close(int fd) {
        return BsdLibc.close(fd);
    }

    @Override
    public int duplicate(int fd) {
        return BsdLibc.fcntl(fd, abi.fDupfdCloexec, 3);
    }

    @Override
    public int makeNonBlockingCloexec(int fd) {
        int flags = BsdLibc.fcntl(fd, BsdAbi.F_GETFL, 0);
        if (flags < 0) {
            return flags;
        }
        int r = BsdLibc.fcntl(fd, BsdAbi.F_SETFL, flags | BsdAbi.O_NONBLOCK);
        return r < 0 ? r : Math.min(0, BsdLibc.fcntl(fd, BsdAbi.F_SETFD, BsdAbi.FD_CLOEXEC));
    }

    @Override
    public int setBlocking(int fd, boolean blocking) {
        int flags = BsdLibc.fcntl(fd, BsdAbi.F_GETFL, 0);
        if (flags < 0) {
            return flags;
        }
        int wanted = blocking ? flags & ~BsdAbi.O_NONBLOCK : flags | BsdAbi.O_NONBLOCK;
        return Math.min(0, BsdLibc.fcntl(fd, BsdAbi.F_SETFL, wanted));
    }

    @Override
    public int isNonBlocking(int fd) {
        int flags = BsdLibc.fcntl(fd, BsdAbi.F_GETFL, 0);
        return flags < 0 ? flags : (flags & BsdAbi.O_NONBLOCK) != 0 ? 1 : 0;
    }

    @Override
    public int isCloseOnExec(int fd) {
        int flags = BsdLibc.fcntl(fd, BsdAbi.F_GETFD, 0);
        return flags < 0 ? flags : (flags & BsdAbi.FD_CLOEXEC) != 0 ? 1 : 0;
    }

    /** Flags macOS cannot give at creation: fcntl, then SO_NOSIGPIPE. Closes fd on failure. */
    int prepare(int fd) {
        int r = abi.hasAccept4() ? 0 : makeNonBlockingCloexec(fd);
        if (r == 0 && abi.soNosigpipe != 0) {
            r = BsdOptionCalls.setInt(fd, BsdAbi.SOL_SOCKET, abi.soNosigpipe, 1);
        }
        if (r < 0) {
            BsdLibc.close(fd);
            return r;
        }
        return fd;
    }

    @Override
    public int socket(int family) {
        int fd = BsdLibc.socket(family, BsdAbi.SOCK_STREAM | abi.sockNonblock | abi.sockCloexec);
        return fd < 0 ? fd : prepare(fd);
    }

    @Override
    public int accept(int listenFd, MemorySegment addr, MemorySegment addrLen) {
        int fd = abi.hasAccept4()
                ? BsdLibc.accept4(listenFd, addr, addrLen, abi.sockNonblock | abi.sockCloexec)
                : BsdLibc.accept(listenFd, addr, addrLen);
        return fd < 0 ? fd : prepare(fd);
    }

    @Override
    public int bind(int fd, MemorySegment addr, int length) {
        return BsdLibc.bind(fd, addr, length);
    }

    @Override
    public int listen(int fd, int backlog) {
        return BsdLibc.listen(fd, backlog);
    }

    @Override
    public int connect(int fd, MemorySegment addr, int length) {
        return BsdLibc.connect(fd, addr, length);
    }

    @Override
    public int getsockname(int fd, MemorySegment addr, MemorySegment addrLen) {
        return BsdLibc.getsockname(fd, addr, addrLen);
    }

    @Override
    public int shutdownOutput(int fd) {
        return BsdLibc.shutdown(fd, BsdAbi.SHUT_WR);
    }

    @Override
    public long send(int fd, MemorySegment buf, long length, boolean nonBlocking) {
        return BsdLibc.send(fd, buf, length, abi.msgNosignal | (nonBlocking ? abi.msgDontwait() : 0));
    }

    @Override
    public long sendGathered(int fd, Gather gather, int count) {
        setGatherCount(gather, count);
        return BsdLibc.sendmsg(fd, gather.msghdr(), abi.msgNosignal);
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
        return address.getAddress() instanceof Inet6Address ? abi.afInet6 : BsdAbi.AF_INET;
    }

    @Override
    public long sockaddrSize() {
        return BsdAbi.SOCKADDR_STORAGE_SIZE;
    }

    @Override
    public int encode(InetSocketAddress address, MemorySegment dst) {
        InetAddress ip = address.getAddress();
        if (ip == null) {
            throw new IllegalArgumentException("unresolved address: " + address);
        }
        Bounds.struct("encode", "sockaddr_storage", BsdAbi.SOCKADDR_STORAGE_SIZE, "dst", dst);
        dst.asSlice(0, BsdAbi.SOCKADDR_STORAGE_SIZE).fill((byte) 0);
        if (ip instanceof Inet6Address v6) {
            dst.set(ValueLayout.JAVA_BYTE, 0, (byte) BsdAbi.SOCKADDR_IN6_SIZE);
            dst.set(ValueLayout.JAVA_BYTE, 1, (byte) abi.afInet6);
            dst.set(PORT, BsdAbi.SIN6_PORT, (short) address.getPort());
            MemorySegment.copy(MemorySegment.ofArray(v6.getAddress()), 0, dst, BsdAbi.SIN6_ADDR, 16);
            dst.set(ValueLayout.JAVA_INT_UNALIGNED, BsdAbi.SIN6_SCOPE_ID, v6.getScopeId());
            return (int) BsdAbi.SOCKADDR_IN6_SIZE;
        }
        dst.set(ValueLayout.JAVA_BYTE, 0, (byte) BsdAbi.SOCKADDR_IN_SIZE);
        dst.set(ValueLayout.JAVA_BYTE, 1, (byte) BsdAbi.AF_INET);
        dst.set(PORT, BsdAbi.SIN_PORT, (short) address.getPort());
        MemorySegment.copy(MemorySegment.ofArray(ip.getAddress()), 0, dst, BsdAbi.SIN_ADDR, 4);
        return (int) BsdAbi.SOCKADDR_IN_SIZE;
    }

    @Override
    public InetSocketAddress decode(MemorySegment src) {
        Bounds.struct("decode", "sa_len, sa_family", 2, "src", src);
        int family = Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, 1));
        try {
            if (family == BsdAbi.AF_INET) {
                Bounds.struct("decode", "sockaddr_in", BsdAbi.SOCKADDR_IN_SIZE, "src", src);
                byte[] ip = new byte[4];
                MemorySegment.copy(src, BsdAbi.SIN_ADDR, MemorySegment.ofArray(ip), 0, 4);
                return new InetSocketAddress(Inet4Address.getByAddress(ip),
                        Short.toUnsignedInt(src.get(PORT, BsdAbi.SIN_PORT)));
            }
            if (family == abi.afInet6) {
                Bounds.struct("decode", "sockaddr_in6", BsdAbi.SOCKADDR_IN6_SIZE, "src", src);
                byte[] ip = new byte[16];
                MemorySegment.copy(src, BsdAbi.SIN6_ADDR, MemorySegment.ofArray(ip), 0, 16);
                int scope = src.get(ValueLayout.JAVA_INT_UNALIGNED, BsdAbi.SIN6_SCOPE_ID);
                InetAddress address = scope == 0 ? InetAddress.getByAddress(ip) : Inet6Address.getByAddress(null, ip, scope);
                return new InetSocketAddress(address, Short.toUnsignedInt(src.get(PORT, BsdAbi.SIN6_PORT)));
            }
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always a valid address", e);
        }
        return null;
    }

    @Override
    public long openFileLimit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rlim = arena.allocate(BsdAbi.RLIMIT_SIZE, 8);
            int r = BsdLibc.getrlimit(BsdAbi.RLIMIT_NOFILE, rlim);
            if (r < 0) {
                return r;
            }
            long soft = rlim.get(ValueLayout.JAVA_LONG, 0);
            return soft == BsdAbi.RLIM_INFINITY ? Long.MAX_VALUE : soft;
        }
    }

    /** How many libc symbols the BSD bindings have linked (0 until one is called). */
    public static int linkedSymbols() {
        return BsdLibc.linked();
    }

    /**
     * The file calls of a BSD ({@code "macos"} or {@code "freebsd"}).
     *
     * @param os the platform's name
     * @return its file calls
     */
    public static io.ffpoll.bindings.platform.FileCalls fileCalls(String os) {
        return "macos".equals(os) ? BsdFileCalls.MACOS : BsdFileCalls.FREEBSD;
    }
}
