package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.linux.gen.LinuxH;
import io.ffpoll.bindings.linux.gen.linger;
import io.ffpoll.bindings.linux.gen.sockaddr_storage;
import io.ffpoll.bindings.linux.gen.tcp_info;
import io.ffpoll.bindings.platform.TcpInfoField;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The Linux socket options beyond the ones {@link Sockets} sets, and the struct-valued reads:
 * {@code getsockopt} into a buffer (SO_LINGER's {@code struct linger}, TCP_INFO's
 * {@code struct tcp_info}) and the socket's address family. The numbers are glibc's, from the
 * generated bindings; none of this is on a hot path. Each call returns its result or
 * {@code -errno}.
 */
public final class SockOpts {
    public static final int IPPROTO_IP = LinuxH.IPPROTO_IP();
    public static final int IP_TOS = LinuxH.IP_TOS();
    public static final int IPV6_TCLASS = LinuxH.IPV6_TCLASS();
    public static final int SO_BUSY_POLL = LinuxH.SO_BUSY_POLL();
    public static final int TCP_KEEPIDLE = LinuxH.TCP_KEEPIDLE();
    public static final int TCP_KEEPINTVL = LinuxH.TCP_KEEPINTVL();
    public static final int TCP_KEEPCNT = LinuxH.TCP_KEEPCNT();
    public static final int TCP_USER_TIMEOUT = LinuxH.TCP_USER_TIMEOUT();
    public static final int TCP_FASTOPEN = LinuxH.TCP_FASTOPEN();
    public static final int TCP_FASTOPEN_CONNECT = LinuxH.TCP_FASTOPEN_CONNECT();
    public static final int TCP_DEFER_ACCEPT = LinuxH.TCP_DEFER_ACCEPT();
    public static final int TCP_CORK = LinuxH.TCP_CORK();
    public static final int TCP_INFO = LinuxH.TCP_INFO();

    private static final MethodHandle GETSOCKOPT =
            Errno.link(LinuxH.getsockopt$address(), LinuxH.getsockopt$descriptor(), true);
    private static final MethodHandle GETSOCKNAME =
            Errno.link(LinuxH.getsockname$address(), LinuxH.getsockname$descriptor(), true);
    // <asm-generic/ioctls.h>: SIOCOUTQ is TIOCOUTQ, 0x5411 on x86-64 and arm64 alike. ioctl is
    // variadic (int ioctl(int, unsigned long, ...)): the int* goes as its first variadic argument.
    public static final int SIOCOUTQ = 0x5411;
    private static final MethodHandle IOCTL = Errno.link(
            java.lang.foreign.Linker.nativeLinker().defaultLookup().find("ioctl").orElseThrow(),
            java.lang.foreign.FunctionDescriptor.of(LinuxH.C_INT, LinuxH.C_INT, LinuxH.C_LONG, LinuxH.C_POINTER), true,
            java.lang.foreign.Linker.Option.firstVariadicArg(2));
    private static final Syscalls.Counter C_IOCTL = Syscalls.counter("ioctl");
    private static final Syscalls.Counter C_GETSOCKOPT = Syscalls.counter("getsockopt");
    private static final Syscalls.Counter C_GETSOCKNAME = Syscalls.counter("getsockname");
    private static final long LINGER_SIZE = linger.layout().byteSize();
    private static final long TCP_INFO_SIZE = tcp_info.layout().byteSize();
    private static final long STORAGE_SIZE = sockaddr_storage.layout().byteSize();

    private SockOpts() {}

