package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.linux.gen.LinuxH;
import io.ffpoll.bindings.linux.gen.linger;
import io.ffpoll.bindings.linux.gen.msghdr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * socket(7) calls: {@code socket}, {@code setsockopt}, {@code getsockopt}, {@code bind},
 * {@code listen}, {@code accept4}, {@code connect}, {@code getsockname}, {@code shutdown},
 * {@code send}, {@code sendmsg}, and their constants. Each returns its result or {@code -errno}.
 * {@code accept4}, {@code connect}, {@code send} and {@code sendmsg} block on a blocking socket,
 * so only the others are linked critical. Lengths, iovec counts and the in/out address lengths
 * are checked against their segments before the call ({@link Bounds}).
 */
public final class Sockets {
    public static final int AF_INET = LinuxH.AF_INET();
    public static final int AF_INET6 = LinuxH.AF_INET6();
    public static final int SOCK_STREAM = LinuxH.SOCK_STREAM();
    public static final int SOCK_NONBLOCK = LinuxH.SOCK_NONBLOCK();
    public static final int SOCK_CLOEXEC = LinuxH.SOCK_CLOEXEC();
    public static final int SOL_SOCKET = LinuxH.SOL_SOCKET();
    public static final int SO_REUSEADDR = LinuxH.SO_REUSEADDR();
    public static final int SO_REUSEPORT = LinuxH.SO_REUSEPORT();
    public static final int SO_ERROR = LinuxH.SO_ERROR();
    public static final int SO_SNDBUF = LinuxH.SO_SNDBUF();
    public static final int SO_RCVBUF = LinuxH.SO_RCVBUF();
    public static final int SO_KEEPALIVE = LinuxH.SO_KEEPALIVE();
    public static final int SO_LINGER = LinuxH.SO_LINGER();
    public static final int IPPROTO_TCP = LinuxH.IPPROTO_TCP();
    public static final int IPPROTO_IPV6 = LinuxH.IPPROTO_IPV6();
    public static final int IPV6_V6ONLY = LinuxH.IPV6_V6ONLY();
    public static final int TCP_NODELAY = LinuxH.TCP_NODELAY();
    public static final int SHUT_RD = LinuxH.SHUT_RD();
    public static final int SHUT_WR = LinuxH.SHUT_WR();
    public static final int SHUT_RDWR = LinuxH.SHUT_RDWR();
    public static final int MSG_NOSIGNAL = LinuxH.MSG_NOSIGNAL();
    public static final int MSG_DONTWAIT = LinuxH.MSG_DONTWAIT();

    private static final MethodHandle SOCKET = Errno.link(LinuxH.socket$address(), LinuxH.socket$descriptor(), true);
    private static final MethodHandle SETSOCKOPT =
            Errno.link(LinuxH.setsockopt$address(), LinuxH.setsockopt$descriptor(), true);
    private static final MethodHandle GETSOCKOPT =
            Errno.link(LinuxH.getsockopt$address(), LinuxH.getsockopt$descriptor(), true);
    private static final MethodHandle BIND = Errno.link(LinuxH.bind$address(), LinuxH.bind$descriptor(), true);
    private static final MethodHandle LISTEN = Errno.link(LinuxH.listen$address(), LinuxH.listen$descriptor(), true);
    private static final MethodHandle ACCEPT4 =
            Errno.link(LinuxH.accept4$address(), LinuxH.accept4$descriptor(), false);
    private static final MethodHandle ACCEPT =
            Errno.link(LinuxH.accept$address(), LinuxH.accept$descriptor(), false);
    private static final MethodHandle CONNECT =
            Errno.link(LinuxH.connect$address(), LinuxH.connect$descriptor(), false);
    private static final MethodHandle GETSOCKNAME =
            Errno.link(LinuxH.getsockname$address(), LinuxH.getsockname$descriptor(), true);
    private static final MethodHandle SHUTDOWN =
            Errno.link(LinuxH.shutdown$address(), LinuxH.shutdown$descriptor(), true);
    private static final MethodHandle SEND = Errno.link(LinuxH.send$address(), LinuxH.send$descriptor(), false);
    private static final MethodHandle SENDMSG =
            Errno.link(LinuxH.sendmsg$address(), LinuxH.sendmsg$descriptor(), false);
    private static final long LINGER_SIZE = linger.layout().byteSize();
    private static final long MSGHDR_SIZE = msghdr.layout().byteSize();
    private static final long MSGHDR_IOV = msghdr.msg_iov$offset();
    private static final long MSGHDR_IOVLEN = msghdr.msg_iovlen$offset();

    private static final Syscalls.Counter C_SOCKET = Syscalls.counter("socket");
    private static final Syscalls.Counter C_SETSOCKOPT = Syscalls.counter("setsockopt");
    private static final Syscalls.Counter C_GETSOCKOPT = Syscalls.counter("getsockopt");
    private static final Syscalls.Counter C_BIND = Syscalls.counter("bind");
    private static final Syscalls.Counter C_LISTEN = Syscalls.counter("listen");
    private static final Syscalls.Counter C_ACCEPT4 = Syscalls.counter("accept4");
    private static final Syscalls.Counter C_ACCEPT = Syscalls.counter("accept");
    private static final Syscalls.Counter C_CONNECT = Syscalls.counter("connect");
    private static final Syscalls.Counter C_GETSOCKNAME = Syscalls.counter("getsockname");
    private static final Syscalls.Counter C_SHUTDOWN = Syscalls.counter("shutdown");
    private static final Syscalls.Counter C_SEND = Syscalls.counter("send");
    private static final Syscalls.Counter C_SENDMSG = Syscalls.counter("sendmsg");

    private Sockets() {}

