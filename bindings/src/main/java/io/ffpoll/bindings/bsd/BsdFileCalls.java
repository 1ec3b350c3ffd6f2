package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.platform.FileCalls;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@link FileCalls} on macOS and FreeBSD (64-bit): open, fstat and pread. Their sendfile calls
 * differ from Linux's and from each other (FreeBSD's takes headers and an out-count, macOS's
 * an in/out length) and are not bound yet: {@link #sendfile} says ENOSYS, and the connection
 * layer reads the file into a pooled buffer and sends that. The {@code struct stat} offsets
 * are those of FreeBSD 12+'s {@code sys/stat.h} (64-bit inodes) and of macOS's 64-bit-inode
 * layout, which is also what {@code fstat$INODE64} fills on x86-64. The handles are linked on a
 * BSD platform's first call, never on Linux.
 */
final class BsdFileCalls extends FileCalls {
    static final BsdFileCalls MACOS = new BsdFileCalls(true);
    static final BsdFileCalls FREEBSD = new BsdFileCalls(false);

    private static final int O_RDONLY = 0;
    private static final int O_NOFOLLOW = 0x0100;

    private static final Syscalls.Counter C_OPEN = Syscalls.counter("open");
    private static final Syscalls.Counter C_FSTAT = Syscalls.counter("fstat");
    private static final Syscalls.Counter C_PREAD = Syscalls.counter("pread");

    private final int cloexec;
    private final int directory;

    private BsdFileCalls(boolean macos) {
        // macOS's 64-bit-inode struct stat: dev_t of 32 bits at 0, mode at 4, ino at 8, mtime
        // at 48, size at 96, 144 bytes; FreeBSD 12+: dev at 0, ino at 8, mode at 24, mtime at
        // 64, size at 112, 224 bytes.
        super(macos ? 144 : 224, 0, macos, 8, macos ? 4 : 24, true, macos ? 48 : 64, macos ? 96 : 112);
        cloexec = macos ? 0x0100_0000 : 0x0010_0000;
        directory = macos ? 0x0010_0000 : 0x0002_0000;
    }

    private static final class H {
        static final MethodHandle OPEN = link("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2));
        static final MethodHandle PREAD = link("pread",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        static final MethodHandle FSTAT = Errno.link(Linker.nativeLinker().defaultLookup().find("fstat$INODE64")
                        .or(() -> Linker.nativeLinker().defaultLookup().find("fstat")).orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), false);

        private static MethodHandle link(String name, FunctionDescriptor d, Linker.Option... extra) {
            return Errno.link(Linker.nativeLinker().defaultLookup().find(name).orElseThrow(), d, false, extra);
        }
    }

    @Override
    public int openForReading(MemorySegment path, boolean noFollow) {
        // O_NONBLOCK: a FIFO with no writer would block the open; regular files ignore it.
        return open(path, O_RDONLY | cloexec | BsdAbi.O_NONBLOCK | (noFollow ? O_NOFOLLOW : 0));
    }

    @Override
    public int openDirectory(MemorySegment path) {
        return open(path, O_RDONLY | cloexec | directory);
    }

    private static int open(MemorySegment path, int flags) {
        C_OPEN.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) H.OPEN.invokeExact(t.state, path, flags, 0);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Not bound here (FreeBSD 13's O_RESOLVE_BENEATH would serve): callers resolve and check the real path. */
    @Override
    public int openBeneath(int dirFd, MemorySegment relative) {
        return -Err.ENOSYS;
    }

    @Override
    public int fstat(int fd, MemorySegment stat) {
        Bounds.struct("fstat", "struct stat", statSize(), "stat", stat);
        C_FSTAT.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) H.FSTAT.invokeExact(t.state, fd, stat);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public long pread(int fd, MemorySegment buf, long count, long offset) {
        Bounds.length("pread", "count", count, "buf", buf);
        C_PREAD.hit();
        Errno.PerThread t = Errno.current();
        try {
            long r = (long) H.PREAD.invokeExact(t.state, fd, buf, count, offset);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public long sendfile(int socket, int file, long offset, long count) {
        return -Err.ENOSYS;
    }

    @Override
    public boolean hasSendfile() {
        return false;
    }
}
