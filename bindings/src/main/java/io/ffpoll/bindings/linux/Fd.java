package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.linux.gen.LinuxH;
import io.ffpoll.bindings.linux.gen.iovec;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * File-descriptor calls: {@code read}, {@code write}, {@code readv}, {@code writev},
 * {@code close}, {@code fcntl}, and {@code struct iovec} accessors. Each returns its result or
 * {@code -errno}. read/write may block on a blocking fd, so none of them is linked critical.
 * Lengths and iovec counts are checked against their segments before the call
 * ({@link Bounds}): the kernel is given only the address.
 */
public final class Fd {
    public static final int F_GETFD = LinuxH.F_GETFD();
    public static final int F_SETFD = LinuxH.F_SETFD();
    public static final int F_GETFL = LinuxH.F_GETFL();
    public static final int F_SETFL = LinuxH.F_SETFL();
    public static final int F_DUPFD_CLOEXEC = LinuxH.F_DUPFD_CLOEXEC();
    public static final int FD_CLOEXEC = LinuxH.FD_CLOEXEC();
    public static final int O_NONBLOCK = LinuxH.O_NONBLOCK();

    /** Bytes per {@code struct iovec}. */
    public static final long IOVEC_SIZE = iovec.layout().byteSize();
    private static final long IOV_BASE_OFFSET = iovec.iov_base$offset();
    private static final long IOV_LEN_OFFSET = iovec.iov_len$offset();

    private static final MethodHandle READ = Errno.link(LinuxH.read$address(), LinuxH.read$descriptor(), false);
    private static final MethodHandle WRITE = Errno.link(LinuxH.write$address(), LinuxH.write$descriptor(), false);
    private static final MethodHandle READV = Errno.link(LinuxH.readv$address(), LinuxH.readv$descriptor(), false);
    private static final MethodHandle WRITEV = Errno.link(LinuxH.writev$address(), LinuxH.writev$descriptor(), false);
    private static final MethodHandle CLOSE = Errno.link(LinuxH.close$address(), LinuxH.close$descriptor(), false);
    // fcntl is variadic: int fcntl(int fd, int cmd, ...). We only pass an int third argument.
    private static final MethodHandle FCNTL = Errno.link(LinuxH.fcntl.address(),
            FunctionDescriptor.of(LinuxH.C_INT, LinuxH.C_INT, LinuxH.C_INT, LinuxH.C_INT), true,
            Linker.Option.firstVariadicArg(2));

    private static final Syscalls.Counter C_READ = Syscalls.counter("read");
    private static final Syscalls.Counter C_WRITE = Syscalls.counter("write");
    private static final Syscalls.Counter C_READV = Syscalls.counter("readv");
    private static final Syscalls.Counter C_WRITEV = Syscalls.counter("writev");
    private static final Syscalls.Counter C_CLOSE = Syscalls.counter("close");
    private static final Syscalls.Counter C_FCNTL = Syscalls.counter("fcntl");

    private Fd() {}

    /** read(2) of up to {@code count} bytes, at most what {@code buf} holds (else IndexOutOfBoundsException). */
    public static long read(int fd, MemorySegment buf, long count) {
        Bounds.length("read", "count", count, "buf", buf);
        C_READ.hit();
        int fault = C_READ.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) READ.invokeExact(t.state, fd, buf, count);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** write(2) of {@code count} bytes, at most what {@code buf} holds (else IndexOutOfBoundsException). */
    public static long write(int fd, MemorySegment buf, long count) {
        Bounds.length("write", "count", count, "buf", buf);
        C_WRITE.hit();
        int fault = C_WRITE.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) WRITE.invokeExact(t.state, fd, buf, count);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@link #write(int, MemorySegment, long)} capturing errno into {@code state} (see {@link Errno#allocateState}). */
    public static long write(int fd, MemorySegment buf, long count, MemorySegment state) {
        Bounds.length("write", "count", count, "buf", buf);
        C_WRITE.hit();
        try {
            long r = (long) WRITE.invokeExact(state, fd, buf, count);
            return r >= 0 ? r : -Errno.errno(state);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@code iov} is an array of {@code iovcnt} {@code struct iovec}. */
    public static long readv(int fd, MemorySegment iov, int iovcnt) {
        Bounds.array("readv", "iovcnt", iovcnt, IOVEC_SIZE, "iov", iov);
        C_READV.hit();
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) READV.invokeExact(t.state, fd, iov, iovcnt);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@code iov} is an array of {@code iovcnt} {@code struct iovec}. */
    public static long writev(int fd, MemorySegment iov, int iovcnt) {
        Bounds.array("writev", "iovcnt", iovcnt, IOVEC_SIZE, "iov", iov);
        C_WRITEV.hit();
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) WRITEV.invokeExact(t.state, fd, iov, iovcnt);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Closes {@code fd}. Never retry on EINTR: Linux releases the descriptor before it can
     * report EINTR, so a retry could close a descriptor another thread just opened.
     */
    public static int close(int fd) {
        C_CLOSE.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) CLOSE.invokeExact(t.state, fd);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@code fcntl(fd, cmd, arg)} for the int-argument commands (F_GETFL, F_SETFL, ...). */
    public static int fcntl(int fd, int cmd, int arg) {
        C_FCNTL.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) FCNTL.invokeExact(t.state, fd, cmd, arg);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** A native array of {@code n} {@code struct iovec}. */
    public static MemorySegment allocateIovecs(Arena arena, int n) {
        return arena.allocate(iovec.layout(), n);
    }

    /**
     * Points {@code iov[i]} at {@code length} bytes of native {@code base} from {@code offset},
     * without making a slice object (for gathering loops on hot paths).
     */
    public static void setIovec(MemorySegment iov, int i, MemorySegment base, long offset, long length) {
        if (!base.isNative()) {
            throw new IllegalArgumentException("iovec needs native memory");
        }
        Bounds.range("setIovec", offset, length, "base", base);
        // Pointers are 8 bytes on every 64-bit platform the FFM API supports.
        iov.set(ValueLayout.JAVA_LONG, i * IOVEC_SIZE + IOV_BASE_OFFSET, base.address() + offset);
        iov.set(ValueLayout.JAVA_LONG, i * IOVEC_SIZE + IOV_LEN_OFFSET, length);
    }

    /** Points {@code iov[i]} at {@code buf}. */
    public static void setIovec(MemorySegment iov, int i, MemorySegment buf) {
        iov.set(ValueLayout.ADDRESS, i * IOVEC_SIZE + IOV_BASE_OFFSET, buf);
        iov.set(ValueLayout.JAVA_LONG, i * IOVEC_SIZE + IOV_LEN_OFFSET, buf.byteSize());
    }
}
