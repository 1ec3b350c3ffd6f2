package io.ffpoll.bindings.testing.rump;

import io.ffpoll.bindings.SocketOption;
import io.ffpoll.bindings.bsd.BsdAbi;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.platform.OptionCalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The socket options of the rump platform: the SOL_SOCKET and TCP options that NetBSD numbers
 * as the other BSDs do (sys/sys/socket.h, netinet/tcp.h). The rest (keep-alive timing, fast
 * open, IP_TOS ...) are not offered here: {@link #supports} says no and the calls throw.
 */
final class RumpOptions extends OptionCalls {
    private final RumpCalls calls;

    RumpOptions(RumpCalls calls) {
        super("netbsd");
        this.calls = calls;
    }

    int setInt(int fd, int level, int name, int value) {
        MemorySegment v = Errno.current().scratch.asSlice(0, 4);
        v.set(ValueLayout.JAVA_INT, 0, value);
        return calls.setsockopt(fd, level, name, v, 4);
    }

    private int getInt(int fd, int level, int name) {
        MemorySegment scratch = Errno.current().scratch;
        MemorySegment value = scratch.asSlice(0, 4);
        MemorySegment len = scratch.asSlice(8, 4);
        value.set(ValueLayout.JAVA_INT, 0, 0);
        len.set(ValueLayout.JAVA_INT, 0, 4);
        int r = calls.getsockopt(fd, level, name, value, len);
        return r < 0 ? r : value.get(ValueLayout.JAVA_INT, 0);
    }

    private int number(SocketOption o) {
        return switch (o) {
            case REUSE_ADDRESS -> BsdAbi.SO_REUSEADDR;
            case TCP_NODELAY -> BsdAbi.TCP_NODELAY;
            case SEND_BUFFER -> BsdAbi.SO_SNDBUF;
            case RECEIVE_BUFFER -> BsdAbi.SO_RCVBUF;
            case KEEP_ALIVE -> BsdAbi.SO_KEEPALIVE;
            default -> -1;
        };
    }

    private int checked(SocketOption o) {
        int n = number(o);
        if (n < 0) {
            throw unsupported(o);
        }
        return n;
    }

    private static int level(SocketOption o) {
        return o == SocketOption.TCP_NODELAY ? BsdAbi.IPPROTO_TCP : BsdAbi.SOL_SOCKET;
    }

    @Override
    public boolean balancesReusePort() {
        return false; // NetBSD's SO_REUSEPORT does not balance: servers use one acceptor
    }

    @Override
    public int setOption(int fd, SocketOption option, int value) {
        return setInt(fd, level(option), checked(option), value);
    }

    @Override
    public int getOption(int fd, SocketOption option) {
        return getInt(fd, level(option), checked(option));
    }

    @Override
    public int socketError(int fd) {
        return getInt(fd, BsdAbi.SOL_SOCKET, BsdAbi.SO_ERROR);
    }

    @Override
    public int resetOnClose(int fd) {
        return setLinger(fd, true, 0);
    }

    @Override
    public boolean supports(SocketOption option) {
        return number(option) >= 0;
    }

    @Override
    public int setLinger(int fd, boolean on, int seconds) {
        MemorySegment linger = Errno.current().scratch.asSlice(0, 8); // struct linger { int l_onoff; int l_linger; }
        linger.set(ValueLayout.JAVA_INT, 0, on ? 1 : 0);
        linger.set(ValueLayout.JAVA_INT, 4, seconds);
        return calls.setsockopt(fd, BsdAbi.SOL_SOCKET, BsdAbi.SO_LINGER, linger, 8);
    }

    @Override
    public int getLinger(int fd, int[] onAndSeconds) {
        MemorySegment scratch = Errno.current().scratch;
        MemorySegment linger = scratch.asSlice(0, 8);
        MemorySegment len = scratch.asSlice(16, 4);
        linger.fill((byte) 0);
        len.set(ValueLayout.JAVA_INT, 0, 8);
        int r = calls.getsockopt(fd, BsdAbi.SOL_SOCKET, BsdAbi.SO_LINGER, linger, len);
        if (r < 0) {
            return r;
        }
        onAndSeconds[0] = linger.get(ValueLayout.JAVA_INT, 0) != 0 ? 1 : 0;
        onAndSeconds[1] = linger.get(ValueLayout.JAVA_INT, 4);
        return 0;
    }

    @Override
    public int unacknowledged(int fd) {
        return -io.ffpoll.bindings.Err.ENOSYS; // NetBSD's FIONWSPACE is not bound: timers go by bytes sent
    }

    @Override
    public boolean hasTcpInfo() {
        return false;
    }

    @Override
    public int tcpInfo(int fd, int[] fields) {
        throw new UnsupportedOperationException("TCP_INFO is not available on the rump kernel");
    }

    @Override
    public int ipVersion(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(BsdAbi.SOCKADDR_STORAGE_SIZE, 8);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, (int) BsdAbi.SOCKADDR_STORAGE_SIZE);
            int r = calls.getsockname(fd, sa, len);
            if (r < 0) {
                return r;
            }
            int family = Byte.toUnsignedInt(sa.get(ValueLayout.JAVA_BYTE, 1)); // after sa_len
            return family == BsdAbi.AF_INET ? 4 : family == BsdAbi.NETBSD.afInet6 ? 6 : 0;
        }
    }
}
