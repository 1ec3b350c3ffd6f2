package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.platform.ControlMessages;
import io.ffpoll.bindings.platform.FdPassing;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@link FdPassing} on Linux: received descriptors are close-on-exec from the start
 * ({@code MSG_CMSG_CLOEXEC}), sends never raise SIGPIPE ({@code MSG_NOSIGNAL}), and the
 * msghdr's lengths are size_t. The CMSG arithmetic aligns to {@code sizeof(size_t)}, the width of
 * {@code cmsg_len} in the generated layout.
 */
public final class LinuxFdPassing extends FdPassing {
    /** The one instance. */
    public static final LinuxFdPassing INSTANCE = new LinuxFdPassing();

    private static final int SEND_FLAGS = Sockets.MSG_NOSIGNAL | Sockets.MSG_DONTWAIT;
    private static final int RECEIVE_FLAGS = UnixMessages.MSG_CMSG_CLOEXEC | Sockets.MSG_DONTWAIT;
    private static final int PAIR_FLAGS = Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC;

    private LinuxFdPassing() {
        super(new ControlMessages(UnixMessages.CMSGHDR_SIZE, UnixMessages.CMSG_LEN_BYTES,
                UnixMessages.CMSG_LEN_BYTES, Sockets.SOL_SOCKET));
    }

    @Override
    public int socketpair(boolean seqpacket, MemorySegment fds) {
        int type = (seqpacket ? UnixMessages.SOCK_SEQPACKET : Sockets.SOCK_STREAM) | PAIR_FLAGS;
        return UnixMessages.socketpair(UnixMessages.AF_UNIX, type, 0, fds);
    }

    @Override
    public int prepare(int fd) {
        return 0; // MSG_NOSIGNAL on every send is enough
    }

    @Override
    protected long msghdrSize() {
        return UnixMessages.MSGHDR_SIZE;
    }

    @Override
    protected void setIov(MemorySegment msghdr, MemorySegment iov) {
        msghdr.set(ValueLayout.ADDRESS, UnixMessages.MSG_IOV, iov);
        msghdr.set(ValueLayout.JAVA_LONG, UnixMessages.MSG_IOVLEN, 1);
    }

    @Override
    protected void setControl(MemorySegment msghdr, MemorySegment control, long length) {
        msghdr.set(ValueLayout.ADDRESS, UnixMessages.MSG_CONTROL, control);
        msghdr.set(ValueLayout.JAVA_LONG, UnixMessages.MSG_CONTROLLEN, length);
    }

    @Override
    protected long controlLength(MemorySegment msghdr) {
        return msghdr.get(ValueLayout.JAVA_LONG, UnixMessages.MSG_CONTROLLEN);
    }

    @Override
    protected int flags(MemorySegment msghdr) {
        return msghdr.get(ValueLayout.JAVA_INT, UnixMessages.MSG_FLAGS);
    }

    @Override
    protected int msgCtrunc() {
        return UnixMessages.MSG_CTRUNC;
    }

    @Override
    protected int msgTrunc() {
        return UnixMessages.MSG_TRUNC;
    }

    @Override
    protected long sendmsg(int fd, MemorySegment msghdr) {
        return Sockets.sendmsg(fd, msghdr, SEND_FLAGS);
    }

    @Override
    protected long recvmsg(int fd, MemorySegment msghdr) {
        return UnixMessages.recvmsg(fd, msghdr, RECEIVE_FLAGS);
    }

    @Override
    protected int afterReceive(int fd) {
        return 0; // MSG_CMSG_CLOEXEC did it, with no window
    }

    @Override
    protected int close(int fd) {
        return Fd.close(fd);
    }
}
