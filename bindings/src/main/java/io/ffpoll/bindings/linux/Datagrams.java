package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.linux.gen.LinuxH;
import io.ffpoll.bindings.linux.gen.cmsghdr;
import io.ffpoll.bindings.linux.gen.ip_mreqn;
import io.ffpoll.bindings.linux.gen.ipv6_mreq;
import io.ffpoll.bindings.linux.gen.mmsghdr;
import io.ffpoll.bindings.linux.gen.msghdr;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The datagram calls of udp(7) and socket(7): {@code recvmmsg}, {@code sendmmsg} (a batch of
 * datagrams per call), {@code recvfrom}, {@code sendto} (one each), a {@code setsockopt} that
 * takes a struct ({@code ip_mreqn}, {@code ipv6_mreq}), and the constants and struct offsets
 * the datagram layer needs. Each returns its result or {@code -errno}. All four I/O calls block
 * on a blocking socket, so none is linked critical; the batch counts are checked against their
 * arrays before the call ({@link Bounds}).
 */
public final class Datagrams {
    public static final int SOCK_DGRAM = LinuxH.SOCK_DGRAM();
    public static final int IPPROTO_IP = LinuxH.IPPROTO_IP();
    public static final int IPPROTO_IPV6 = LinuxH.IPPROTO_IPV6();
    /** SOL_UDP is IPPROTO_UDP: the level of UDP_SEGMENT and UDP_GRO, and of their cmsgs. */
    public static final int SOL_UDP = LinuxH.IPPROTO_UDP();
    public static final int UDP_SEGMENT = LinuxH.UDP_SEGMENT();
    public static final int UDP_GRO = LinuxH.UDP_GRO();
    public static final int SO_BROADCAST = LinuxH.SO_BROADCAST();
    public static final int IPV6_V6ONLY = LinuxH.IPV6_V6ONLY();
    public static final int IP_ADD_MEMBERSHIP = LinuxH.IP_ADD_MEMBERSHIP();
    public static final int IP_DROP_MEMBERSHIP = LinuxH.IP_DROP_MEMBERSHIP();
    public static final int IP_MULTICAST_LOOP = LinuxH.IP_MULTICAST_LOOP();
    public static final int IP_MULTICAST_TTL = LinuxH.IP_MULTICAST_TTL();
    public static final int IPV6_JOIN_GROUP = LinuxH.IPV6_JOIN_GROUP();
    public static final int IPV6_LEAVE_GROUP = LinuxH.IPV6_LEAVE_GROUP();
    public static final int IPV6_MULTICAST_LOOP = LinuxH.IPV6_MULTICAST_LOOP();
    public static final int IPV6_MULTICAST_HOPS = LinuxH.IPV6_MULTICAST_HOPS();
    public static final int MSG_TRUNC = LinuxH.MSG_TRUNC();
    public static final int MSG_CTRUNC = LinuxH.MSG_CTRUNC();
    public static final int EOPNOTSUPP = LinuxH.EOPNOTSUPP();
    /**
     * EIO, which a send with UDP_SEGMENT returns when the device cannot checksum the segments.
     * Not in the generated header list (one more symbol would need a regen): 5 in Linux's
     * asm-generic/errno-base.h, which every architecture shares.
     */
    public static final int EIO = 5;
    /**
     * SO_MEMINFO (Linux 4.12): a socket's memory counters as an array of u32, indexed by
     * sock_diag.h's SK_MEMINFO_*. Not in the generated header list either: 55 in
     * asm-generic/socket.h, which x86-64 and arm64 use; {@code LinuxDatagramsTest} checks it
     * against SO_SNDBUF on the running kernel.
     */
    public static final int SO_MEMINFO = 55;
    /** SK_MEMINFO_WMEM_ALLOC: bytes of this socket's datagrams not yet freed (unread, for AF_UNIX). */
    public static final int SK_MEMINFO_WMEM_ALLOC = 2;
    /** SK_MEMINFO_SNDBUF: the send buffer's size, as SO_SNDBUF reads it. */
    public static final int SK_MEMINFO_SNDBUF = 3;

    /** {@code sizeof(struct mmsghdr)}: a msghdr and the msg_len the kernel fills. */
    public static final long MMSGHDR_SIZE = mmsghdr.layout().byteSize();
    public static final long MMSG_LEN = mmsghdr.msg_len$offset();
    public static final long MSG_NAME = mmsghdr.msg_hdr$offset() + msghdr.msg_name$offset();
    public static final long MSG_NAMELEN = mmsghdr.msg_hdr$offset() + msghdr.msg_namelen$offset();
    public static final long MSG_IOV = mmsghdr.msg_hdr$offset() + msghdr.msg_iov$offset();
    public static final long MSG_IOVLEN = mmsghdr.msg_hdr$offset() + msghdr.msg_iovlen$offset();
    public static final long MSG_CONTROL = mmsghdr.msg_hdr$offset() + msghdr.msg_control$offset();
    public static final long MSG_CONTROLLEN = mmsghdr.msg_hdr$offset() + msghdr.msg_controllen$offset();
    public static final long MSG_FLAGS = mmsghdr.msg_hdr$offset() + msghdr.msg_flags$offset();
    /** {@code sizeof(struct cmsghdr)}, which is also CMSG_ALIGN of it: where the data starts. */
    public static final long CMSG_HDR = cmsghdr.layout().byteSize();
    public static final long CMSG_LEN = cmsghdr.cmsg_len$offset();
    public static final long CMSG_LEVEL = cmsghdr.cmsg_level$offset();
    public static final long CMSG_TYPE = cmsghdr.cmsg_type$offset();
    /** CMSG_SPACE(sizeof(int)): room for one int-sized (or u16) control message; 8-byte aligned. */
    public static final long CMSG_SPACE_INT = CMSG_HDR + 8;
    public static final long IP_MREQN_SIZE = ip_mreqn.layout().byteSize();
    public static final long IMR_MULTIADDR = ip_mreqn.imr_multiaddr$offset();
    public static final long IMR_ADDRESS = ip_mreqn.imr_address$offset();
    public static final long IMR_IFINDEX = ip_mreqn.imr_ifindex$offset();
    public static final long IPV6_MREQ_SIZE = ipv6_mreq.layout().byteSize();
    public static final long IPV6MR_MULTIADDR = ipv6_mreq.ipv6mr_multiaddr$offset();
    public static final long IPV6MR_INTERFACE = ipv6_mreq.ipv6mr_interface$offset();

