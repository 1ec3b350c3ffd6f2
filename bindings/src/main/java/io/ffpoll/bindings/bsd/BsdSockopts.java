package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.SocketOption;
import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The socket options of macOS and FreeBSD beyond the int ones {@link BsdPlatform} always set,
 * with each number as the OS's header defines it, and getsockopt into a buffer (for SO_LINGER's
 * struct). Where the OS lacks an option, {@link #number} is -1 and the platform refuses it.
 *
 * <p>Sources (read in the public trees, apple-oss-distributions/xnu and freebsd/freebsd-src):
 * <ul>
 * <li>FreeBSD {@code sys/netinet/tcp.h}: TCP_NOPUSH 4, TCP_KEEPIDLE 256, TCP_KEEPINTVL 512,
 *     TCP_KEEPCNT 1024, TCP_FASTOPEN 1025 (an int that turns it on, the original interface;
 *     a {@code struct tcp_fastopen} otherwise).</li>
 * <li>XNU {@code bsd/netinet/tcp.h}: TCP_NOPUSH 0x04, TCP_KEEPALIVE 0x10 (the idle time, what
 *     Linux calls TCP_KEEPIDLE), TCP_KEEPINTVL 0x101, TCP_KEEPCNT 0x102, TCP_FASTOPEN 0x105.</li>
 * <li>Both {@code netinet/in.h}: IPPROTO_IP 0, IP_TOS 3, IPPROTO_IPV6 41.</li>
 * <li>IPV6_TCLASS: 61 in FreeBSD's {@code sys/netinet6/in6.h}, 36 in XNU's
 *     {@code bsd/netinet6/in6.h}.</li>
 * <li>SO_LINGER 0x0080 in both {@code sys/socket.h}; but XNU counts its l_linger in clock
 *     ticks, and has SO_LINGER_SEC 0x1080 for seconds (what its POSIX mode calls SO_LINGER).</li>
 * </ul>
 * Neither has TCP_USER_TIMEOUT, TCP_FASTOPEN_CONNECT (macOS connects with data through
 * {@code connectx}), TCP_DEFER_ACCEPT (FreeBSD has accept filters instead), TCP_CORK or
 * SO_BUSY_POLL.
 */
final class BsdSockopts {
    static final int IPPROTO_IP = 0;
    static final int IPPROTO_IPV6 = 41;
    static final int IP_TOS = 3;
    static final int TCP_NOPUSH = 0x04;
    static final int FREEBSD_TCP_KEEPIDLE = 256;
    static final int FREEBSD_TCP_KEEPINTVL = 512;
    static final int FREEBSD_TCP_KEEPCNT = 1024;
    static final int FREEBSD_TCP_FASTOPEN = 1025;
    static final int FREEBSD_IPV6_TCLASS = 61;
    static final int MACOS_TCP_KEEPALIVE = 0x10;
    static final int MACOS_TCP_KEEPINTVL = 0x101;
    static final int MACOS_TCP_KEEPCNT = 0x102;
    static final int MACOS_TCP_FASTOPEN = 0x105;
    static final int MACOS_IPV6_TCLASS = 36;
    static final int MACOS_SO_LINGER_SEC = 0x1080;

    private BsdSockopts() {}

    /** The level of {@code o}: SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6 or IPPROTO_TCP. */
    static int level(SocketOption o) {
        return switch (o) {
            case REUSE_ADDRESS, REUSE_PORT_BALANCED, SEND_BUFFER, RECEIVE_BUFFER, KEEP_ALIVE, SO_BUSY_POLL ->
                    BsdAbi.SOL_SOCKET;
            case IP_TOS -> IPPROTO_IP;
            case IPV6_TCLASS -> IPPROTO_IPV6;
            default -> BsdAbi.IPPROTO_TCP;
        };
    }

    /** The number of {@code o} on {@code abi}'s OS, or -1 where it lacks it. */
    static int number(BsdAbi abi, SocketOption o) {
        boolean mac = abi == BsdAbi.MACOS;
        return switch (o) {
            case REUSE_ADDRESS -> BsdAbi.SO_REUSEADDR;
            case REUSE_PORT_BALANCED -> mac ? BsdAbi.SO_REUSEPORT : BsdAbi.SO_REUSEPORT_LB;
            case TCP_NODELAY -> BsdAbi.TCP_NODELAY;
            case SEND_BUFFER -> BsdAbi.SO_SNDBUF;
            case RECEIVE_BUFFER -> BsdAbi.SO_RCVBUF;
            case KEEP_ALIVE -> BsdAbi.SO_KEEPALIVE;
            case TCP_KEEPIDLE -> mac ? MACOS_TCP_KEEPALIVE : FREEBSD_TCP_KEEPIDLE;
            case TCP_KEEPINTVL -> mac ? MACOS_TCP_KEEPINTVL : FREEBSD_TCP_KEEPINTVL;
            case TCP_KEEPCNT -> mac ? MACOS_TCP_KEEPCNT : FREEBSD_TCP_KEEPCNT;
            case TCP_FASTOPEN -> mac ? MACOS_TCP_FASTOPEN : FREEBSD_TCP_FASTOPEN;
            case TCP_NOPUSH -> TCP_NOPUSH;
            case IP_TOS -> IP_TOS;
            case IPV6_TCLASS -> mac ? MACOS_IPV6_TCLASS : FREEBSD_IPV6_TCLASS;
            case TCP_USER_TIMEOUT, TCP_FASTOPEN_CONNECT, TCP_DEFER_ACCEPT, TCP_CORK, SO_BUSY_POLL -> -1;
        };
    }

    /** SO_LINGER in seconds: SO_LINGER_SEC on macOS, SO_LINGER on FreeBSD. */
    static int lingerSeconds(BsdAbi abi) {
        return abi == BsdAbi.MACOS ? MACOS_SO_LINGER_SEC : BsdAbi.SO_LINGER;
    }

    private static final class H { // linked on first use: on Linux this class only loads
        static final MethodHandle GETSOCKOPT = Errno.link(
                Linker.nativeLinker().defaultLookup().find("getsockopt")
                        .orElseThrow(() -> new UnsatisfiedLinkError("libc has no getsockopt")),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS), true);
    }

    /**
     * getsockopt(2) into {@code value}; {@code len} holds value's size on entry.
     *
     * @return 0, or -errno
     */
    static int getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment len) {
        Bounds.socklen("getsockopt", value, len);
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) H.GETSOCKOPT.invokeExact(t.state, fd, level, name, value, len);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
