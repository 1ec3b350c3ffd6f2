package io.ffpoll.bindings.testing.rump;

import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.UnixCalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What the rump platform offers of the Unix-socket and stream calls: socketpairs, getpeername,
 * the stream and access-mode checks, and gathered writes. The rump kernel here has no file
 * system mounted, so named Unix sockets are not offered; nor are pipes or peer credentials.
 */
final class RumpUnix extends UnixCalls {
    private static final int AF_LOCAL = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_NONBLOCK = 0x20000000;
    private static final int SOCK_CLOEXEC = 0x10000000;
    private static final int SOL_SOCKET = 0xffff;
    private static final int SO_TYPE = 0x1008;
    private static final int F_GETFL = 3;
    private static final int O_ACCMODE = 3;

    private final RumpCalls calls;

    RumpUnix(RumpCalls calls) {
        this.calls = calls;
    }

    private static UnsupportedOperationException no(String what) {
        return new UnsupportedOperationException(what + " is not offered by the rump platform (no file system)");
    }

    @Override
    public int unixFamily() {
        return AF_LOCAL;
    }

    @Override
    public int unixStreamSocket() {
        throw no("a named Unix socket");
    }

    @Override
    public int unixStreamPair(int[] fds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pair = arena.allocate(8, 4);
            int r = calls.socketpair(AF_LOCAL, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, pair);
            if (r < 0) {
                return r;
            }
            fds[0] = pair.get(ValueLayout.JAVA_INT, 0);
            fds[1] = pair.get(ValueLayout.JAVA_INT, 4);
            return 0;
        }
    }

    @Override
    public int pipe(int[] fds) {
        throw no("pipe");
    }

    @Override
    public boolean hasAbstractUnixNames() {
        return false;
    }

    @Override
    public int maxUnixNameBytes() {
        return 103; // sun_path[104], with its NUL
    }

    @Override
    public int encodeUnix(byte[] name, boolean abstractName, MemorySegment dst) {
        throw no("a Unix socket name");
    }

    @Override
    public byte[] decodeUnix(MemorySegment src, int length) {
        throw no("a Unix socket name");
    }

    @Override
    public int sockaddrFamily(MemorySegment src) {
        return Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, 1)); // after sa_len
    }

    @Override
    public int getpeername(int fd, MemorySegment addr, MemorySegment addrLen) {
        return calls.getpeername(fd, addr, addrLen);
    }

    @Override
    public int isStreamSocket(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, 4);
            int r = calls.getsockopt(fd, SOL_SOCKET, SO_TYPE, value, len);
            return r < 0 ? r : value.get(ValueLayout.JAVA_INT, 0) == SOCK_STREAM ? 1 : 0;
        }
    }

    @Override
    public int accessMode(int fd) {
        int flags = calls.fcntl(fd, F_GETFL, 0);
        return flags < 0 ? flags : flags & O_ACCMODE;
    }

    @Override
    public long writeGathered(int fd, Gather gather, int count) {
        gather.msghdr().set(ValueLayout.JAVA_INT, 24, count); // msg_iovlen, an int on the BSDs
        return calls.sendmsg(fd, gather.msghdr(), 0);
    }

    @Override
    public int peerCredentials(int fd, long[] out) {
        throw no("peer credentials");
    }
}
