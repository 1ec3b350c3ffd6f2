package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.ReceiveBatch;
import io.ffpoll.bindings.platform.SendBatch;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * {@link DatagramCalls} on Linux: a batch is one {@code recvmmsg} or one {@code sendmmsg}, the
 * cut of a datagram comes as MSG_TRUNC in its msg_flags, UDP GSO rides on a send as a
 * UDP_SEGMENT control message, and UDP GRO's segment size comes back as a UDP_GRO one.
 * {@link #create(boolean) create(false)} makes one recvfrom or sendto per datagram instead,
 * the BSDs' way, so that path runs (and is tested) here too.
 *
 * <p>Each batch's headers sit in one block: the mmsghdr array, then an iovec per slot, then a
 * control buffer per slot (CMSG_SPACE of an int). Pointers are written as 8-byte values: Linux
 * runs ffpoll on LP64 only (x86-64, arm64).
 */
public final class LinuxDatagrams extends DatagramCalls {
    private static final long MMSG = Datagrams.MMSGHDR_SIZE;
    private static final long IOV = Fd.IOVEC_SIZE;
    private static final long CONTROL = Datagrams.CMSG_SPACE_INT;
    private static final int NAME_SIZE = (int) ReceiveBatch.NAME_SIZE;
    private static final int NONBLOCK_CLOEXEC = Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC;
    private static final ValueLayout.OfLong PTR = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    private final boolean batched;

    private LinuxDatagrams(boolean batched) {
        this.batched = batched;
    }

    /**
     * The Linux calls; {@code batched} false: one recvfrom or sendto per datagram, as on the BSDs.
     *
     * @param batched whether to use recvmmsg and sendmmsg
     * @return the calls
     */
    public static LinuxDatagrams create(boolean batched) {
        return new LinuxDatagrams(batched);
    }

    @Override
    public String os() {
        return "linux";
    }

    @Override
    public boolean batched() {
        return batched;
    }

    @Override
    public boolean segmentation() {
        return batched; // the cmsgs need sendmmsg and recvmmsg; the one-at-a-time path is the BSDs'
    }

    @Override
    public int socket(int family) {
        return Sockets.socket(family, Datagrams.SOCK_DGRAM | NONBLOCK_CLOEXEC, 0);
    }

    @Override
    protected long receiveHeaderBytes(int slots) {
        return batched ? (MMSG + IOV + CONTROL) * slots : 0;
    }

    @Override
    protected long sendHeaderBytes(int slots) {
        return batched ? (MMSG + IOV + CONTROL) * slots : 0;
    }

    @Override
    protected void prepare(ReceiveBatch b) {
        if (!batched) {
            return;
        }
        MemorySegment h = headers(b);
        int n = b.slots();
        long iovs = MMSG * n;
        long controls = iovs + IOV * n;
        for (int i = 0; i < n; i++) {
            long m = MMSG * i;
            long iov = iovs + IOV * i;
            h.set(PTR, iov, b.payloads().address() + b.offset(i));
            h.set(PTR, iov + 8, b.slotBytes()); // a longer datagram is cut, and flagged MSG_TRUNC
            h.set(PTR, m + Datagrams.MSG_NAME, b.name(i).address());
            h.set(PTR, m + Datagrams.MSG_IOV, h.address() + iov);
            h.set(PTR, m + Datagrams.MSG_IOVLEN, 1);
            h.set(PTR, m + Datagrams.MSG_CONTROL, segments(b) ? h.address() + controls + CONTROL * i : 0);
        }
    }

    @Override
    public int receive(int fd, ReceiveBatch b) {
        if (!batched) {
            return super.receive(fd, b);
        }
        MemorySegment h = headers(b);
        int n = b.slots();
        boolean segments = segments(b);
        long controls = (MMSG + IOV) * n;
        for (int i = 0; i < n; i++) { // the kernel overwrote these with what it filled in
            long m = MMSG * i;
            h.set(INT, m + Datagrams.MSG_NAMELEN, NAME_SIZE);
            h.set(PTR, m + Datagrams.MSG_CONTROLLEN, segments ? CONTROL : 0);
        }
        int r;
        do {
            r = Datagrams.recvmmsg(fd, h, n, 0);
        } while (r == -Err.EINTR);
        for (int i = 0; i < r; i++) {
            long m = MMSG * i;
            int length = h.get(INT, m + Datagrams.MMSG_LEN);
            boolean cut = (h.get(INT, m + Datagrams.MSG_FLAGS) & Datagrams.MSG_TRUNC) != 0;
            int segment = segments ? groSegment(h, controls + CONTROL * i, h.get(PTR, m + Datagrams.MSG_CONTROLLEN)) : 0;
            received(b, i, Math.min(length, b.slotBytes()), cut, h.get(INT, m + Datagrams.MSG_NAMELEN), segment);
        }
        return r;
    }

    /** The UDP_GRO segment size among the control messages at {@code at} ({@code length} bytes), or 0. */
    private static int groSegment(MemorySegment h, long at, long length) {
        long off = 0;
        while (off + Datagrams.CMSG_HDR + Integer.BYTES <= length) {
            long cmsgLen = h.get(PTR, at + off + Datagrams.CMSG_LEN);
            if (h.get(INT, at + off + Datagrams.CMSG_LEVEL) == Datagrams.SOL_UDP
                    && h.get(INT, at + off + Datagrams.CMSG_TYPE) == Datagrams.UDP_GRO) {
                return h.get(INT, at + off + Datagrams.CMSG_HDR);
            }
            if (cmsgLen < Datagrams.CMSG_HDR) {
                return 0;
            }
            off += (cmsgLen + 7) & ~7L; // CMSG_ALIGN
        }
        return 0;
    }

    @Override
    public int send(int fd, SendBatch b, int count) {
        if (!batched) {
            return super.send(fd, b, count);
        }
        checkCount(b, count);
        MemorySegment h = headers(b);
        int n = b.slots();
        long iovs = MMSG * n;
        long controls = iovs + IOV * n;
        for (int i = 0; i < count; i++) {
            long m = MMSG * i;
            long iov = iovs + IOV * i;
            h.set(PTR, iov, payloadAddress(b, i));
            h.set(PTR, iov + 8, payloadLength(b, i));
            h.set(PTR, m + Datagrams.MSG_NAME, nameAddress(b, i));
            h.set(INT, m + Datagrams.MSG_NAMELEN, nameLength(b, i));
            h.set(PTR, m + Datagrams.MSG_IOV, h.address() + iov);
            h.set(PTR, m + Datagrams.MSG_IOVLEN, 1);
            h.set(INT, m + Datagrams.MSG_FLAGS, 0);
            int segment = segmentSize(b, i);
            if (segment == 0) {
                h.set(PTR, m + Datagrams.MSG_CONTROL, 0);
                h.set(PTR, m + Datagrams.MSG_CONTROLLEN, 0);
            } else {
                // One UDP_SEGMENT cmsg: CMSG_LEN(sizeof(uint16_t)) long, in CMSG_SPACE of room.
                long c = controls + CONTROL * i;
                h.set(PTR, c + Datagrams.CMSG_LEN, Datagrams.CMSG_HDR + Short.BYTES);
                h.set(INT, c + Datagrams.CMSG_LEVEL, Datagrams.SOL_UDP);
                h.set(INT, c + Datagrams.CMSG_TYPE, Datagrams.UDP_SEGMENT);
                h.set(ValueLayout.JAVA_SHORT, c + Datagrams.CMSG_HDR, (short) segment);
                h.set(PTR, m + Datagrams.MSG_CONTROL, h.address() + c);
                h.set(PTR, m + Datagrams.MSG_CONTROLLEN, CONTROL);
            }
        }
        int r;
        do {
            r = Datagrams.sendmmsg(fd, h, count, 0);
        } while (r == -Err.EINTR);
        return r;
    }

    @Override
    protected long recvfrom(int fd, MemorySegment buf, long len, MemorySegment addr, MemorySegment addrLen) {
        return Datagrams.recvfrom(fd, buf, len, 0, addr, addrLen);
    }

    @Override
    protected long sendto(int fd, MemorySegment buf, long len, MemorySegment addr, int addrLen) {
        return Datagrams.sendto(fd, buf, len, 0, addr, addrLen);
    }

    @Override
    public int setV6Only(int fd, boolean on) {
        return Sockets.setsockopt(fd, Datagrams.IPPROTO_IPV6, Datagrams.IPV6_V6ONLY, on ? 1 : 0);
    }

    @Override
    public int v6Only(int fd) {
        return Sockets.getsockopt(fd, Datagrams.IPPROTO_IPV6, Datagrams.IPV6_V6ONLY);
    }

    @Override
    public int setBroadcast(int fd, boolean on) {
        return Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Datagrams.SO_BROADCAST, on ? 1 : 0);
    }

    @Override
    public int membership(int fd, boolean join, InetAddress group, int ifindex) {
        MemorySegment value = Errno.current().scratch;
        byte[] ip = group.getAddress();
        if (group instanceof Inet6Address) {
            MemorySegment mreq = value.asSlice(0, Datagrams.IPV6_MREQ_SIZE);
            mreq.fill((byte) 0);
            MemorySegment.copy(ip, 0, mreq, ValueLayout.JAVA_BYTE, Datagrams.IPV6MR_MULTIADDR, 16);
            mreq.set(INT, Datagrams.IPV6MR_INTERFACE, ifindex);
            return Datagrams.setsockopt(fd, Datagrams.IPPROTO_IPV6,
                    join ? Datagrams.IPV6_JOIN_GROUP : Datagrams.IPV6_LEAVE_GROUP, mreq, (int) mreq.byteSize());
        }
        // ip_mreqn: the group, no local address (the interface is named by index instead).
        MemorySegment mreq = value.asSlice(0, Datagrams.IP_MREQN_SIZE);
        mreq.fill((byte) 0);
        MemorySegment.copy(ip, 0, mreq, ValueLayout.JAVA_BYTE, Datagrams.IMR_MULTIADDR, 4);
        mreq.set(INT, Datagrams.IMR_IFINDEX, ifindex);
        return Datagrams.setsockopt(fd, Datagrams.IPPROTO_IP,
                join ? Datagrams.IP_ADD_MEMBERSHIP : Datagrams.IP_DROP_MEMBERSHIP, mreq, (int) mreq.byteSize());
    }

    @Override
    public int setMulticastLoop(int fd, boolean v6, boolean on) {
        return v6 ? Sockets.setsockopt(fd, Datagrams.IPPROTO_IPV6, Datagrams.IPV6_MULTICAST_LOOP, on ? 1 : 0)
                : Sockets.setsockopt(fd, Datagrams.IPPROTO_IP, Datagrams.IP_MULTICAST_LOOP, on ? 1 : 0);
    }

    @Override
    public int multicastLoop(int fd, boolean v6) {
        // IP_MULTICAST_LOOP reads back as one byte in an int that getsockopt zeroed first.
        return v6 ? Sockets.getsockopt(fd, Datagrams.IPPROTO_IPV6, Datagrams.IPV6_MULTICAST_LOOP)
                : Sockets.getsockopt(fd, Datagrams.IPPROTO_IP, Datagrams.IP_MULTICAST_LOOP);
    }

    @Override
    public int setMulticastHops(int fd, boolean v6, int hops) {
        return v6 ? Sockets.setsockopt(fd, Datagrams.IPPROTO_IPV6, Datagrams.IPV6_MULTICAST_HOPS, hops)
                : Sockets.setsockopt(fd, Datagrams.IPPROTO_IP, Datagrams.IP_MULTICAST_TTL, hops);
    }

    @Override
    public int multicastHops(int fd, boolean v6) {
        return v6 ? Sockets.getsockopt(fd, Datagrams.IPPROTO_IPV6, Datagrams.IPV6_MULTICAST_HOPS)
                : Sockets.getsockopt(fd, Datagrams.IPPROTO_IP, Datagrams.IP_MULTICAST_TTL);
    }

    @Override
    public int setGro(int fd, boolean on) {
        return Sockets.setsockopt(fd, Datagrams.SOL_UDP, Datagrams.UDP_GRO, on ? 1 : 0);
    }

    @Override
    public boolean canSegment(int fd) {
        return batched && Sockets.getsockopt(fd, Datagrams.SOL_UDP, Datagrams.UDP_SEGMENT) >= 0;
    }

    @Override
    public boolean segmentationRefused(int errno) {
        return errno == Datagrams.EIO || errno == ErrnoCodes.ENOPROTOOPT
                || errno == Datagrams.EOPNOTSUPP;
    }

    @Override
    public boolean isInet6(MemorySegment sockaddr) {
        return sockaddr.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) == Sockets.AF_INET6;
    }

    @Override
    public boolean abstractUnixNames() {
        return true;
    }

    @Override
    public int autobind(int fd) {
        // sun_family alone (addrlen sizeof(sa_family_t)): unix(7)'s autobind.
        MemorySegment sa = Errno.current().scratch.asSlice(0, UnixSockets.PATH_OFFSET);
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) UnixSockets.AF_UNIX);
        return Sockets.bind(fd, sa, (int) UnixSockets.PATH_OFFSET);
    }

    @Override
    public int sendBufferFull(int fd) {
        // sock_alloc_send_pskb refuses (EAGAIN) once the datagrams not yet freed reach sk_sndbuf;
        // below that, the EAGAIN came from the receiver's full queue.
        MemorySegment scratch = Errno.current().scratch;
        MemorySegment info = scratch.asSlice(0, 4L * (Datagrams.SK_MEMINFO_SNDBUF + 1));
        MemorySegment len = scratch.asSlice(32, 4);
        len.set(INT, 0, (int) info.byteSize());
        int r = SockOpts.getsockopt(fd, Sockets.SOL_SOCKET, Datagrams.SO_MEMINFO, info, len);
        if (r < 0) {
            return r;
        }
        long unfreed = Integer.toUnsignedLong(info.getAtIndex(INT, Datagrams.SK_MEMINFO_WMEM_ALLOC));
        long sndbuf = Integer.toUnsignedLong(info.getAtIndex(INT, Datagrams.SK_MEMINFO_SNDBUF));
        return unfreed >= sndbuf ? 1 : 0;
    }
}
