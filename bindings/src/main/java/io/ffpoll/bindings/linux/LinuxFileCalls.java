package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.platform.FileCalls;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link FileCalls} on Linux, linked by hand (these calls are not in the generated header).
 * {@code struct stat} is the kernel's generic layout on arm64 and its own on x86-64; the
 * offsets below are checked against {@code java.nio.file} by LinuxFileCallsTest.
 */
public final class LinuxFileCalls extends FileCalls {
    private static final String ARCH = System.getProperty("os.arch");
    private static final boolean ARM64 = "aarch64".equals(ARCH);

    /** Whether struct stat and the O_ flags of this architecture are known here: x86-64 and arm64. */
    public static boolean knowsThisArchitecture() {
        return ARM64 || "amd64".equals(ARCH) || "x86_64".equals(ARCH);
    }
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    // Without it, opening a FIFO that has no writer blocks (a loop thread, for ever); regular
    // files ignore it.
    private static final int O_NONBLOCK = 0x800;
    private static final int O_NOCTTY = 0x100; // a terminal opened by name never becomes ours
    // <asm/fcntl.h>: arm64 moves O_NOFOLLOW (and O_DIRECTORY) from the generic values.
    private static final int O_NOFOLLOW = ARM64 ? 0x8000 : 0x20000;
    private static final int O_DIRECTORY = ARM64 ? 0x4000 : 0x10000;
    // <linux/openat2.h>: struct open_how { u64 flags, mode, resolve; }; the syscall's number
    // is the same on every architecture (it came after the tables were unified).
    private static final long SYS_OPENAT2 = 437;
    private static final long OPEN_HOW_SIZE = 24;
    private static final long RESOLVE_NO_MAGICLINKS = 0x02;
    private static final long RESOLVE_BENEATH = 0x08;

    private static final long STAT_SIZE = ARM64 ? 128 : 144;
    private static final long ST_DEV = 0;
    private static final long ST_INO = 8;
    private static final long ST_MODE = ARM64 ? 16 : 24;
    private static final long ST_SIZE = 48;
    private static final long ST_MTIM = 88;

    /** The one instance (made after the layout above: its constructor reads it). */
    public static final LinuxFileCalls INSTANCE = new LinuxFileCalls();

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN = Errno.link(LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), false, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle OPENAT2 = Errno.link(LINKER.defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), false,
            Linker.Option.firstVariadicArg(1));
    // glibc exports fstat since 2.33; before, only __fxstat(version, fd, buf), with the
    // kernel's layout at version 1 on x86-64 and 0 on arm64.
    private static final java.util.Optional<MemorySegment> FSTAT_SYMBOL = LINKER.defaultLookup().find("fstat");
    private static final MethodHandle FSTAT = FSTAT_SYMBOL.isPresent()
            ? Errno.link(FSTAT_SYMBOL.get(), FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), false)
            : java.lang.invoke.MethodHandles.insertArguments(Errno.link(LINKER.defaultLookup().find("__fxstat").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), false), 1, ARM64 ? 0 : 1);
    private static final MethodHandle PREAD = Errno.link(LINKER.defaultLookup().find("pread").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), false);
    private static final MethodHandle SENDFILE = Errno.link(LINKER.defaultLookup().find("sendfile").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG), false);

    private static final Syscalls.Counter C_OPEN = Syscalls.counter("open");
    private static final Syscalls.Counter C_OPENAT2 = Syscalls.counter("openat2");
    private static final Syscalls.Counter C_FSTAT = Syscalls.counter("fstat");
    private static final Syscalls.Counter C_PREAD = Syscalls.counter("pread");
    private static final Syscalls.Counter C_SENDFILE = Syscalls.counter("sendfile");

    // sendfile's in/out offset: one per thread, so no call allocates.
    private static final ThreadLocal<MemorySegment> OFFSET = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(JAVA_LONG));
    // openat2's struct open_how, one per thread: always the same flags.
    private static final ThreadLocal<MemorySegment> HOW = ThreadLocal.withInitial(() -> {
        MemorySegment how = Arena.ofAuto().allocate(OPEN_HOW_SIZE, 8);
        how.set(JAVA_LONG, 0, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        how.set(JAVA_LONG, 8, 0);
        how.set(JAVA_LONG, 16, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        return how;
    });

    private LinuxFileCalls() {
        super(STAT_SIZE, ST_DEV, false, ST_INO, ST_MODE, false, ST_MTIM, ST_SIZE);
    }

    @Override
    public int openForReading(MemorySegment path, boolean noFollow) {
        return open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (noFollow ? O_NOFOLLOW : 0));
    }

    @Override
    public int openDirectory(MemorySegment path) {
        return open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
    }

    private static int open(MemorySegment path, int flags) {
        C_OPEN.hit();
        int fault = C_OPEN.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) OPEN.invokeExact(t.state, path, flags, 0);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public int openBeneath(int dirFd, MemorySegment relative) {
        C_OPENAT2.hit();
        int fault = C_OPENAT2.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) OPENAT2.invokeExact(t.state, SYS_OPENAT2, (long) dirFd, relative, HOW.get(), OPEN_HOW_SIZE);
            return r >= 0 ? (int) r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public int fstat(int fd, MemorySegment stat) {
        Bounds.struct("fstat", "struct stat", STAT_SIZE, "stat", stat);
        C_FSTAT.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) FSTAT.invokeExact(t.state, fd, stat);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public long pread(int fd, MemorySegment buf, long count, long offset) {
        Bounds.length("pread", "count", count, "buf", buf);
        C_PREAD.hit();
        int fault = C_PREAD.fault();
        if (fault != 0) {
            return -fault;
        }
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) PREAD.invokeExact(t.state, fd, buf, count, offset);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public long sendfile(int socket, int file, long offset, long count) {
        C_SENDFILE.hit();
        int fault = C_SENDFILE.fault();
        if (fault != 0) {
            return -fault;
        }
        MemorySegment off = OFFSET.get();
        off.set(JAVA_LONG, 0, offset);
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) SENDFILE.invokeExact(t.state, socket, file, off, count);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public boolean hasSendfile() {
        return true;
    }
}
