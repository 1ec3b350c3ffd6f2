package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * io_uring(7): {@code io_uring_setup}, {@code io_uring_enter} and {@code io_uring_register},
 * made through libc's {@code syscall(2)} because glibc wraps none of them, and the
 * {@code mmap}/{@code munmap} that map the rings. Each returns its result or {@code -errno}
 * ({@code mmap}: the address, or a NULL segment with the errno in {@link #lastMmapErrno()}).
 * Layouts and constants are in {@link IoUringAbi}.
 *
 * <p>{@code syscall} is variadic: every argument after the number is passed as a 64-bit
 * integer or a pointer, so no register carries stale upper bits into the kernel.
 */
public final class IoUring {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MemorySegment SYSCALL = LINKER.defaultLookup().find("syscall").orElseThrow();

    // setup and register never block; enter waits for completions.
    private static final MethodHandle SETUP = Errno.link(SYSCALL,
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), false, Linker.Option.firstVariadicArg(1));
    private static final MethodHandle ENTER = Errno.link(SYSCALL,
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
            false, Linker.Option.firstVariadicArg(1));
    private static final MethodHandle REGISTER = Errno.link(SYSCALL,
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG), false,
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle MMAP = Errno.link(LINKER.defaultLookup().find("mmap").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), false);
    private static final MethodHandle MUNMAP = Errno.link(LINKER.defaultLookup().find("munmap").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), false);

    private static final long PARAMS_SIZE = IoUringAbi.io_uring_params.byteSize();
    private static final long ARG_SIZE = IoUringAbi.io_uring_getevents_arg.byteSize();

    private static final Syscalls.Counter C_SETUP = Syscalls.counter("io_uring_setup");
    private static final Syscalls.Counter C_ENTER = Syscalls.counter("io_uring_enter");
    private static final Syscalls.Counter C_REGISTER = Syscalls.counter("io_uring_register");
    private static final Syscalls.Counter C_MMAP = Syscalls.counter("mmap");
    private static final Syscalls.Counter C_MUNMAP = Syscalls.counter("munmap");

    private static final ThreadLocal<int[]> MMAP_ERRNO = ThreadLocal.withInitial(() -> new int[1]);

    private IoUring() {}

    /** {@code params} is one {@code struct io_uring_params}: flags and sizes in, offsets out. */
    public static int io_uring_setup(int entries, MemorySegment params) {
        Bounds.struct("io_uring_setup", "struct io_uring_params", PARAMS_SIZE, "params", params);
        C_SETUP.hit();
        int fault = C_SETUP.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) SETUP.invokeExact(t.state, IoUringAbi.__NR_io_uring_setup,
                    Integer.toUnsignedLong(entries), params);
            return r >= 0 ? (int) r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Submits {@code toSubmit} SQEs and, with {@code IORING_ENTER_GETEVENTS}, waits for
     * {@code minComplete} completions. With {@code IORING_ENTER_EXT_ARG}, {@code arg} is one
     * {@code struct io_uring_getevents_arg} (its {@code ts} the wait's timeout); otherwise it
     * is NULL. Returns the SQEs consumed, or {@code -errno} (ETIME when the timeout passed, EINTR
     * on a signal: neither is retried here).
     */
    public static int io_uring_enter(int fd, int toSubmit, int minComplete, int flags, MemorySegment arg) {
        long argSize = 0;
        if ((flags & IoUringAbi.IORING_ENTER_EXT_ARG) != 0) {
            Bounds.struct("io_uring_enter", "struct io_uring_getevents_arg", ARG_SIZE, "arg", arg);
            argSize = ARG_SIZE;
        }
        C_ENTER.hit();
        int fault = C_ENTER.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) ENTER.invokeExact(t.state, IoUringAbi.__NR_io_uring_enter, Integer.toUnsignedLong(fd),
                    Integer.toUnsignedLong(toSubmit), Integer.toUnsignedLong(minComplete),
                    Integer.toUnsignedLong(flags), arg, argSize);
            return r >= 0 ? (int) r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@code arg} holds what {@code opcode} takes ({@code nrArgs} of them); the caller sizes it. */
    public static int io_uring_register(int fd, int opcode, MemorySegment arg, int nrArgs) {
        C_REGISTER.hit();
        int fault = C_REGISTER.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) REGISTER.invokeExact(t.state, IoUringAbi.__NR_io_uring_register,
                    Integer.toUnsignedLong(fd), Integer.toUnsignedLong(opcode), arg, Integer.toUnsignedLong(nrArgs));
            return r >= 0 ? (int) r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Maps {@code length} bytes of {@code fd} at {@code offset} (an {@code IORING_OFF_*}), shared
     * and read-write. Returns the mapping, sized, or {@link MemorySegment#NULL} on failure with
     * the errno in {@link #lastMmapErrno()}. The caller unmaps it with {@link #munmap}.
     */
    public static MemorySegment mmap(int fd, long length, long offset) {
        C_MMAP.hit();
        int fault = C_MMAP.fault();
        if (fault != 0) {
            MMAP_ERRNO.get()[0] = fault;
            return MemorySegment.NULL;
        }
        Errno.PerThread t = Errno.current();
        try {
            MemorySegment r = (MemorySegment) MMAP.invokeExact(t.state, MemorySegment.NULL, length,
                    IoUringAbi.PROT_READ | IoUringAbi.PROT_WRITE, IoUringAbi.MAP_SHARED | IoUringAbi.MAP_POPULATE,
                    fd, offset);
            if (r.address() == -1L) { // MAP_FAILED
                MMAP_ERRNO.get()[0] = t.errno();
                return MemorySegment.NULL;
            }
            return r.reinterpret(length);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** The errno of this thread's last failed {@link #mmap}. */
    public static int lastMmapErrno() {
        return MMAP_ERRNO.get()[0];
    }

    public static int munmap(MemorySegment mapping) {
        C_MUNMAP.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) MUNMAP.invokeExact(t.state, mapping, mapping.byteSize());
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
