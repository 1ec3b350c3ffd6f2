package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.linux.gen.LinuxH;
import io.ffpoll.bindings.linux.gen.sockaddr_un;
import io.ffpoll.bindings.linux.gen.ucred;
import io.ffpoll.bindings.platform.UnixNames;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * unix(7) calls and {@code struct sockaddr_un}: {@code socketpair}, {@code getpeername},
 * {@code pipe2}, {@code SO_PEERCRED}, and the encoding of a path or an abstract name. Each call
 * returns its result or {@code -errno}; none of them blocks, so all are linked critical.
 *
 * <p>A path is {@code sun_path} with a terminating NUL, its length
 * {@code offsetof(sun_path) + strlen + 1}. An abstract name (Linux only) starts with a NUL byte
 * and is exactly as long as the length says: no NUL ends it, so the length passed to bind and
 * connect is {@code offsetof(sun_path) + 1 + name length}, and a trailing NUL would be part of
 * another name.
 */
public final class UnixSockets {
    public static final int AF_UNIX = LinuxH.AF_UNIX();
    public static final int SO_TYPE = LinuxH.SO_TYPE();
    public static final int SO_PEERCRED = LinuxH.SO_PEERCRED();
    public static final int O_CLOEXEC = LinuxH.O_CLOEXEC();
    /** {@code offsetof(struct sockaddr_un, sun_path)}: 2 (the family). */
    public static final long PATH_OFFSET = sockaddr_un.sun_path$offset();
    /** {@code sizeof(sun_path)}: 108 on Linux. */
    public static final long PATH_CAPACITY = sockaddr_un.sun_path$layout().byteSize();
    private static final long SUN_SIZE = sockaddr_un.layout().byteSize();
    private static final long UCRED_SIZE = ucred.layout().byteSize();

    private static final MethodHandle SOCKETPAIR =
            Errno.link(LinuxH.socketpair$address(), LinuxH.socketpair$descriptor(), true);
    private static final MethodHandle GETPEERNAME =
            Errno.link(LinuxH.getpeername$address(), LinuxH.getpeername$descriptor(), true);
    private static final MethodHandle PIPE2 = Errno.link(LinuxH.pipe2$address(), LinuxH.pipe2$descriptor(), true);
    private static final MethodHandle GETSOCKOPT =
            Errno.link(LinuxH.getsockopt$address(), LinuxH.getsockopt$descriptor(), true);

    private static final Syscalls.Counter C_SOCKETPAIR = Syscalls.counter("socketpair");
    private static final Syscalls.Counter C_GETPEERNAME = Syscalls.counter("getpeername");
    private static final Syscalls.Counter C_PIPE2 = Syscalls.counter("pipe2");
    private static final Syscalls.Counter C_GETSOCKOPT = Syscalls.counter("getsockopt");

    private UnixSockets() {}

