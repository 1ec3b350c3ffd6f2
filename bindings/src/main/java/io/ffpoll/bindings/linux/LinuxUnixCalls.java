package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.UnixCalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@link UnixCalls} on Linux: socketpair and pipe2 with the flags at creation (or fcntl after,
 * in {@link LinuxPlatform#fcntlAfter()}'s variant), abstract names, SO_PEERCRED.
 */
final class LinuxUnixCalls extends UnixCalls {
    private final LinuxPlatform platform;
    private final boolean fcntlAfter;

    LinuxUnixCalls(LinuxPlatform platform, boolean fcntlAfter) {
        this.platform = platform;
        this.fcntlAfter = fcntlAfter;
    }

    @Override
    public int unixFamily() {
        return UnixSockets.AF_UNIX;
    }

    @Override
    public int unixStreamSocket() {
        return platform.socket(UnixSockets.AF_UNIX);
    }

    @Override
    public int unixStreamPair(int[] fds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pair = arena.allocate(ValueLayout.JAVA_INT, 2);
            int r = UnixSockets.socketpair(UnixSockets.AF_UNIX,
                    Sockets.SOCK_STREAM | (fcntlAfter ? 0 : LinuxPlatform.NONBLOCK_CLOEXEC), 0, pair);
            if (r < 0) {
                return r;
            }
            return bothOrNeither(pair, fds);
        }
    }

    @Override
    public int pipe(int[] fds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pair = arena.allocate(ValueLayout.JAVA_INT, 2);
            int r = UnixSockets.pipe2(pair, fcntlAfter ? 0 : Fd.O_NONBLOCK | UnixSockets.O_CLOEXEC);
            if (r < 0) {
                return r;
            }
            return bothOrNeither(pair, fds);
        }
    }

    /** Hands out both descriptors (after fcntl, in the fallback), or closes both. */
    private int bothOrNeither(MemorySegment pair, int[] fds) {
        int a = pair.get(ValueLayout.JAVA_INT, 0);
        int b = pair.get(ValueLayout.JAVA_INT, 4);
        if (fcntlAfter) {
            int r = platform.makeNonBlockingCloexec(a);
            if (r == 0) {
                r = platform.makeNonBlockingCloexec(b);
            }
            if (r < 0) {
                Fd.close(a);
                Fd.close(b);
                return r;
            }
        }
        fds[0] = a;
        fds[1] = b;
        return 0;
    }

    @Override
    public boolean hasAbstractUnixNames() {
        return true;
    }

    @Override
    public int maxUnixNameBytes() {
        return (int) UnixSockets.PATH_CAPACITY - 1;
    }

    @Override
    public int encodeUnix(byte[] name, boolean abstractName, MemorySegment dst) {
        return UnixSockets.encode(name, abstractName, dst);
    }

    @Override
    public byte[] decodeUnix(MemorySegment src, int length) {
        return UnixSockets.decode(src, length);
    }

    @Override
    public int sockaddrFamily(MemorySegment src) {
        Bounds.struct("sockaddrFamily", "sa_family", 2, "src", src);
        return Short.toUnsignedInt(src.get(ValueLayout.JAVA_SHORT, 0));
    }

    @Override
    public int getpeername(int fd, MemorySegment addr, MemorySegment addrLen) {
        return UnixSockets.getpeername(fd, addr, addrLen);
    }

    @Override
    public int peerNameAfterReset(int fd, MemorySegment addr, MemorySegment addrLen) {
        return UnixSockets.peerName(fd, addr, addrLen);
    }

    @Override
    public int isStreamSocket(int fd) {
        int type = Sockets.getsockopt(fd, Sockets.SOL_SOCKET, UnixSockets.SO_TYPE);
        return type < 0 ? type : type == Sockets.SOCK_STREAM ? 1 : 0;
    }

    @Override
    public int accessMode(int fd) {
        int flags = Fd.fcntl(fd, Fd.F_GETFL, 0);
        return flags < 0 ? flags : flags & O_ACCMODE;
    }

    /**
     * O_ACCMODE: O_RDONLY 0, O_WRONLY 1, O_RDWR 2 in glibc's fcntl.h and in every BSD's
     * (POSIX leaves the numbers open; these three have never differed). Not in the generated
     * constants, hence here.
     */
    static final int O_ACCMODE = 3;

    @Override
    public long writeGathered(int fd, Gather gather, int count) {
        Bounds.count("writev", "count", count, gather.capacity(), "gather", "iovecs");
        return Fd.writev(fd, gather.iovecs(), count);
    }

    @Override
    public int peerCredentials(int fd, long[] out) {
        return UnixSockets.peerCredentials(fd, out);
    }
}
