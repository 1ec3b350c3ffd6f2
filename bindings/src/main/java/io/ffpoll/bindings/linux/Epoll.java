package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.linux.gen.LinuxH;
import io.ffpoll.bindings.linux.gen.epoll_event;
import io.ffpoll.bindings.linux.gen.timespec;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * epoll(7): {@code epoll_create1}, {@code epoll_ctl}, {@code epoll_wait}, {@code epoll_pwait2},
 * the constants, and accessors for slot {@code i} of a native {@code struct epoll_event} array.
 * Every call returns its result or {@code -errno}; event arrays and the timeout are checked
 * against their segments before the call ({@link Bounds}): the kernel writes up to
 * {@code maxEvents} structs at the array's address, whatever its size.
 *
 * <p>{@code struct epoll_event} is packed on x86-64 (12 bytes, {@code data} at offset 4) and
 * not on arm64 (16 bytes, offset 8): the layout is jextract's, checked by LayoutProbeTest.
 */
public final class Epoll {
    public static final int EPOLLIN = LinuxH.EPOLLIN();
    public static final int EPOLLOUT = LinuxH.EPOLLOUT();
    public static final int EPOLLERR = LinuxH.EPOLLERR();
    public static final int EPOLLHUP = LinuxH.EPOLLHUP();
    public static final int EPOLLRDHUP = LinuxH.EPOLLRDHUP();
    public static final int EPOLLET = LinuxH.EPOLLET();
    /** Linux >= 4.5: one of the epoll sets sharing a file wakes per event; only with EPOLL_CTL_ADD. */
    public static final int EPOLLEXCLUSIVE = LinuxH.EPOLLEXCLUSIVE();
    public static final int EPOLL_CTL_ADD = LinuxH.EPOLL_CTL_ADD();
    public static final int EPOLL_CTL_MOD = LinuxH.EPOLL_CTL_MOD();
    public static final int EPOLL_CTL_DEL = LinuxH.EPOLL_CTL_DEL();
    public static final int EPOLL_CLOEXEC = LinuxH.EPOLL_CLOEXEC();

    /** Bytes per {@code struct epoll_event} on this platform. */
    public static final long EVENT_SIZE = epoll_event.layout().byteSize();
    private static final long EVENTS_OFFSET = epoll_event.events$offset();
    private static final long DATA_OFFSET = epoll_event.data$offset();
    private static final long TIMESPEC_SIZE = timespec.layout().byteSize();
    // The packed x86-64 layout puts the u64 at offset 4, so reads must allow unaligned access.
    private static final ValueLayout.OfLong DATA = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt EVENTS = ValueLayout.JAVA_INT_UNALIGNED;

    private static final MethodHandle EPOLL_CREATE1 =
            Errno.link(LinuxH.epoll_create1$address(), LinuxH.epoll_create1$descriptor(), true);
    private static final MethodHandle EPOLL_CTL =
            Errno.link(LinuxH.epoll_ctl$address(), LinuxH.epoll_ctl$descriptor(), true);
    private static final MethodHandle EPOLL_WAIT =
            Errno.link(LinuxH.epoll_wait$address(), LinuxH.epoll_wait$descriptor(), false);
    // epoll_pwait2 is in Linux >= 5.11 and glibc >= 2.35; absent elsewhere, so it is optional.
    private static final MethodHandle EPOLL_PWAIT2 = linkPwait2();

    private static final Syscalls.Counter C_CREATE = Syscalls.counter("epoll_create1");
    private static final Syscalls.Counter C_CTL = Syscalls.counter("epoll_ctl");
    private static final Syscalls.Counter C_WAIT = Syscalls.counter("epoll_wait");
    private static final Syscalls.Counter C_PWAIT2 = Syscalls.counter("epoll_pwait2");

    private Epoll() {}

    private static MethodHandle linkPwait2() {
        if (Linker.nativeLinker().defaultLookup().find("epoll_pwait2").isEmpty()) {
            return null;
        }
        return Errno.link(LinuxH.epoll_pwait2$address(), LinuxH.epoll_pwait2$descriptor(), false);
    }

    /** Whether libc has {@code epoll_pwait2} (the kernel may still answer ENOSYS). */
    public static boolean hasEpollPwait2() {
        return EPOLL_PWAIT2 != null;
    }

    /** A native array of {@code n} zeroed {@code struct epoll_event}. */
    public static MemorySegment allocateEvents(Arena arena, int n) {
        return arena.allocate(epoll_event.layout(), n);
    }

    /** {@code events[i].events}. */
    public static int events(MemorySegment events, int i) {
        return events.get(EVENTS, i * EVENT_SIZE + EVENTS_OFFSET);
    }

    /** {@code events[i].data.u64}. */
    public static long data(MemorySegment events, int i) {
        return events.get(DATA, i * EVENT_SIZE + DATA_OFFSET);
    }

    /** Fills {@code events[i]}. */
    public static void set(MemorySegment events, int i, int mask, long data) {
        events.set(EVENTS, i * EVENT_SIZE + EVENTS_OFFSET, mask);
        events.set(DATA, i * EVENT_SIZE + DATA_OFFSET, data);
    }

    public static int epoll_create1(int flags) {
        C_CREATE.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) EPOLL_CREATE1.invokeExact(t.state, flags);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@code event} is one {@code struct epoll_event} (ignored, but non-null, for DEL). */
    public static int epoll_ctl(int epfd, int op, int fd, MemorySegment event) {
        if (op != EPOLL_CTL_DEL) {
            Bounds.struct("epoll_ctl", "struct epoll_event", EVENT_SIZE, "event", event);
        }
        C_CTL.hit();
        int fault = C_CTL.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) EPOLL_CTL.invokeExact(t.state, epfd, op, fd, event);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Blocks up to {@code timeoutMillis} (-1: forever). EINTR is returned, not retried. */
    public static int epoll_wait(int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        Bounds.array("epoll_wait", "maxevents", maxEvents, EVENT_SIZE, "events", events);
        C_WAIT.hit();
        int fault = C_WAIT.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) EPOLL_WAIT.invokeExact(t.state, epfd, events, maxEvents, timeoutMillis);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Nanosecond-resolution wait: {@code timeout} is a {@code struct timespec}, or NULL to
     * block. Returns {@code -ENOSYS} when libc lacks it; the kernel may also return ENOSYS.
     */
    public static int epoll_pwait2(int epfd, MemorySegment events, int maxEvents, MemorySegment timeout) {
        Bounds.array("epoll_pwait2", "maxevents", maxEvents, EVENT_SIZE, "events", events);
        if (timeout.address() != 0) {
            Bounds.struct("epoll_pwait2", "struct timespec", TIMESPEC_SIZE, "timeout", timeout);
        }
        if (EPOLL_PWAIT2 == null) {
            return -ErrnoCodes.ENOSYS;
        }
        C_PWAIT2.hit();
        int fault = C_PWAIT2.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) EPOLL_PWAIT2.invokeExact(t.state, epfd, events, maxEvents, timeout, MemorySegment.NULL);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Writes {@code nanos} into a {@code struct timespec}. */
    public static void setTimespec(MemorySegment ts, long nanos) {
        timespec.tv_sec(ts, nanos / 1_000_000_000L);
        timespec.tv_nsec(ts, nanos % 1_000_000_000L);
    }

    /** A zeroed {@code struct timespec}. */
    public static MemorySegment allocateTimespec(Arena arena) {
        return arena.allocate(timespec.layout());
    }
}
