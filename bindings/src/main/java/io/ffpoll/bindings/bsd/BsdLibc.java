package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.internal.Bounds;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The libc calls of the BSD platform layer, each returning its result or {@code -errno}. The
 * handles are made the first time a BSD platform calls into libc (the nested holder class), not
 * when this class loads: on Linux the BSD classes load, their constants and layouts are read
 * and tested, and no symbol is looked up ({@link #linked()} stays 0). Lengths are checked against
 * their segments first ({@link Bounds}), so a rejected call links nothing either.
 */
final class BsdLibc {
    private static final AtomicInteger LINKED = new AtomicInteger();
    private static final ValueLayout INT = ValueLayout.JAVA_INT;
    private static final ValueLayout LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout PTR = ValueLayout.ADDRESS;

    private BsdLibc() {}

    /** How many libc symbols have been linked so far (0 until a BSD platform makes a call). */
    static int linked() {
        return LINKED.get();
    }

    private static MethodHandle link(String name, FunctionDescriptor d, boolean critical, Linker.Option... extra) {
        MemorySegment address = Linker.nativeLinker().defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        LINKED.incrementAndGet();
        return Errno.link(address, d, critical, extra);
    }

    private static final class H {
        static final MethodHandle SOCKET = link("socket", FunctionDescriptor.of(INT, INT, INT, INT), true);
        static final MethodHandle ACCEPT = link("accept", FunctionDescriptor.of(INT, INT, PTR, PTR), false);
        static final MethodHandle BIND = link("bind", FunctionDescriptor.of(INT, INT, PTR, INT), true);
        static final MethodHandle LISTEN = link("listen", FunctionDescriptor.of(INT, INT, INT), true);
        static final MethodHandle CONNECT = link("connect", FunctionDescriptor.of(INT, INT, PTR, INT), false);
        static final MethodHandle GETSOCKNAME = link("getsockname", FunctionDescriptor.of(INT, INT, PTR, PTR), true);
        static final MethodHandle SHUTDOWN = link("shutdown", FunctionDescriptor.of(INT, INT, INT), true);
        static final MethodHandle SETSOCKOPT =
                link("setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, INT), true);
        static final MethodHandle GETSOCKOPT =
                link("getsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, PTR), true);
        static final MethodHandle SEND = link("send", FunctionDescriptor.of(LONG, INT, PTR, LONG, INT), false);
        static final MethodHandle SENDMSG = link("sendmsg", FunctionDescriptor.of(LONG, INT, PTR, INT), false);
        static final MethodHandle READ = link("read", FunctionDescriptor.of(LONG, INT, PTR, LONG), false);
        static final MethodHandle WRITE = link("write", FunctionDescriptor.of(LONG, INT, PTR, LONG), false);
        static final MethodHandle CLOSE = link("close", FunctionDescriptor.of(INT, INT), false);
        // fcntl is variadic: int fcntl(int fd, int cmd, ...); we pass an int third argument.
        static final MethodHandle FCNTL = link("fcntl", FunctionDescriptor.of(INT, INT, INT, INT), true,
                Linker.Option.firstVariadicArg(2));
        static final MethodHandle GETRLIMIT = link("getrlimit", FunctionDescriptor.of(INT, INT, PTR), true);
    }

    private static final class Accept4 { // FreeBSD only: macOS has no accept4, and must not link it
        static final MethodHandle ACCEPT4 = link("accept4", FunctionDescriptor.of(INT, INT, PTR, PTR, INT), false);
    }

    private static final Syscalls.Counter C_SOCKET = Syscalls.counter("socket");
    private static final Syscalls.Counter C_ACCEPT = Syscalls.counter("accept");
    private static final Syscalls.Counter C_ACCEPT4 = Syscalls.counter("accept4");
    private static final Syscalls.Counter C_READ = Syscalls.counter("read");
    private static final Syscalls.Counter C_WRITE = Syscalls.counter("write");
    private static final Syscalls.Counter C_SEND = Syscalls.counter("send");
    private static final Syscalls.Counter C_SENDMSG = Syscalls.counter("sendmsg");

    private static int result(int r, Errno.PerThread t) {
        return r >= 0 ? r : -t.errno();
    }

    private static long result(long r, Errno.PerThread t) {
        return r >= 0 ? r : -t.errno();
    }

    static int socket(int domain, int type) {
        C_SOCKET.hit();
        Errno.PerThread t = Errno.current();
        try {
            return result((int) H.SOCKET.invokeExact(t.state, domain, type, 0), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static int accept(int fd, MemorySegment addr, MemorySegment len) {
        if (addr.address() != 0) { // with a NULL addr the kernel ignores len
            Bounds.socklen("accept", addr, len);
        }
        C_ACCEPT.hit();
        int fault = C_ACCEPT.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            return result((int) H.ACCEPT.invokeExact(t.state, fd, addr, len), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static int accept4(int fd, MemorySegment addr, MemorySegment len, int flags) {
        if (addr.address() != 0) {
            Bounds.socklen("accept4", addr, len);
        }
        C_ACCEPT4.hit();
        int fault = C_ACCEPT4.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            return result((int) Accept4.ACCEPT4.invokeExact(t.state, fd, addr, len, flags), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static int bind(int fd, MemorySegment addr, int len) {
        Bounds.length("bind", "addrlen", len, "addr", addr);
        Errno.PerThread t = Errno.current();
        try {
            return result((int) H.BIND.invokeExact(t.state, fd, addr, len), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static int listen(int fd, int backlog) {
        Errno.PerThread t = Errno.current();
        try {
            return result((int) H.LISTEN.invokeExact(t.state, fd, backlog), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static int connect(int fd, MemorySegment addr, int len) {
        Bounds.length("connect", "addrlen", len, "addr", addr);
        Errno.PerThread t = Errno.current();
        try {
            return result((int) H.CONNECT.invokeExact(t.state, fd, addr, len), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static int getsockname(int fd, MemorySegment addr, MemorySegment len) {
        Bounds.socklen("getsockname", addr, len);
        Errno.PerThread t = Errno.current();
        try {
            return result((int) H.GETSOCKNAME.invokeExact(t.state, fd, addr, len), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static int shutdown(int fd, int how) {
        Errno.PerThread t = Errno.current();
        try {
            return result((int) H.SHUTDOWN.invokeExact(t.state, fd, how), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** setsockopt with an option value of {@code length} bytes at {@code value}. */
    static int setsockopt(int fd, int level, int name, MemorySegment value, int length) {
        Bounds.length("setsockopt", "optlen", length, "optval", value);
        Errno.PerThread t = Errno.current();
        try {
            return result((int) H.SETSOCKOPT.invokeExact(t.state, fd, level, name, value, length), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** getsockopt of an int option: its value (those read here are >= 0) or -errno. */
    static int getsockopt(int fd, int level, int name) {
        Errno.PerThread t = Errno.current();
        MemorySegment value = t.scratch.asSlice(0, 4);
        MemorySegment len = t.scratch.asSlice(8, 4);
        value.set(ValueLayout.JAVA_INT, 0, 0);
        len.set(ValueLayout.JAVA_INT, 0, 4);
        try {
            int r = (int) H.GETSOCKOPT.invokeExact(t.state, fd, level, name, value, len);
            return r >= 0 ? value.get(ValueLayout.JAVA_INT, 0) : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static long send(int fd, MemorySegment buf, long len, int flags) {
        Bounds.length("send", "length", len, "buf", buf);
        C_SEND.hit();
        int fault = C_SEND.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            return result((long) H.SEND.invokeExact(t.state, fd, buf, len, flags), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static long sendmsg(int fd, MemorySegment msg, int flags) {
        Bounds.struct("sendmsg", "struct msghdr", BsdAbi.MSGHDR_SIZE, "msg", msg);
        C_SENDMSG.hit();
        int fault = C_SENDMSG.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            return result((long) H.SENDMSG.invokeExact(t.state, fd, msg, flags), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static long read(int fd, MemorySegment buf, long count) {
        Bounds.length("read", "count", count, "buf", buf);
        C_READ.hit();
        int fault = C_READ.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            return result((long) H.READ.invokeExact(t.state, fd, buf, count), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static long write(int fd, MemorySegment buf, long count) {
        Bounds.length("write", "count", count, "buf", buf);
        C_WRITE.hit();
        int fault = C_WRITE.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            return result((long) H.WRITE.invokeExact(t.state, fd, buf, count), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Never retried on EINTR (the descriptor is gone even then). */
    static int close(int fd) {
        Errno.PerThread t = Errno.current();
        try {
            return result((int) H.CLOSE.invokeExact(t.state, fd), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static int fcntl(int fd, int cmd, int arg) {
        Errno.PerThread t = Errno.current();
        try {
            return result((int) H.FCNTL.invokeExact(t.state, fd, cmd, arg), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static int getrlimit(int resource, MemorySegment rlim) {
        Bounds.struct("getrlimit", "struct rlimit", BsdAbi.RLIMIT_SIZE, "rlim", rlim);
        Errno.PerThread t = Errno.current();
        try {
            return result((int) H.GETRLIMIT.invokeExact(t.state, resource, rlim), t);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