    /**
     * getsockopt(2) into {@code value}; {@code len} is a socklen_t holding value's size on entry
     * and the length the kernel wrote on return.
     *
     * @return 0, or -errno
     * @throws IndexOutOfBoundsException if {@code len} holds more than {@code value}'s size
     */
    public static int getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment len) {
        Bounds.socklen("getsockopt", value, len);
        C_GETSOCKOPT.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) GETSOCKOPT.invokeExact(t.state, fd, level, name, value, len);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * {@code ioctl(fd, SIOCOUTQ)}: the bytes in a TCP socket's send queue that the peer has not
     * acknowledged (sent or not), tcp(7).
     *
     * @param fd the socket
     * @return the bytes, or -errno
     */
    public static int unacknowledged(int fd) {
        C_IOCTL.hit();
        Errno.PerThread t = Errno.current();
        MemorySegment value = t.scratch.asSlice(0, 4);
        try {
            int r = (int) IOCTL.invokeExact(t.state, fd, (long) SIOCOUTQ, value);
            return r >= 0 ? value.get(ValueLayout.JAVA_INT, 0) : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * SO_LINGER as it is now: {@code out[0]} gets l_onoff (0 or 1) and {@code out[1]} l_linger,
     * in seconds.
     *
     * @return 0, or -errno
     */
    public static int getLinger(int fd, int[] out) {
        MemorySegment scratch = Errno.current().scratch;
        MemorySegment value = scratch.asSlice(0, LINGER_SIZE);
        MemorySegment len = scratch.asSlice(16, 4);
        value.fill((byte) 0);
        len.set(ValueLayout.JAVA_INT, 0, (int) LINGER_SIZE);
        int r = getsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_LINGER, value, len);
        if (r < 0) {
            return r;
        }
        out[0] = linger.l_onoff(value) != 0 ? 1 : 0;
        out[1] = linger.l_linger(value);
        return 0;
    }

    /**
     * TCP_INFO: the fields of glibc's {@code struct tcp_info} into {@code out}, indexed by
     * {@link TcpInfoField#ordinal()}. The kernel fills what fits in the length it is given (its
     * own struct has grown since); the bytes are read into memory of the calling thread's,
     * allocated once.
     *
     * @return 0, or -errno (ENOPROTOOPT: not a TCP socket)
     */
    public static int tcpInfo(int fd, int[] out) {
        if (out.length < TcpInfoField.COUNT) {
            throw new IndexOutOfBoundsException("tcpInfo: out holds " + out.length + " ints, needs " + TcpInfoField.COUNT);
        }
        MemorySegment info = INFO.get();
        MemorySegment len = Errno.current().scratch.asSlice(0, 4);
        info.fill((byte) 0);
        len.set(ValueLayout.JAVA_INT, 0, (int) TCP_INFO_SIZE);
        int r = getsockopt(fd, Sockets.IPPROTO_TCP, TCP_INFO, info, len);
        if (r < 0) {
            return r;
        }
        out[TcpInfoField.STATE.ordinal()] = Byte.toUnsignedInt(tcp_info.tcpi_state(info));
        out[TcpInfoField.CA_STATE.ordinal()] = Byte.toUnsignedInt(tcp_info.tcpi_ca_state(info));
        out[TcpInfoField.RETRANSMITS.ordinal()] = Byte.toUnsignedInt(tcp_info.tcpi_retransmits(info));
        out[TcpInfoField.PROBES.ordinal()] = Byte.toUnsignedInt(tcp_info.tcpi_probes(info));
        out[TcpInfoField.BACKOFF.ordinal()] = Byte.toUnsignedInt(tcp_info.tcpi_backoff(info));
        out[TcpInfoField.OPTIONS.ordinal()] = Byte.toUnsignedInt(tcp_info.tcpi_options(info));
        out[TcpInfoField.RTO.ordinal()] = tcp_info.tcpi_rto(info);
        out[TcpInfoField.ATO.ordinal()] = tcp_info.tcpi_ato(info);
        out[TcpInfoField.SND_MSS.ordinal()] = tcp_info.tcpi_snd_mss(info);
        out[TcpInfoField.RCV_MSS.ordinal()] = tcp_info.tcpi_rcv_mss(info);
        out[TcpInfoField.UNACKED.ordinal()] = tcp_info.tcpi_unacked(info);
        out[TcpInfoField.SACKED.ordinal()] = tcp_info.tcpi_sacked(info);
        out[TcpInfoField.LOST.ordinal()] = tcp_info.tcpi_lost(info);
        out[TcpInfoField.RETRANS.ordinal()] = tcp_info.tcpi_retrans(info);
        out[TcpInfoField.LAST_DATA_SENT.ordinal()] = tcp_info.tcpi_last_data_sent(info);
        out[TcpInfoField.LAST_DATA_RECV.ordinal()] = tcp_info.tcpi_last_data_recv(info);
        out[TcpInfoField.LAST_ACK_RECV.ordinal()] = tcp_info.tcpi_last_ack_recv(info);
        out[TcpInfoField.PMTU.ordinal()] = tcp_info.tcpi_pmtu(info);
        out[TcpInfoField.RCV_SSTHRESH.ordinal()] = tcp_info.tcpi_rcv_ssthresh(info);
        out[TcpInfoField.RTT.ordinal()] = tcp_info.tcpi_rtt(info);
        out[TcpInfoField.RTTVAR.ordinal()] = tcp_info.tcpi_rttvar(info);
        out[TcpInfoField.SND_SSTHRESH.ordinal()] = tcp_info.tcpi_snd_ssthresh(info);
        out[TcpInfoField.SND_CWND.ordinal()] = tcp_info.tcpi_snd_cwnd(info);
        out[TcpInfoField.ADVMSS.ordinal()] = tcp_info.tcpi_advmss(info);
        out[TcpInfoField.REORDERING.ordinal()] = tcp_info.tcpi_reordering(info);
        out[TcpInfoField.RCV_RTT.ordinal()] = tcp_info.tcpi_rcv_rtt(info);
        out[TcpInfoField.RCV_SPACE.ordinal()] = tcp_info.tcpi_rcv_space(info);
        out[TcpInfoField.TOTAL_RETRANS.ordinal()] = tcp_info.tcpi_total_retrans(info);
        return 0;
    }

    // struct tcp_info (104 bytes) does not fit the 64 bytes of per-thread scratch.
    private static final ThreadLocal<MemorySegment> INFO =
            ThreadLocal.withInitial(() -> java.lang.foreign.Arena.ofAuto().allocate(tcp_info.layout()));

    /**
     * The address family of the socket {@code fd} is (getsockname): {@link Sockets#AF_INET},
     * {@link Sockets#AF_INET6}, another, or -errno.
     *
     * @return the family, or -errno
     */
    public static int family(int fd) {
        MemorySegment storage = STORAGE.get();
        MemorySegment len = Errno.current().scratch.asSlice(0, 4);
        len.set(ValueLayout.JAVA_INT, 0, (int) STORAGE_SIZE);
        C_GETSOCKNAME.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) GETSOCKNAME.invokeExact(t.state, fd, storage, len);
            return r >= 0 ? Short.toUnsignedInt(storage.get(ValueLayout.JAVA_SHORT, 0)) : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    private static final ThreadLocal<MemorySegment> STORAGE =
            ThreadLocal.withInitial(() -> java.lang.foreign.Arena.ofAuto().allocate(sockaddr_storage.layout()));
}