    public static int socket(int domain, int type, int protocol) {
        C_SOCKET.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) SOCKET.invokeExact(t.state, domain, type, protocol);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** setsockopt for the int-valued options. */
    public static int setsockopt(int fd, int level, int name, int value) {
        C_SETSOCKOPT.hit();
        Errno.PerThread t = Errno.current();
        t.scratch.set(ValueLayout.JAVA_INT, 0, value);
        try {
            int r = (int) SETSOCKOPT.invokeExact(t.state, fd, level, name, t.scratch, 4);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Sets SO_LINGER. {@code on} with 0 seconds makes close(2) drop unsent data and send an RST
     * (an abortive close) instead of the FIN of an orderly one.
     */
    public static int setLinger(int fd, boolean on, int seconds) {
        C_SETSOCKOPT.hit();
        Errno.PerThread t = Errno.current();
        MemorySegment value = t.scratch.asSlice(0, LINGER_SIZE);
        linger.l_onoff(value, on ? 1 : 0);
        linger.l_linger(value, seconds);
        try {
            int r = (int) SETSOCKOPT.invokeExact(t.state, fd, SOL_SOCKET, SO_LINGER, value, (int) LINGER_SIZE);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** getsockopt for the int-valued options: the value (all we read are >= 0) or -errno. */
    public static int getsockopt(int fd, int level, int name) {
        C_GETSOCKOPT.hit();
        Errno.PerThread t = Errno.current();
        MemorySegment value = t.scratch;
        MemorySegment len = t.scratch.asSlice(8, 4);
        value.set(ValueLayout.JAVA_INT, 0, 0);
        len.set(ValueLayout.JAVA_INT, 0, 4);
        try {
            int r = (int) GETSOCKOPT.invokeExact(t.state, fd, level, name, value, len);
            return r >= 0 ? value.get(ValueLayout.JAVA_INT, 0) : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@code addr} holds a sockaddr of {@code len} bytes (see {@link SockAddr#encode}). */
    public static int bind(int fd, MemorySegment addr, int len) {
        Bounds.length("bind", "addrlen", len, "addr", addr);
        C_BIND.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) BIND.invokeExact(t.state, fd, addr, len);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    public static int listen(int fd, int backlog) {
        C_LISTEN.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) LISTEN.invokeExact(t.state, fd, backlog);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Accepts one connection; the peer's address goes into {@code addr} (a sockaddr_storage)
     * in the same call, and {@code addrLen} (a socklen_t holding addr's size on entry) gets its
     * length. Either may be NULL. Returns the new fd or -errno (EAGAIN: none pending).
     */
    public static int accept4(int fd, MemorySegment addr, MemorySegment addrLen, int flags) {
        if (addr.address() != 0) { // with a NULL addr the kernel ignores addrLen
            Bounds.socklen("accept4", addr, addrLen);
        }
        C_ACCEPT4.hit();
        int fault = C_ACCEPT4.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) ACCEPT4.invokeExact(t.state, fd, addr, addrLen, flags);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * accept(2), without flags: the new fd is blocking and inheritable until fcntl says
     * otherwise (what a system without accept4 has to do).
     */
    public static int accept(int fd, MemorySegment addr, MemorySegment addrLen) {
        if (addr.address() != 0) {
            Bounds.socklen("accept", addr, addrLen);
        }
        C_ACCEPT.hit();
        int fault = C_ACCEPT.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) ACCEPT.invokeExact(t.state, fd, addr, addrLen);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** On a non-blocking socket, -EINPROGRESS means "wait for writable, then read SO_ERROR". */
    public static int connect(int fd, MemorySegment addr, int len) {
        Bounds.length("connect", "addrlen", len, "addr", addr);
        C_CONNECT.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) CONNECT.invokeExact(t.state, fd, addr, len);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@code addrLen} holds addr's size on entry and the address length on return. */
    public static int getsockname(int fd, MemorySegment addr, MemorySegment addrLen) {
        Bounds.socklen("getsockname", addr, addrLen); // the kernel writes *addrLen even for a NULL addr
        C_GETSOCKNAME.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) GETSOCKNAME.invokeExact(t.state, fd, addr, addrLen);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    public static int shutdown(int fd, int how) {
        C_SHUTDOWN.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) SHUTDOWN.invokeExact(t.state, fd, how);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** A zeroed {@code struct msghdr}. */
    public static MemorySegment allocateMsghdr(Arena arena) {
        return arena.allocate(msghdr.layout());
    }

    /** Points {@code msg} at {@code iovcnt} entries of the iovec array {@code iov}. */
    public static void setMsgIov(MemorySegment msg, MemorySegment iov, int iovcnt) {
        Bounds.array("setMsgIov", "iovcnt", iovcnt, Fd.IOVEC_SIZE, "iov", iov);
        msg.set(ValueLayout.ADDRESS, MSGHDR_IOV, iov);
        msg.set(ValueLayout.JAVA_LONG, MSGHDR_IOVLEN, iovcnt);
    }

    /**
     * Gathering send: writev(2) with flags. With MSG_NOSIGNAL a peer that went away yields EPIPE
     * instead of SIGPIPE, which writev cannot promise.
     */
    public static long sendmsg(int fd, MemorySegment msg, int flags) {
        Bounds.struct("sendmsg", "struct msghdr", MSGHDR_SIZE, "msg", msg);
        C_SENDMSG.hit();
        int fault = C_SENDMSG.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) SENDMSG.invokeExact(t.state, fd, msg, flags);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Pass MSG_NOSIGNAL so a peer that went away yields EPIPE instead of killing us with SIGPIPE. */
    public static long send(int fd, MemorySegment buf, long len, int flags) {
        Bounds.length("send", "length", len, "buf", buf);
        C_SEND.hit();
        int fault = C_SEND.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) SEND.invokeExact(t.state, fd, buf, len, flags);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
