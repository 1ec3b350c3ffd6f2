package io.ffpoll.bindings.testing.rump;

import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The rump kernel's system calls the tests' platform makes, each returning its result or
 * {@code -errno} (NetBSD's numbers), like the bindings' libc calls. The names are those of
 * NetBSD's syscall table: {@code socket30} and {@code kevent50} are the current versions of
 * calls whose ABI changed (the suffix is the release that changed it). Counted under the same
 * names as the libc calls ({@code -Dffpoll.countSyscalls}), so budgets read the same.
 */
final class RumpCalls {
    private static final ValueLayout INT = ValueLayout.JAVA_INT;
    private static final ValueLayout LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout PTR = ValueLayout.ADDRESS;

    private static final Syscalls.Counter C_KQUEUE = Syscalls.counter("kqueue");
    private static final Syscalls.Counter C_KEVENT = Syscalls.counter("kevent");
    private static final Syscalls.Counter C_SOCKET = Syscalls.counter("socket");
    private static final Syscalls.Counter C_ACCEPT = Syscalls.counter("accept4"); // paccept: accept4's flags
    private static final Syscalls.Counter C_READ = Syscalls.counter("read");
    private static final Syscalls.Counter C_WRITE = Syscalls.counter("write");
    private static final Syscalls.Counter C_SEND = Syscalls.counter("send");
    private static final Syscalls.Counter C_SENDMSG = Syscalls.counter("sendmsg");

    private final MethodHandle kqueue;
    private final MethodHandle kevent;
    private final MethodHandle socket;
    private final MethodHandle socketpair;
    private final MethodHandle paccept;
    private final MethodHandle bind;
    private final MethodHandle listen;
    private final MethodHandle connect;
    private final MethodHandle getsockname;
    private final MethodHandle getpeername;
    private final MethodHandle shutdown;
    private final MethodHandle setsockopt;
    private final MethodHandle getsockopt;
    private final MethodHandle sendto;
    private final MethodHandle sendmsg;
    private final MethodHandle read;
    private final MethodHandle write;
    private final MethodHandle close;
    private final MethodHandle fcntl;
    private final MethodHandle getrlimit;
    private final MethodHandle setrlimit;

    RumpCalls(RumpKernel k) {
        kqueue = k.syscall("kqueue", FunctionDescriptor.of(INT));
        // int kevent(int, const struct kevent *, size_t, struct kevent *, size_t, const struct timespec *)
        kevent = k.syscall("kevent50", FunctionDescriptor.of(INT, INT, PTR, LONG, PTR, LONG, PTR));
        socket = k.syscall("socket30", FunctionDescriptor.of(INT, INT, INT, INT));
        socketpair = k.syscall("socketpair", FunctionDescriptor.of(INT, INT, INT, INT, PTR));
        paccept = k.syscall("paccept", FunctionDescriptor.of(INT, INT, PTR, PTR, PTR, INT));
        bind = k.syscall("bind", FunctionDescriptor.of(INT, INT, PTR, INT));
        listen = k.syscall("listen", FunctionDescriptor.of(INT, INT, INT));
        connect = k.syscall("connect", FunctionDescriptor.of(INT, INT, PTR, INT));
        getsockname = k.syscall("getsockname", FunctionDescriptor.of(INT, INT, PTR, PTR));
        getpeername = k.syscall("getpeername", FunctionDescriptor.of(INT, INT, PTR, PTR));
        shutdown = k.syscall("shutdown", FunctionDescriptor.of(INT, INT, INT));
        setsockopt = k.syscall("setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, INT));
        getsockopt = k.syscall("getsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, PTR));
        sendto = k.syscall("sendto", FunctionDescriptor.of(LONG, INT, PTR, LONG, INT, PTR, INT));
        sendmsg = k.syscall("sendmsg", FunctionDescriptor.of(LONG, INT, PTR, INT));
        read = k.syscall("read", FunctionDescriptor.of(LONG, INT, PTR, LONG));
        write = k.syscall("write", FunctionDescriptor.of(LONG, INT, PTR, LONG));
        close = k.syscall("close", FunctionDescriptor.of(INT, INT));
        // rump's fcntl takes its third argument as a void *, where libc's is variadic: a long here.
        fcntl = k.syscall("fcntl", FunctionDescriptor.of(INT, INT, INT, LONG));
        getrlimit = k.syscall("getrlimit", FunctionDescriptor.of(INT, INT, PTR));
        setrlimit = k.syscall("setrlimit", FunctionDescriptor.of(INT, INT, PTR));
    }

    private static int result(int r, MemorySegment state) {
        return r >= 0 ? r : -Errno.errno(state);
    }

    private static long result(long r, MemorySegment state) {
        return r >= 0 ? r : -Errno.errno(state);
    }

    private static MemorySegment state() {
        return Errno.current().state;
    }

    int kqueue() {
        C_KQUEUE.hit();
        MemorySegment s = state();
        try {
            return result((int) kqueue.invokeExact(s), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int kevent(int kq, MemorySegment changes, int nchanges, MemorySegment events, int nevents, MemorySegment timeout,
               MemorySegment errnoState) {
        C_KEVENT.hit();
        MemorySegment s = errnoState != null ? errnoState : state();
        try {
            return result((int) kevent.invokeExact(s, kq, changes, (long) nchanges, events, (long) nevents, timeout), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int socket(int domain, int type) {
        C_SOCKET.hit();
        MemorySegment s = state();
        try {
            return result((int) socket.invokeExact(s, domain, type, 0), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int socketpair(int domain, int type, MemorySegment fds) {
        MemorySegment s = state();
        try {
            return result((int) socketpair.invokeExact(s, domain, type, 0, fds), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** NetBSD's accept4: paccept with no signal mask. */
    int paccept(int fd, MemorySegment addr, MemorySegment len, int flags) {
        C_ACCEPT.hit();
        MemorySegment s = state();
        try {
            return result((int) paccept.invokeExact(s, fd, addr, len, MemorySegment.NULL, flags), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int bind(int fd, MemorySegment addr, int len) {
        MemorySegment s = state();
        try {
            return result((int) bind.invokeExact(s, fd, addr, len), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int listen(int fd, int backlog) {
        MemorySegment s = state();
        try {
            return result((int) listen.invokeExact(s, fd, backlog), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int connect(int fd, MemorySegment addr, int len) {
        MemorySegment s = state();
        try {
            return result((int) connect.invokeExact(s, fd, addr, len), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int getsockname(int fd, MemorySegment addr, MemorySegment len) {
        MemorySegment s = state();
        try {
            return result((int) getsockname.invokeExact(s, fd, addr, len), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int getpeername(int fd, MemorySegment addr, MemorySegment len) {
        MemorySegment s = state();
        try {
            return result((int) getpeername.invokeExact(s, fd, addr, len), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int shutdown(int fd, int how) {
        MemorySegment s = state();
        try {
            return result((int) shutdown.invokeExact(s, fd, how), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int setsockopt(int fd, int level, int name, MemorySegment value, int len) {
        MemorySegment s = state();
        try {
            return result((int) setsockopt.invokeExact(s, fd, level, name, value, len), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment len) {
        MemorySegment s = state();
        try {
            return result((int) getsockopt.invokeExact(s, fd, level, name, value, len), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    long send(int fd, MemorySegment buf, long len, int flags) {
        C_SEND.hit();
        MemorySegment s = state();
        try {
            return result((long) sendto.invokeExact(s, fd, buf, len, flags, MemorySegment.NULL, 0), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    long sendmsg(int fd, MemorySegment msg, int flags) {
        C_SENDMSG.hit();
        MemorySegment s = state();
        try {
            return result((long) sendmsg.invokeExact(s, fd, msg, flags), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    long read(int fd, MemorySegment buf, long count) {
        C_READ.hit();
        MemorySegment s = state();
        try {
            return result((long) read.invokeExact(s, fd, buf, count), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    long write(int fd, MemorySegment buf, long count) {
        C_WRITE.hit();
        MemorySegment s = state();
        try {
            return result((long) write.invokeExact(s, fd, buf, count), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Never retried on EINTR. */
    int close(int fd) {
        MemorySegment s = state();
        try {
            return result((int) close.invokeExact(s, fd), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int fcntl(int fd, int cmd, int arg) {
        MemorySegment s = state();
        try {
            return result((int) fcntl.invokeExact(s, fd, cmd, (long) arg), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int getrlimit(int resource, MemorySegment rlim) {
        MemorySegment s = state();
        try {
            return result((int) getrlimit.invokeExact(s, resource, rlim), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int setrlimit(int resource, MemorySegment rlim) {
        MemorySegment s = state();
        try {
            return result((int) setrlimit.invokeExact(s, resource, rlim), s);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