    private static final MethodHandle RECVMMSG =
            Errno.link(LinuxH.recvmmsg$address(), LinuxH.recvmmsg$descriptor(), false);
    private static final MethodHandle SENDMMSG =
            Errno.link(LinuxH.sendmmsg$address(), LinuxH.sendmmsg$descriptor(), false);
    private static final MethodHandle RECVFROM =
            Errno.link(LinuxH.recvfrom$address(), LinuxH.recvfrom$descriptor(), false);
    private static final MethodHandle SENDTO = Errno.link(LinuxH.sendto$address(), LinuxH.sendto$descriptor(), false);
    private static final MethodHandle SETSOCKOPT =
            Errno.link(LinuxH.setsockopt$address(), LinuxH.setsockopt$descriptor(), true);

    private static final Syscalls.Counter C_RECVMMSG = Syscalls.counter("recvmmsg");
    private static final Syscalls.Counter C_SENDMMSG = Syscalls.counter("sendmmsg");
    private static final Syscalls.Counter C_RECVFROM = Syscalls.counter("recvfrom");
    private static final Syscalls.Counter C_SENDTO = Syscalls.counter("sendto");
    private static final Syscalls.Counter C_SETSOCKOPT = Syscalls.counter("setsockopt");

    private Datagrams() {}

    /**
     * Receives up to {@code vlen} datagrams into the {@code struct mmsghdr} array {@code msgvec}
     * without a timeout: on a non-blocking socket it returns what is queued (at least one), or
     * -EAGAIN. An error after some datagrams is kept by the kernel for the next call.
     */
    public static int recvmmsg(int fd, MemorySegment msgvec, int vlen, int flags) {
        Bounds.array("recvmmsg", "vlen", vlen, MMSGHDR_SIZE, "msgvec", msgvec);
        C_RECVMMSG.hit();
        int fault = C_RECVMMSG.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) RECVMMSG.invokeExact(t.state, fd, msgvec, vlen, flags, MemorySegment.NULL);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Sends the first {@code vlen} messages of {@code msgvec}: how many went (each one's
     * msg_len set), or -errno if the first could not. An error after the first is not reported:
     * the next call, starting at the first unsent message, sees it (sendmmsg(2)).
     */
    public static int sendmmsg(int fd, MemorySegment msgvec, int vlen, int flags) {
        Bounds.array("sendmmsg", "vlen", vlen, MMSGHDR_SIZE, "msgvec", msgvec);
        C_SENDMMSG.hit();
        int fault = C_SENDMMSG.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) SENDMMSG.invokeExact(t.state, fd, msgvec, vlen, flags);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * One datagram into {@code buf}; the sender goes to {@code addr} and its length to the
     * socklen_t {@code addrLen} (which holds addr's size on entry). A datagram longer than
     * {@code len} is cut to it, and the rest is lost.
     */
    public static long recvfrom(int fd, MemorySegment buf, long len, int flags, MemorySegment addr,
                                MemorySegment addrLen) {
        Bounds.length("recvfrom", "len", len, "buf", buf);
        Bounds.socklen("recvfrom", addr, addrLen);
        C_RECVFROM.hit();
        int fault = C_RECVFROM.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) RECVFROM.invokeExact(t.state, fd, buf, len, flags, addr, addrLen);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** One datagram of {@code len} bytes to {@code addr} ({@code addrLen} bytes; NULL and 0 on a connected socket). */
    public static long sendto(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen) {
        Bounds.length("sendto", "len", len, "buf", buf);
        Bounds.length("sendto", "addrlen", addrLen, "addr", addr);
        C_SENDTO.hit();
        int fault = C_SENDTO.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) SENDTO.invokeExact(t.state, fd, buf, len, flags, addr, addrLen);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** setsockopt(2) with a value of {@code len} bytes ({@code struct ip_mreqn}, say). */
    public static int setsockopt(int fd, int level, int name, MemorySegment value, int len) {
        Bounds.length("setsockopt", "optlen", len, "optval", value);
        C_SETSOCKOPT.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) SETSOCKOPT.invokeExact(t.state, fd, level, name, value, len);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
