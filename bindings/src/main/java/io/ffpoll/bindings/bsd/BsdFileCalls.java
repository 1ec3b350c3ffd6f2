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
    private static final int S_IFMT = 0xF000;
    private static final int S_IFREG = 0x8000;
    private static final int S_IFDIR = 0x4000;

    private static final Syscalls.Counter C_OPEN = Syscalls.counter("open");
    private static final Syscalls.Counter C_FSTAT = Syscalls.counter("fstat");
    private static final Syscalls.Counter C_PREAD = Syscalls.counter("pread");

    private final boolean macos;
    private final int cloexec;
    private final int directory;
    private final long statSize;
    private final long dev;
    private final long ino;
    private final long mode;
    private final long mtim;
    private final long size;

    private BsdFileCalls(boolean macos) {
        this.macos = macos;
        if (macos) {
            cloexec = 0x0100_0000;
            directory = 0x0010_0000;
            statSize = 144;
            dev = 0;   // dev_t is 32 bits here
            mode = 4;
            ino = 8;
            mtim = 48;
            size = 96;
        } else {
            cloexec = 0x0010_0000;
            directory = 0x0002_0000;
            statSize = 224;
            dev = 0;
            ino = 8;
            mode = 24;
            mtim = 64;
            size = 112;
        }
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
    public long statSize() {
        return statSize;
    }

    @Override
    public int openForReading(MemorySegment path, boolean noFollow) {
        C_OPEN.hit();
        Errno.PerThread t = Errno.current();
        try {
            // O_NONBLOCK: a FIFO with no writer would block the open; regular files ignore it.
            int r = (int) H.OPEN.invokeExact(t.state, path, O_RDONLY | cloexec | BsdAbi.O_NONBLOCK | (noFollow ? O_NOFOLLOW : 0), 0);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public int openDirectory(MemorySegment path) {
        C_OPEN.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) H.OPEN.invokeExact(t.state, path, O_RDONLY | cloexec | directory, 0);
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
        Bounds.struct("fstat", "struct stat", statSize, "stat", stat);
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
    public long size(MemorySegment stat) {
        return stat.get(JAVA_LONG, size);
    }

    @Override
    public long modifiedSeconds(MemorySegment stat) {
        return stat.get(JAVA_LONG, mtim);
    }

    @Override
    public long modifiedNanos(MemorySegment stat) {
        return stat.get(JAVA_LONG, mtim + 8);
    }

    @Override
    public long inode(MemorySegment stat) {
        return stat.get(JAVA_LONG, ino);
    }

    @Override
    public long device(MemorySegment stat) {
        return macos ? Integer.toUnsignedLong(stat.get(JAVA_INT, dev)) : stat.get(JAVA_LONG, dev);
    }

    @Override
    public boolean isRegularFile(MemorySegment stat) {
        return (stat.get(JAVA_SHORT, mode) & S_IFMT) == S_IFREG;
    }

    @Override
    public boolean isDirectory(MemorySegment stat) {
        return (stat.get(JAVA_SHORT, mode) & S_IFMT) == S_IFDIR;
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
