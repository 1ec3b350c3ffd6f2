package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.SocketOption;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.platform.OptionCalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@link OptionCalls} on macOS and FreeBSD: the numbers are {@link BsdSockopts}'s, SO_LINGER is
 * in seconds on both (macOS: SO_LINGER_SEC), and TCP_INFO is not bound.
 */
final class BsdOptionCalls extends OptionCalls {
    private final BsdPlatform platform;
    private final BsdAbi abi;

    BsdOptionCalls(BsdPlatform platform) {
        super(platform.name());
        this.platform = platform;
        this.abi = platform.abi();
    }

    @Override
    public boolean balancesReusePort() {
        return abi == BsdAbi.FREEBSD;
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

    static int setInt(int fd, int level, int name, int value) {
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
    public int unacknowledged(int fd) {
        return -Err.ENOSYS; // FreeBSD's FIONWRITE and macOS's SO_NWRITE are not bound
    }

    @Override
    public boolean hasTcpInfo() {
        return false;
    }

    @Override
    public int tcpInfo(int fd, int[] fields) {
        // FreeBSD's struct tcp_info shares Linux's names but not its layout past the first
        // fields, and macOS offers TCP_CONNECTION_INFO instead: neither is bound yet.
        throw new UnsupportedOperationException("TCP_INFO (Linux's struct tcp_info) is not available on " + os());
    }

    @Override
    public int ipVersion(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = platform.allocateSockaddr(arena);
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
