package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.platform.ControlMessages;
import io.ffpoll.bindings.platform.FdPassing;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@link FdPassing} on macOS and FreeBSD, with {@code socketpair} and {@code recvmsg} linked
 * from libc on first use (so this class loads on Linux, where its layouts are tested, and links
 * nothing). Numbers and layouts from XNU's {@code bsd/sys/socket.h} and FreeBSD's
 * {@code sys/sys/socket.h}, both LP64:
 * <ul>
 * <li>{@code struct msghdr}: name(8) namelen(4, padded to 8) iov(8, at 16) iovlen (an int, at 24,
 *     padded) control(8, at 32) controllen (a socklen_t, at 40) flags(4, at 44): 48 bytes;</li>
 * <li>{@code struct cmsghdr}: a socklen_t length, level, type: 12 bytes; CMSG_ALIGN is
 *     {@code __DARWIN_ALIGN32} (4) on macOS and {@code _ALIGN}, {@code sizeof(register_t)} (8 on
 *     amd64 and arm64), on FreeBSD;</li>
 * <li>{@code AF_UNIX} 1, {@code SOCK_SEQPACKET} 5, {@code SOL_SOCKET} 0xffff, {@code SCM_RIGHTS} 1,
 *     {@code MSG_TRUNC} 0x10, {@code MSG_CTRUNC} 0x20, {@code MSG_DONTWAIT} 0x80 on both;
 *     {@code MSG_CMSG_CLOEXEC} 0x40000 on FreeBSD, none on macOS, whose received descriptors get
 *     FD_CLOEXEC by fcntl just after recvmsg (the window is documented on {@link FdPassing}).</li>
 * </ul>
 * macOS's socketpair takes no SOCK_NONBLOCK or SOCK_CLOEXEC either: fcntl sets both, and
 * SO_NOSIGPIPE replaces the MSG_NOSIGNAL older releases lack, as for its TCP sockets.
 * Never run on a BSD kernel.
 */
public final class BsdFdPassing extends FdPassing {
    /** macOS. */
    public static final BsdFdPassing MACOS = new BsdFdPassing(BsdAbi.MACOS, 4, 0);
    /** FreeBSD. */
    public static final BsdFdPassing FREEBSD = new BsdFdPassing(BsdAbi.FREEBSD, 8, 0x40000);

    static final int AF_UNIX = 1;
    static final int SOCK_SEQPACKET = 5;
    static final int MSG_TRUNC = 0x10;
    static final int MSG_CTRUNC = 0x20;
    static final long MSGHDR_SIZE = BsdAbi.MSGHDR_SIZE;
    static final long MSG_IOV = BsdAbi.MSG_IOV;
    static final long MSG_IOVLEN = BsdAbi.MSG_IOVLEN;
    static final long MSG_CONTROL = 32;
    static final long MSG_CONTROLLEN = 40;
    static final long MSG_FLAGS = 44;
    static final long CMSGHDR_SIZE = 12;

    private static final Syscalls.Counter C_SOCKETPAIR = Syscalls.counter("socketpair");
    private static final Syscalls.Counter C_RECVMSG = Syscalls.counter("recvmsg");

    private final BsdAbi abi;
    private final int msgCmsgCloexec;

    private BsdFdPassing(BsdAbi abi, long cmsgAlignment, int msgCmsgCloexec) {
        super(new ControlMessages(CMSGHDR_SIZE, cmsgAlignment, 4, BsdAbi.SOL_SOCKET));
        this.abi = abi;
        this.msgCmsgCloexec = msgCmsgCloexec;
    }

