package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.linux.gen.LinuxH;
import io.ffpoll.bindings.linux.gen.rlimit;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * getrlimit(2): {@code getrlimit}, {@code RLIMIT_NOFILE}, and accessors for {@code struct rlimit}.
 * {@code rlim_t} is unsigned; {@code RLIM_INFINITY} reads as -1 here.
 */
public final class Resource {
    public static final int RLIMIT_NOFILE = LinuxH.RLIMIT_NOFILE();
    /** {@code RLIM_INFINITY} as a Java long. */
    public static final long RLIM_INFINITY = -1L;

    private static final MethodHandle GETRLIMIT =
            Errno.link(LinuxH.getrlimit$address(), LinuxH.getrlimit$descriptor(), true);
    private static final long RLIMIT_SIZE = rlimit.layout().byteSize();
    private static final Syscalls.Counter C_GETRLIMIT = Syscalls.counter("getrlimit");

    private Resource() {}

    /** A zeroed {@code struct rlimit}. */
    public static MemorySegment allocateRlimit(Arena arena) {
        return arena.allocate(rlimit.layout());
    }

    /** Fills {@code rlim}: 0, or -errno. */
    public static int getrlimit(int resource, MemorySegment rlim) {
        Bounds.struct("getrlimit", "struct rlimit", RLIMIT_SIZE, "rlim", rlim);
        C_GETRLIMIT.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) GETRLIMIT.invokeExact(t.state, resource, rlim);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** The soft limit. */
    public static long rlim_cur(MemorySegment rlim) {
        return rlimit.rlim_cur(rlim);
    }

    /** The hard limit. */
    public static long rlim_max(MemorySegment rlim) {
        return rlimit.rlim_max(rlim);
    }
}
