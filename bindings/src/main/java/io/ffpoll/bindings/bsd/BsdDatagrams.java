package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.platform.DatagramCalls;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * {@link DatagramCalls} on macOS and FreeBSD: one {@code recvfrom} or {@code sendto} per
 * datagram (neither has recvmmsg in every release ffpoll targets, nor UDP GSO or GRO), with
 * the options by the numbers of their headers. Like {@link BsdLibc}, nothing is linked until a
 * call is made, so the class loads on Linux.
 *
 * <p>Numbers (the same in XNU's and FreeBSD's {@code sys/socket.h}, {@code netinet/in.h} and
 * {@code netinet6/in6.h}): SOCK_DGRAM 2, SO_BROADCAST 0x20, IPPROTO_IP 0, IPPROTO_IPV6 41,
 * IP_MULTICAST_TTL 10, IP_MULTICAST_LOOP 11, IP_ADD_MEMBERSHIP 12, IP_DROP_MEMBERSHIP 13,
 * IPV6_MULTICAST_HOPS 10, IPV6_MULTICAST_LOOP 11, IPV6_JOIN_GROUP 12, IPV6_LEAVE_GROUP 13,
 * IPV6_V6ONLY 27. IPv4 groups are joined with {@code struct ip_mreqn} on FreeBSD (which takes
 * it by its size) and {@code struct ip_mreq} on macOS, which names the interface by address:
 * there only interface 0 (the kernel's choice) can be asked for.
 */
public final class BsdDatagrams extends DatagramCalls {
    static final int SOCK_DGRAM = 2;
    static final int SO_BROADCAST = 0x20;
    static final int IPPROTO_IP = 0;
    static final int IPPROTO_IPV6 = 41;
    static final int IP_MULTICAST_TTL = 10;
    static final int IP_MULTICAST_LOOP = 11;
    static final int IP_ADD_MEMBERSHIP = 12;
    static final int IP_DROP_MEMBERSHIP = 13;
    static final int IPV6_MULTICAST_HOPS = 10;
    static final int IPV6_MULTICAST_LOOP = 11;
    static final int IPV6_JOIN_GROUP = 12;
    static final int IPV6_LEAVE_GROUP = 13;
    static final int IPV6_V6ONLY = 27;

    private static final ValueLayout INT = ValueLayout.JAVA_INT;
    private static final ValueLayout LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout PTR = ValueLayout.ADDRESS;
    private static final Syscalls.Counter C_RECVFROM = Syscalls.counter("recvfrom");
    private static final Syscalls.Counter C_SENDTO = Syscalls.counter("sendto");

    private final BsdPlatform platform;
    private final BsdAbi abi;

    private BsdDatagrams(BsdPlatform platform) {
        this.platform = platform;
        this.abi = platform.abi();
    }

    /**
     * The calls of {@code platform}'s OS.
     *
     * @param platform macOS's or FreeBSD's platform
     * @return the calls
     */
    public static BsdDatagrams create(BsdPlatform platform) {
        return new BsdDatagrams(platform);
    }

    private static final class H {
        static final MethodHandle RECVFROM = link("recvfrom", FunctionDescriptor.of(LONG, INT, PTR, LONG, INT, PTR, PTR));
        static final MethodHandle SENDTO = link("sendto", FunctionDescriptor.of(LONG, INT, PTR, LONG, INT, PTR, INT));

        private static MethodHandle link(String name, FunctionDescriptor d) {
            MemorySegment address = Linker.nativeLinker().defaultLookup().find(name)
                    .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
            return Errno.link(address, d, false);
        }
    }

    @Override
    public String os() {
        return platform.name();
    }

    @Override
    public boolean batched() {
        return false;
    }

    @Override
    public boolean segmentation() {
        return false;
    }

    @Override
    public int socket(int family) {
        int fd = BsdLibc.socket(family, SOCK_DGRAM | abi.sockNonblock | abi.sockCloexec);
        if (fd < 0 || abi.hasAccept4()) {
            return fd;
        }
        int r = platform.makeNonBlockingCloexec(fd); // macOS: no SOCK_NONBLOCK or SOCK_CLOEXEC
        if (r < 0) {
            BsdLibc.close(fd);
            return r;
        }
        return fd;
    }

    @Override
    protected long recvfrom(int fd, MemorySegment buf, long len, MemorySegment addr, MemorySegment addrLen) {
        Bounds.length("recvfrom", "len", len, "buf", buf);
        Bounds.socklen("recvfrom", addr, addrLen);
        C_RECVFROM.hit();
        int fault = C_RECVFROM.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) H.RECVFROM.invokeExact(t.state, fd, buf, len, 0, addr, addrLen);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Override
    protected long sendto(int fd, MemorySegment buf, long len, MemorySegment addr, int addrLen) {
        Bounds.length("sendto", "len", len, "buf", buf);
        Bounds.length("sendto", "addrlen", addrLen, "addr", addr);
        C_SENDTO.hit();
        int fault = C_SENDTO.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) H.SENDTO.invokeExact(t.state, fd, buf, len, abi.msgNosignal, addr, addrLen);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    private static int setInt(int fd, int level, int name, int value) {
        MemorySegment v = Errno.current().scratch.asSlice(0, 4);
        v.set(ValueLayout.JAVA_INT, 0, value);
        return BsdLibc.setsockopt(fd, level, name, v, 4);
    }

    @Override
    public int setV6Only(int fd, boolean on) {
        return setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, on ? 1 : 0);
    }

    @Override
    public int v6Only(int fd) {
        return BsdLibc.getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY);
    }

    @Override
    public int setBroadcast(int fd, boolean on) {
        return setInt(fd, BsdAbi.SOL_SOCKET, SO_BROADCAST, on ? 1 : 0);
    }

    @Override
    public int membership(int fd, boolean join, InetAddress group, int ifindex) {
        MemorySegment value = Errno.current().scratch;
        byte[] ip = group.getAddress();
        if (group instanceof Inet6Address) { // struct ipv6_mreq: in6_addr, then an unsigned interface index
            MemorySegment mreq = value.asSlice(0, 20);
            mreq.fill((byte) 0);
            MemorySegment.copy(ip, 0, mreq, ValueLayout.JAVA_BYTE, 0, 16);
            mreq.set(ValueLayout.JAVA_INT, 16, ifindex);
            return BsdLibc.setsockopt(fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, mreq, 20);
        }
        int name = join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP;
        if (abi == BsdAbi.FREEBSD) { // struct ip_mreqn: group, local address, interface index
            MemorySegment mreq = value.asSlice(0, 12);
            mreq.fill((byte) 0);
            MemorySegment.copy(ip, 0, mreq, ValueLayout.JAVA_BYTE, 0, 4);
            mreq.set(ValueLayout.JAVA_INT, 8, ifindex);
            return BsdLibc.setsockopt(fd, IPPROTO_IP, name, mreq, 12);
        }
        if (ifindex != 0) {
            throw new UnsupportedOperationException("macos joins an IPv4 group on an interface named by address, "
                    + "not by index: ask for interface 0");
        }
        MemorySegment mreq = value.asSlice(0, 8); // struct ip_mreq: group, INADDR_ANY
        mreq.fill((byte) 0);
        MemorySegment.copy(ip, 0, mreq, ValueLayout.JAVA_BYTE, 0, 4);
        return BsdLibc.setsockopt(fd, IPPROTO_IP, name, mreq, 8);
    }

    @Override
    public int setMulticastLoop(int fd, boolean v6, boolean on) {
        if (v6) {
            return setInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on ? 1 : 0);
        }
        // IP_MULTICAST_LOOP takes a u_char on the BSDs (an int is refused by size on FreeBSD before 13).
        MemorySegment v = Errno.current().scratch.asSlice(0, 1);
        v.set(ValueLayout.JAVA_BYTE, 0, (byte) (on ? 1 : 0));
        return BsdLibc.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, v, 1);
    }

    @Override
    public int multicastLoop(int fd, boolean v6) {
        int r = BsdLibc.getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP);
        return r < 0 ? r : r & (v6 ? -1 : 0xff); // a u_char for IPv4, in an int zeroed first
    }

    @Override
    public int setMulticastHops(int fd, boolean v6, int hops) {
        if (v6) {
            return setInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hops);
        }
        MemorySegment v = Errno.current().scratch.asSlice(0, 1); // a u_char, as IP_MULTICAST_LOOP
        v.set(ValueLayout.JAVA_BYTE, 0, (byte) hops);
        return BsdLibc.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, v, 1);
    }

    @Override
    public int multicastHops(int fd, boolean v6) {
        int r = BsdLibc.getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL);
        return r < 0 ? r : r & (v6 ? -1 : 0xff);
    }

    @Override
    public int setGro(int fd, boolean on) {
        return -platform.errno(io.ffpoll.bindings.ErrnoName.ENOPROTOOPT);
    }

    @Override
    public boolean canSegment(int fd) {
        return false;
    }

    @Override
    public boolean segmentationRefused(int errno) {
        return false;
    }

    @Override
    public boolean isInet6(MemorySegment sockaddr) {
        return Byte.toUnsignedInt(sockaddr.get(ValueLayout.JAVA_BYTE, 1)) == abi.afInet6;
    }

    @Override
    public boolean abstractUnixNames() {
        return false;
    }

    @Override
    public int autobind(int fd) {
        throw new UnsupportedOperationException("autobind (a Unix socket name the kernel picks) is Linux only; "
                + platform.name() + " has none: bind the endpoint to a path");
    }

    @Override
    public int sendBufferFull(int fd) {
        // Not asked: a full receiver does not make a BSD sender wait (the datagram fails with
        // ENOBUFS, or is lost), so an EAGAIN is this socket's own and waits as for UDP.
        return 1;
    }
}
