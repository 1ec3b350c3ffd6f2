package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.linux.gen.LinuxH;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * eventfd(2): a 64-bit counter with a file descriptor, used to wake an epoll_wait from another
 * thread. {@code eventfd_write} and {@code eventfd_read} move the 8-byte counter with
 * write(2)/read(2) (and are counted as such), as glibc's helpers of the same name do.
 */
public final class EventFd {
    public static final int EFD_CLOEXEC = LinuxH.EFD_CLOEXEC();
    public static final int EFD_NONBLOCK = LinuxH.EFD_NONBLOCK();

    private static final MethodHandle EVENTFD =
            Errno.link(LinuxH.eventfd$address(), LinuxH.eventfd$descriptor(), true);
    private static final Syscalls.Counter C_EVENTFD = Syscalls.counter("eventfd");

    private EventFd() {}

    public static int eventfd(int initval, int flags) {
        C_EVENTFD.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) EVENTFD.invokeExact(t.state, initval, flags);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Adds {@code value} to the counter: 0, or {@code -errno} (EAGAIN if it would overflow). */
    public static int eventfd_write(int fd, long value) {
        MemorySegment buf = Errno.current().scratch;
        buf.set(ValueLayout.JAVA_LONG, 0, value);
        long r = Fd.write(fd, buf, 8);
        return r < 0 ? (int) r : 0;
    }

    /**
     * {@link #eventfd_write(int, long)} with memory the caller owns: {@code value} holds the
     * 8-byte addend and {@code state} is an errno capture segment ({@link Errno#allocateState}).
     * For wakeups sent from any thread, including short-lived virtual threads, without making
     * per-thread state.
     */
    public static int eventfd_write(int fd, MemorySegment value, MemorySegment state) {
        Bounds.struct("eventfd_write", "uint64_t", Long.BYTES, "value", value);
        long r = Fd.write(fd, value, 8, state);
        return r < 0 ? (int) r : 0;
    }

    /** Reads and resets the counter: its value (> 0), or {@code -errno} (EAGAIN if it is 0). */
    public static long eventfd_read(int fd) {
        MemorySegment buf = Errno.current().scratch;
        long r = Fd.read(fd, buf, 8);
        return r < 0 ? r : buf.get(ValueLayout.JAVA_LONG, 0);
    }
}
