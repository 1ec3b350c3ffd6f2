package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.SocketOption;
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
import java.text.Normalizer;

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

    private BsdPlatform(BsdAbi abi, String name) {
        super(abi.errnos());
        this.abi = abi;
        this.name = name;
    }

    public static BsdPlatform macos() {
        return new BsdPlatform(BsdAbi.MACOS, "macos");
    }

    public static BsdPlatform freebsd() {
        return new BsdPlatform(BsdAbi.FREEBSD, "freebsd");
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
    public boolean balancesReusePort() {
        return abi == BsdAbi.FREEBSD;
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
    private int prepare(int fd) {
        int r = abi.hasAccept4() ? 0 : makeNonBlockingCloexec(fd);
        if (r == 0 && abi.soNosigpipe != 0) {
            r = setInt(fd, BsdAbi.SOL_SOCKET, abi.soNosigpipe, 1);
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

    /** The option's number here (the table is {@link BsdSockopts}'s); refuses one this OS lacks. */
    private int number(SocketOption o) {
        int number = BsdSockopts.number(abi, o);
        if (number < 0) {
            throw unsupported(o);
        }
        return number;
    }

    private static int level(SocketOption o) {
        return BsdSockopts.level(o);
    }

    private static int setInt(int fd, int level, int name, int value) {
        MemorySegment v = Errno.current().scratch.asSlice(0, 4);
        v.set(ValueLayout.JAVA_INT, 0, value);
        return BsdLibc.setsockopt(fd, level, name, v, 4);
    }

    @Override
    public int setOption(int fd, SocketOption option, int value) {
        return setInt(fd, level(option), number(option), value);
    }

    @Override
    public int getOption(int fd, SocketOption option) {
        return BsdLibc.getsockopt(fd, level(option), number(option));
    }

    @Override
    public int socketError(int fd) {
        return BsdLibc.getsockopt(fd, BsdAbi.SOL_SOCKET, BsdAbi.SO_ERROR);
    }

    @Override
    public int resetOnClose(int fd) {
        MemorySegment linger = Errno.current().scratch.asSlice(0, 8); // struct linger { int l_onoff; int l_linger; }
        linger.set(ValueLayout.JAVA_INT, 0, 1);
        linger.set(ValueLayout.JAVA_INT, 4, 0);
        return BsdLibc.setsockopt(fd, BsdAbi.SOL_SOCKET, BsdAbi.SO_LINGER, linger, 8);
    }

    @Override
    public long send(int fd, MemorySegment buf, long length, boolean nonBlocking) {
        return BsdLibc.send(fd, buf, length, abi.msgNosignal | (nonBlocking ? BsdAbi.MSG_DONTWAIT : 0));
    }

    @Override
    public long sendGathered(int fd, Gather gather, int count) {
        Bounds.count("sendmsg", "count", count, gather.capacity(), "gather", "iovecs");
        gather.msghdr().set(ValueLayout.JAVA_INT, BsdAbi.MSG_IOVLEN, count); // an int on the BSDs
        return BsdLibc.sendmsg(fd, gather.msghdr(), abi.msgNosignal);
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

    // ---- Unix-domain sockets, and stream descriptors that are not sockets

    @Override
    public int unixFamily() {
        return BsdUnix.AF_UNIX;
    }

    @Override
    public int unixStreamSocket() {
        return socket(BsdUnix.AF_UNIX);
    }

    @Override
    public int unixStreamPair(int[] fds) {
        int r = BsdUnix.socketpair(BsdAbi.SOCK_STREAM | abi.sockNonblock | abi.sockCloexec, fds);
        if (r < 0) {
            return r;
        }
        int a = prepare(fds[0]); // closes fds[0] on failure
        if (a < 0) {
            BsdLibc.close(fds[1]);
            return a;
        }
        int b = prepare(fds[1]);
        if (b < 0) {
            BsdLibc.close(fds[0]);
            return b;
        }
        return 0;
    }

    @Override
    public int pipe(int[] fds) {
        // pipe2 is FreeBSD's alone: both take pipe, then fcntl.
        int r = BsdUnix.pipe(fds);
        if (r < 0) {
            return r;
        }
        r = makeNonBlockingCloexec(fds[0]);
        if (r == 0) {
            r = makeNonBlockingCloexec(fds[1]);
        }
        if (r < 0) {
            BsdLibc.close(fds[0]);
            BsdLibc.close(fds[1]);
        }
        return r;
    }

    /**
     * On macOS the JDK decomposes a path's non-ASCII characters (NFD, as HFS+ stored names)
     * before encoding it ({@code MacOSXFileSystem.normalizeNativePath}); FreeBSD's JDK does not.
     * Doing the same keeps a socket bound here reachable through the JDK's
     * UnixDomainSocketAddress for the same Path, and the other way round.
     */
    @Override
    public byte[] unixPathBytes(String path) {
        return super.unixPathBytes(abi == BsdAbi.MACOS ? Normalizer.normalize(path, Normalizer.Form.NFD) : path);
    }

    @Override
    public boolean hasAbstractUnixNames() {
        return false;
    }

    @Override
    public int maxUnixNameBytes() {
        return (int) BsdUnix.PATH_CAPACITY - 1;
    }

    @Override
    public int encodeUnix(byte[] name, boolean abstractName, MemorySegment dst) {
        return BsdUnix.encode(name, abstractName, dst, name());
    }

    @Override
    public byte[] decodeUnix(MemorySegment src, int length) {
        return BsdUnix.decode(src, length);
    }

    @Override
    public int sockaddrFamily(MemorySegment src) {
        Bounds.struct("sockaddrFamily", "sa_len, sa_family", 2, "src", src);
        return Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, 1));
    }

    @Override
    public int getpeername(int fd, MemorySegment addr, MemorySegment addrLen) {
        return BsdUnix.getpeername(fd, addr, addrLen);
    }

    @Override
    public int isStreamSocket(int fd) {
        int type = BsdLibc.getsockopt(fd, BsdAbi.SOL_SOCKET, BsdUnix.SO_TYPE);
        return type < 0 ? type : type == BsdAbi.SOCK_STREAM ? 1 : 0;
    }

    @Override
    public int accessMode(int fd) {
        int flags = BsdLibc.fcntl(fd, BsdAbi.F_GETFL, 0);
        return flags < 0 ? flags : flags & 3; // O_ACCMODE (sys/fcntl.h): O_RDONLY 0, O_WRONLY 1, O_RDWR 2
    }

    @Override
    public long writeGathered(int fd, Gather gather, int count) {
        Bounds.count("writev", "count", count, gather.capacity(), "gather", "iovecs");
        return BsdUnix.writev(fd, gather.iovecs(), count);
    }

    @Override
    public int peerCredentials(int fd, long[] out) {
        int r = BsdUnix.getpeereid(fd, out);
        if (r < 0) {
            return r;
        }
        // macOS tells the pid (LOCAL_PEERPID); FreeBSD's xucred has it only from 13 on: not asked.
        out[2] = -1;
        if (abi == BsdAbi.MACOS) {
            int pid = BsdLibc.getsockopt(fd, BsdUnix.SOL_LOCAL, BsdUnix.LOCAL_PEERPID);
            if (pid > 0) {
                out[2] = pid;
            }
        }
        return 0;
    }

    // ---- typed socket options (issue 20)

    @Override
    public boolean supports(SocketOption option) {
        return BsdSockopts.number(abi, option) >= 0;
    }

    @Override
    public int setLinger(int fd, boolean on, int seconds) {
        MemorySegment linger = Errno.current().scratch.asSlice(0, 8); // struct linger { int l_onoff; int l_linger; }
        linger.set(ValueLayout.JAVA_INT, 0, on ? 1 : 0);
        linger.set(ValueLayout.JAVA_INT, 4, seconds);
        return BsdLibc.setsockopt(fd, BsdAbi.SOL_SOCKET, BsdSockopts.lingerSeconds(abi), linger, 8);
    }

    @Override
    public int getLinger(int fd, int[] onAndSeconds) {
        MemorySegment scratch = Errno.current().scratch;
        MemorySegment linger = scratch.asSlice(0, 8);
        MemorySegment len = scratch.asSlice(16, 4);
        linger.fill((byte) 0);
        len.set(ValueLayout.JAVA_INT, 0, 8);
        int r = BsdSockopts.getsockopt(fd, BsdAbi.SOL_SOCKET, BsdSockopts.lingerSeconds(abi), linger, len);
        if (r < 0) {
            return r;
        }
        onAndSeconds[0] = linger.get(ValueLayout.JAVA_INT, 0) != 0 ? 1 : 0;
        onAndSeconds[1] = linger.get(ValueLayout.JAVA_INT, 4);
        return 0;
    }

    @Override
    public boolean hasTcpInfo() {
        return false;
    }

    @Override
    public int tcpInfo(int fd, int[] fields) {
        // FreeBSD's struct tcp_info shares Linux's names but not its layout past the first
        // fields, and macOS offers TCP_CONNECTION_INFO instead: neither is bound yet.
        throw new UnsupportedOperationException("TCP_INFO (Linux's struct tcp_info) is not available on " + name());
    }

    @Override
    public int ipVersion(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = allocateSockaddr(arena);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, (int) BsdAbi.SOCKADDR_STORAGE_SIZE);
            int r = BsdLibc.getsockname(fd, sa, len);
            if (r < 0) {
                return r;
            }
            int family = Byte.toUnsignedInt(sa.get(ValueLayout.JAVA_BYTE, 1)); // after sa_len
            return family == BsdAbi.AF_INET ? 4 : family == abi.afInet6 ? 6 : 0;
        }
    }
}
