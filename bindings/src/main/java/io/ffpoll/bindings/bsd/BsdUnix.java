package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The libc calls and numbers of Unix-domain sockets and pipes on macOS and FreeBSD:
 * {@code socketpair}, {@code pipe}, {@code getpeername}, {@code getpeereid}, {@code writev}, and
 * {@code struct sockaddr_un}. Linked on first use, like {@link BsdLibc}, so this class loads on
 * Linux. Each call returns its result or {@code -errno}.
 *
 * <p>Sources: XNU {@code bsd/sys/un.h} and FreeBSD {@code sys/sys/un.h} (sockaddr_un:
 * {@code sun_len}, {@code sun_family}, {@code char sun_path[104]}; XNU's {@code LOCAL_PEERPID
 * 0x002} at {@code SOL_LOCAL 0}); both {@code sys/socket.h} ({@code AF_UNIX 1},
 * {@code SO_TYPE 0x1008}). Neither has abstract names: a name starting with NUL is an empty path.
 */
final class BsdUnix {
    static final int AF_UNIX = 1;
    static final int SO_TYPE = 0x1008;
    static final int SOL_LOCAL = 0;
    /** macOS only: the pid of the peer of a Unix socket. */
    static final int LOCAL_PEERPID = 0x002;
    /** offsetof(struct sockaddr_un, sun_path): after sun_len and sun_family. */
    static final long PATH_OFFSET = 2;
    static final long PATH_CAPACITY = 104;
    static final long SUN_SIZE = PATH_OFFSET + PATH_CAPACITY;

    private static final ValueLayout INT = ValueLayout.JAVA_INT;
    private static final ValueLayout LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout PTR = ValueLayout.ADDRESS;

    private BsdUnix() {}

    private static MethodHandle link(String name, FunctionDescriptor d) {
        MemorySegment address = Linker.nativeLinker().defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return Errno.link(address, d, true); // none of these blocks
    }

    private static final class H {
        static final MethodHandle SOCKETPAIR = link("socketpair", FunctionDescriptor.of(INT, INT, INT, INT, PTR));
        static final MethodHandle PIPE = link("pipe", FunctionDescriptor.of(INT, PTR));
        static final MethodHandle GETPEERNAME = link("getpeername", FunctionDescriptor.of(INT, INT, PTR, PTR));
        static final MethodHandle GETPEEREID = link("getpeereid", FunctionDescriptor.of(INT, INT, PTR, PTR));
        static final MethodHandle WRITEV = link("writev", FunctionDescriptor.of(LONG, INT, PTR, INT));
    }

    private static final Syscalls.Counter C_SOCKETPAIR = Syscalls.counter("socketpair");
    private static final Syscalls.Counter C_PIPE = Syscalls.counter("pipe");
    private static final Syscalls.Counter C_GETPEERNAME = Syscalls.counter("getpeername");
    private static final Syscalls.Counter C_GETPEEREID = Syscalls.counter("getpeereid");
    private static final Syscalls.Counter C_WRITEV = Syscalls.counter("writev");

    /** socketpair into {@code fds} (two ints), no flags: the caller sets them by fcntl. */
    static int socketpair(int type, int[] fds) {
        C_SOCKETPAIR.hit();
        Errno.PerThread t = Errno.current();
        MemorySegment pair = t.scratch.asSlice(0, 8);
        try {
            int r = (int) H.SOCKETPAIR.invokeExact(t.state, AF_UNIX, type, 0, pair);
            if (r < 0) {
                return -t.errno();
            }
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
        fds[0] = pair.get(ValueLayout.JAVA_INT, 0);
        fds[1] = pair.get(ValueLayout.JAVA_INT, 4);
        return 0;
    }

    /** pipe(2) into {@code fds}: blocking and inheritable until fcntl says otherwise. */
    static int pipe(int[] fds) {
        C_PIPE.hit();
        Errno.PerThread t = Errno.current();
        MemorySegment pair = t.scratch.asSlice(0, 8);
        try {
            int r = (int) H.PIPE.invokeExact(t.state, pair);
            if (r < 0) {
                return -t.errno();
            }
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
        fds[0] = pair.get(ValueLayout.JAVA_INT, 0);
        fds[1] = pair.get(ValueLayout.JAVA_INT, 4);
        return 0;
    }

    static int getpeername(int fd, MemorySegment addr, MemorySegment addrLen) {
        Bounds.socklen("getpeername", addr, addrLen);
        C_GETPEERNAME.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) H.GETPEERNAME.invokeExact(t.state, fd, addr, addrLen);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** getpeereid: the peer's effective uid into out[0], gid into out[1]. */
    static int getpeereid(int fd, long[] out) {
        C_GETPEEREID.hit();
        Errno.PerThread t = Errno.current();
        MemorySegment uid = t.scratch.asSlice(0, 4);
        MemorySegment gid = t.scratch.asSlice(8, 4);
        try {
            int r = (int) H.GETPEEREID.invokeExact(t.state, fd, uid, gid);
            if (r < 0) {
                return -t.errno();
            }
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
        out[0] = Integer.toUnsignedLong(uid.get(ValueLayout.JAVA_INT, 0));
        out[1] = Integer.toUnsignedLong(gid.get(ValueLayout.JAVA_INT, 0));
        return 0;
    }

    static long writev(int fd, MemorySegment iov, int iovcnt) {
        Bounds.array("writev", "iovcnt", iovcnt, 16, "iov", iov);
        C_WRITEV.hit();
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) H.WRITEV.invokeExact(t.state, fd, iov, iovcnt);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A path as a sockaddr_un: {@code sun_len} and the length returned count the path and its
     * NUL. Abstract names do not exist here.
     */
    static int encode(byte[] name, boolean abstractName, MemorySegment dst, String os) {
        if (abstractName) {
            throw new UnsupportedOperationException("abstract Unix socket names are Linux only; " + os
                    + " has none: bind a path instead");
        }
        Bounds.struct("encode", "sockaddr_un", SUN_SIZE, "dst", dst);
        io.ffpoll.bindings.platform.UnixNames.check(name, false, PATH_CAPACITY - 1, os);
        dst.asSlice(0, SUN_SIZE).fill((byte) 0);
        int length = (int) (PATH_OFFSET + name.length + 1);
        dst.set(ValueLayout.JAVA_BYTE, 0, (byte) length);
        dst.set(ValueLayout.JAVA_BYTE, 1, (byte) AF_UNIX);
        MemorySegment.copy(name, 0, dst, ValueLayout.JAVA_BYTE, PATH_OFFSET, name.length);
        return length;
    }

    /** The path in a sockaddr_un of {@code length} bytes; empty for an unnamed socket. */
    static byte[] decode(MemorySegment src, int length) {
        Bounds.length("decode", "length", length, "src", src);
        int n = (int) Math.max(0, Math.min(length - PATH_OFFSET, PATH_CAPACITY));
        int end = 0;
        while (end < n && src.get(ValueLayout.JAVA_BYTE, PATH_OFFSET + end) != 0) {
            end++;
        }
        byte[] name = new byte[end];
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, PATH_OFFSET, name, 0, end);
        return name;
    }
}
