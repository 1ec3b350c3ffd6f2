package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.linux.gen.LinuxH;
import io.ffpoll.bindings.linux.gen.itimerspec;
import io.ffpoll.bindings.linux.gen.timespec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * timerfd(2): a timer that is a file descriptor, readable when it expires; a read returns the
 * 8-byte count of expirations since the last read (EAGAIN when none, on a non-blocking one). A
 * loop watches it like any fd. Linux only: the BSDs have EVFILT_TIMER on the kqueue instead.
 * Each call returns its result or {@code -errno}.
 */
public final class TimerFd {
    public static final int CLOCK_MONOTONIC = LinuxH.CLOCK_MONOTONIC();
    public static final int TFD_NONBLOCK = LinuxH.TFD_NONBLOCK();
    public static final int TFD_CLOEXEC = LinuxH.TFD_CLOEXEC();

    private static final MethodHandle CREATE =
            Errno.link(LinuxH.timerfd_create$address(), LinuxH.timerfd_create$descriptor(), true);
    private static final MethodHandle SETTIME =
            Errno.link(LinuxH.timerfd_settime$address(), LinuxH.timerfd_settime$descriptor(), true);
    private static final Syscalls.Counter C_CREATE = Syscalls.counter("timerfd_create");
    private static final Syscalls.Counter C_SETTIME = Syscalls.counter("timerfd_settime");
    private static final long ITIMERSPEC_SIZE = itimerspec.layout().byteSize();
    private static final long INTERVAL = itimerspec.it_interval$offset();
    private static final long VALUE = itimerspec.it_value$offset();
    private static final long SEC = timespec.tv_sec$offset();
    private static final long NSEC = timespec.tv_nsec$offset();

    private TimerFd() {}

    /**
     * timerfd_create(2).
     *
     * @param clockId {@link #CLOCK_MONOTONIC}, say
     * @param flags {@link #TFD_NONBLOCK} | {@link #TFD_CLOEXEC}
     * @return the descriptor, or -errno
     */
    public static int timerfd_create(int clockId, int flags) {
        C_CREATE.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) CREATE.invokeExact(t.state, clockId, flags);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * timerfd_settime(2) with a relative first expiry and a period, both in nanoseconds (a zero
     * {@code firstNanos} disarms the timer; a zero period fires once). The struct itimerspec is
     * built in the calling thread's scratch memory.
     *
     * @param fd the timer
     * @param firstNanos time to the first expiry, not negative
     * @param periodNanos time between expiries after it, not negative
     * @return 0, or -errno
     */
    public static int timerfd_settime(int fd, long firstNanos, long periodNanos) {
        if (firstNanos < 0 || periodNanos < 0) {
            throw new IllegalArgumentException("timerfd_settime: negative time " + firstNanos + ", " + periodNanos);
        }
        Errno.PerThread t = Errno.current();
        MemorySegment spec = t.scratch.asSlice(0, ITIMERSPEC_SIZE);
        Bounds.struct("timerfd_settime", "struct itimerspec", ITIMERSPEC_SIZE, "spec", spec);
        spec.set(ValueLayout.JAVA_LONG, INTERVAL + SEC, periodNanos / 1_000_000_000L);
        spec.set(ValueLayout.JAVA_LONG, INTERVAL + NSEC, periodNanos % 1_000_000_000L);
        spec.set(ValueLayout.JAVA_LONG, VALUE + SEC, firstNanos / 1_000_000_000L);
        spec.set(ValueLayout.JAVA_LONG, VALUE + NSEC, firstNanos % 1_000_000_000L);
        C_SETTIME.hit();
        try {
            int r = (int) SETTIME.invokeExact(t.state, fd, 0, spec, MemorySegment.NULL);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Reads the expiration count: how many times the timer fired since the last read (> 0), or
     * -errno (EAGAIN: none yet).
     *
     * @param fd the timer
     * @return the count, or -errno
     */
    public static long expirations(int fd) {
        MemorySegment buf = Errno.current().scratch.asSlice(0, 8);
        long r = Fd.read(fd, buf, 8);
        return r < 0 ? r : buf.get(ValueLayout.JAVA_LONG, 0);
    }
}