    private static final class H { // linked when a BSD platform first calls, never on Linux
        static final MethodHandle SOCKETPAIR = link("socketpair", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS), true);
        static final MethodHandle RECVMSG = link("recvmsg", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), false);

        private static MethodHandle link(String name, FunctionDescriptor d, boolean critical) {
            MemorySegment address = Linker.nativeLinker().defaultLookup().find(name)
                    .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
            return Errno.link(address, d, critical);
        }
    }

    @Override
    public int socketpair(boolean seqpacket, MemorySegment fds) {
        Bounds.struct("socketpair", "int[2]", 2L * Integer.BYTES, "fds", fds);
        int type = (seqpacket ? SOCK_SEQPACKET : BsdAbi.SOCK_STREAM) | abi.sockNonblock | abi.sockCloexec;
        C_SOCKETPAIR.hit();
        Errno.PerThread t = Errno.current();
        int r;
        try {
            r = (int) H.SOCKETPAIR.invokeExact(t.state, AF_UNIX, type, 0, fds);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
        if (r < 0) {
            return -t.errno();
        }
        int a = fds.get(ValueLayout.JAVA_INT, 0);
        int b = fds.get(ValueLayout.JAVA_INT, 4);
        int failed = afterPair(a);
        if (failed == 0) {
            failed = afterPair(b);
        }
        if (failed < 0) {
            BsdLibc.close(a);
            BsdLibc.close(b);
        }
        return failed;
    }

    /** macOS: the flags socketpair could not give; FreeBSD: nothing. */
    private int afterPair(int fd) {
        if (abi.hasAccept4()) {
            return 0;
        }
        int flags = BsdLibc.fcntl(fd, BsdAbi.F_GETFL, 0);
        if (flags < 0) {
            return flags;
        }
        int r = BsdLibc.fcntl(fd, BsdAbi.F_SETFL, flags | BsdAbi.O_NONBLOCK);
        if (r < 0) {
            return r;
        }
        r = BsdLibc.fcntl(fd, BsdAbi.F_SETFD, BsdAbi.FD_CLOEXEC);
        return r < 0 ? r : prepare(fd);
    }

    @Override
    public int prepare(int fd) {
        if (abi.soNosigpipe == 0) {
            return 0;
        }
        MemorySegment one = Errno.current().scratch.asSlice(0, 4);
        one.set(ValueLayout.JAVA_INT, 0, 1);
        return Math.min(0, BsdLibc.setsockopt(fd, BsdAbi.SOL_SOCKET, abi.soNosigpipe, one, 4));
    }

    @Override
    protected long msghdrSize() {
        return MSGHDR_SIZE;
    }

    @Override
    protected void setIov(MemorySegment msghdr, MemorySegment iov) {
        msghdr.set(ValueLayout.ADDRESS, MSG_IOV, iov);
        msghdr.set(ValueLayout.JAVA_INT, MSG_IOVLEN, 1);
    }

    @Override
    protected void setControl(MemorySegment msghdr, MemorySegment control, long length) {
        msghdr.set(ValueLayout.ADDRESS, MSG_CONTROL, control);
        msghdr.set(ValueLayout.JAVA_INT, MSG_CONTROLLEN, (int) length);
    }

    @Override
    protected long controlLength(MemorySegment msghdr) {
        return Integer.toUnsignedLong(msghdr.get(ValueLayout.JAVA_INT, MSG_CONTROLLEN));
    }

    @Override
    protected int flags(MemorySegment msghdr) {
        return msghdr.get(ValueLayout.JAVA_INT, MSG_FLAGS);
    }

    @Override
    protected int msgCtrunc() {
        return MSG_CTRUNC;
    }

    @Override
    protected int msgTrunc() {
        return MSG_TRUNC;
    }

    @Override
    protected long sendmsg(int fd, MemorySegment msghdr) {
        return BsdLibc.sendmsg(fd, msghdr, abi.msgNosignal | abi.msgDontwait());
    }

    @Override
    protected long recvmsg(int fd, MemorySegment msghdr) {
        Bounds.struct("recvmsg", "struct msghdr", MSGHDR_SIZE, "msg", msghdr);
        C_RECVMSG.hit();
        int fault = C_RECVMSG.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) H.RECVMSG.invokeExact(t.state, fd, msghdr, BsdAbi.MSG_DONTWAIT | msgCmsgCloexec);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Override
    protected int afterReceive(int fd) {
        // FreeBSD received it close-on-exec; macOS must set it now (the window is documented).
        return msgCmsgCloexec != 0 ? 0 : BsdLibc.fcntl(fd, BsdAbi.F_SETFD, BsdAbi.FD_CLOEXEC);
    }

    @Override
    protected int close(int fd) {
        return BsdLibc.close(fd);
    }
}