    /**
     * Two connected sockets of {@code type} (which may carry SOCK_NONBLOCK|SOCK_CLOEXEC) in
     * {@code fds}' first two ints.
     */
    public static int socketpair(int domain, int type, int protocol, MemorySegment fds) {
        Bounds.struct("socketpair", "int[2]", 8, "fds", fds);
        C_SOCKETPAIR.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) SOCKETPAIR.invokeExact(t.state, domain, type, protocol, fds);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@code addrLen} holds addr's size on entry and the peer address's length on return. */
    public static int getpeername(int fd, MemorySegment addr, MemorySegment addrLen) {
        Bounds.socklen("getpeername", addr, addrLen);
        C_GETPEERNAME.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) GETPEERNAME.invokeExact(t.state, fd, addr, addrLen);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * SO_PEERNAME, from asm-generic/socket.h, which x86-64 and arm64 both use (jextract's
     * output lacks it). Checked against the kernel by LinuxBindingsTest.
     */
    public static final int SO_PEERNAME = 28;

    /**
     * getsockopt(SO_PEERNAME): the peer's address as accept(2) reads it, which a connection
     * reset by its peer still has, where getpeername(2) fails with ENOTCONN. {@code addrLen}
     * must hold the address's exact size (the kernel refuses a larger one with EINVAL).
     */
    public static int peerName(int fd, MemorySegment addr, MemorySegment addrLen) {
        Bounds.socklen("getsockopt", addr, addrLen);
        C_GETSOCKOPT.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) GETSOCKOPT.invokeExact(t.state, fd, Sockets.SOL_SOCKET, SO_PEERNAME, addr, addrLen);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** A pipe's read end, then its write end, in {@code fds}' first two ints. */
    public static int pipe2(MemorySegment fds, int flags) {
        Bounds.struct("pipe2", "int[2]", 8, "fds", fds);
        C_PIPE2.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) PIPE2.invokeExact(t.state, fds, flags);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * SO_PEERCRED: the peer's pid, uid and gid as they were when it connected (or called
     * socketpair), into {@code out}: {@code out[0]} uid, {@code out[1]} gid, {@code out[2]} pid.
     */
    public static int peerCredentials(int fd, long[] out) {
        C_GETSOCKOPT.hit();
        Errno.PerThread t = Errno.current();
        MemorySegment value = t.scratch.asSlice(0, UCRED_SIZE);
        MemorySegment len = t.scratch.asSlice(32, 4);
        len.set(ValueLayout.JAVA_INT, 0, (int) UCRED_SIZE);
        try {
            int r = (int) GETSOCKOPT.invokeExact(t.state, fd, Sockets.SOL_SOCKET, SO_PEERCRED, value, len);
            if (r < 0) {
                return -t.errno();
            }
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
        out[0] = Integer.toUnsignedLong(ucred.uid(value));
        out[1] = Integer.toUnsignedLong(ucred.gid(value));
        out[2] = ucred.pid(value);
        return 0;
    }

    /**
     * Writes a path ({@code abstractName} false) or an abstract name into {@code dst} and
     * returns the length to pass with it.
     *
     * @throws IllegalArgumentException if the name does not fit {@code sun_path} (with its NUL,
     *         for a path), is empty, or a path holds a NUL byte
     */
    public static int encode(byte[] name, boolean abstractName, MemorySegment dst) {
        Bounds.struct("encode", "sockaddr_un", SUN_SIZE, "dst", dst);
        long room = PATH_CAPACITY - 1; // less the abstract name's leading NUL, or the path's trailing one
        UnixNames.check(name, abstractName, room, "Linux");
        dst.asSlice(0, SUN_SIZE).fill((byte) 0);
        sockaddr_un.sun_family(dst, (short) AF_UNIX);
        long at = PATH_OFFSET + (abstractName ? 1 : 0);
        MemorySegment.copy(name, 0, dst, ValueLayout.JAVA_BYTE, at, name.length);
        return (int) (PATH_OFFSET + 1 + name.length); // abstract: the NUL in front; a path: the one after
    }

    /**
     * The name in a sockaddr_un of {@code length} bytes (what accept, getsockname or
     * getpeername reported): empty for an unnamed socket, a leading NUL for an abstract name
     * (every byte after it is the name), else the path without its NUL.
     */
    public static byte[] decode(MemorySegment src, int length) {
        Bounds.length("decode", "length", length, "src", src);
        int n = (int) Math.max(0, Math.min(length - PATH_OFFSET, PATH_CAPACITY));
        if (n > 0 && src.get(ValueLayout.JAVA_BYTE, PATH_OFFSET) != 0) {
            int end = 0;
            while (end < n && src.get(ValueLayout.JAVA_BYTE, PATH_OFFSET + end) != 0) {
                end++; // a path ends at its NUL, whatever length the kernel counted
            }
            n = end;
        }
        byte[] name = new byte[n];
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, PATH_OFFSET, name, 0, n);
        return name;
    }
}
