package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.UnixCalls;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.text.Normalizer;

/**
 * {@link UnixCalls} on macOS and FreeBSD, over {@link BsdUnix}: socketpair and pipe get their
 * flags as sockets and pipes do here ({@link BsdPlatform}), no abstract names, getpeereid.
 */
final class BsdUnixCalls extends UnixCalls {
    private final BsdPlatform platform;
    private final BsdAbi abi;

    BsdUnixCalls(BsdPlatform platform) {
        this.platform = platform;
        this.abi = platform.abi();
    }

    @Override
    public int unixFamily() {
        return BsdUnix.AF_UNIX;
    }

    @Override
    public int unixStreamSocket() {
        return platform.socket(BsdUnix.AF_UNIX);
    }

    @Override
    public int unixStreamPair(int[] fds) {
        int r = BsdUnix.socketpair(BsdAbi.SOCK_STREAM | abi.sockNonblock | abi.sockCloexec, fds);
        if (r < 0) {
            return r;
        }
        int a = platform.prepare(fds[0]); // closes fds[0] on failure
        if (a < 0) {
            BsdLibc.close(fds[1]);
            return a;
        }
        int b = platform.prepare(fds[1]);
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
        r = platform.makeNonBlockingCloexec(fds[0]);
        if (r == 0) {
            r = platform.makeNonBlockingCloexec(fds[1]);
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
        return BsdUnix.encode(name, abstractName, dst, platform.name());
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
}
