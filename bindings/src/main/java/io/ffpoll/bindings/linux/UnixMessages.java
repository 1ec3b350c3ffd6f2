package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.linux.gen.LinuxH;
import io.ffpoll.bindings.linux.gen.cmsghdr;
import io.ffpoll.bindings.linux.gen.msghdr;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * unix(7) message calls: {@code socketpair} and {@code recvmsg} (with control messages; its
 * counterpart {@code sendmsg} is {@link Sockets#sendmsg}), the constants of descriptor passing
 * and the offsets of {@code struct msghdr} and {@code struct cmsghdr}, all from the generated
 * bindings. Each call returns its result or {@code -errno}. {@code recvmsg} may block on a
 * blocking socket without MSG_DONTWAIT, so it is not linked critical; {@code socketpair} is.
 */
public final class UnixMessages {
    public static final int AF_UNIX = LinuxH.AF_UNIX();
    public static final int SOCK_SEQPACKET = LinuxH.SOCK_SEQPACKET();
    public static final int SCM_RIGHTS = LinuxH.SCM_RIGHTS();
    public static final int MSG_CTRUNC = LinuxH.MSG_CTRUNC();
    public static final int MSG_TRUNC = LinuxH.MSG_TRUNC();
    public static final int MSG_CMSG_CLOEXEC = LinuxH.MSG_CMSG_CLOEXEC();

    /** {@code struct msghdr}: 56 bytes on LP64, {@code msg_iovlen} and {@code msg_controllen} are size_t. */
    public static final long MSGHDR_SIZE = msghdr.layout().byteSize();
    public static final long MSG_IOV = msghdr.msg_iov$offset();
    public static final long MSG_IOVLEN = msghdr.msg_iovlen$offset();
    public static final long MSG_CONTROL = msghdr.msg_control$offset();
    public static final long MSG_CONTROLLEN = msghdr.msg_controllen$offset();
    public static final long MSG_FLAGS = msghdr.msg_flags$offset();
    /** {@code sizeof(struct cmsghdr)}: a size_t length, then level and type. */
    public static final long CMSGHDR_SIZE = cmsghdr.layout().byteSize();
    /** The width of {@code cmsg_len}, a size_t: what glibc's CMSG_ALIGN rounds to. */
    public static final int CMSG_LEN_BYTES = (int) cmsghdr.layout().select(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("cmsg_len")).byteSize();

    private static final MethodHandle SOCKETPAIR =
            Errno.link(LinuxH.socketpair$address(), LinuxH.socketpair$descriptor(), true);
    private static final MethodHandle RECVMSG =
            Errno.link(LinuxH.recvmsg$address(), LinuxH.recvmsg$descriptor(), false);

    private static final Syscalls.Counter C_SOCKETPAIR = Syscalls.counter("socketpair");
    private static final Syscalls.Counter C_RECVMSG = Syscalls.counter("recvmsg");

    private UnixMessages() {}

    /**
     * socketpair(2): two connected sockets, written to the two ints of {@code fds}.
     *
     * @param domain AF_UNIX
     * @param type SOCK_STREAM or SOCK_SEQPACKET, with SOCK_NONBLOCK and SOCK_CLOEXEC as wanted
     * @param protocol 0
     * @param fds two ints
     * @return 0, or -errno
     */
    public static int socketpair(int domain, int type, int protocol, MemorySegment fds) {
        Bounds.struct("socketpair", "int[2]", 2L * Integer.BYTES, "fds", fds);
        C_SOCKETPAIR.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) SOCKETPAIR.invokeExact(t.state, domain, type, protocol, fds);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * recvmsg(2) into the iovecs and control buffer {@code msg} points at; the kernel writes
     * {@code msg_controllen} and {@code msg_flags} back.
     *
     * @param fd the socket
     * @param msg a struct msghdr
     * @param flags MSG_DONTWAIT, MSG_CMSG_CLOEXEC, ...
     * @return the bytes received, or -errno
     */
    public static long recvmsg(int fd, MemorySegment msg, int flags) {
        Bounds.struct("recvmsg", "struct msghdr", MSGHDR_SIZE, "msg", msg);
        C_RECVMSG.hit();
        int fault = C_RECVMSG.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) RECVMSG.invokeExact(t.state, fd, msg, flags);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
