package io.ffpoll.bindings.platform;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The calls for sending a file over a socket: {@code open} for reading, {@code fstat},
 * {@code pread}, and {@code sendfile} where the OS has a usable one. Each returns its result
 * or {@code -errno}. {@code struct stat} is read through this class's accessors, since its
 * layout differs by OS and architecture.
 */
public abstract class FileCalls {
    private static final int S_IFMT = 0xF000;  // the same on Linux, macOS and FreeBSD
    private static final int S_IFREG = 0x8000;
    private static final int S_IFDIR = 0x4000;

    private final long statSize;
    private final long dev;
    private final boolean dev32;
    private final long ino;
    private final long mode;
    private final boolean mode16;
    private final long mtim;
    private final long size;

    /**
     * For subclasses in the platform packages, with their OS's {@code struct stat}: its size and
     * the offsets of the fields read here (st_ino, st_size and st_mtim's seconds and nanoseconds
     * are 64-bit everywhere).
     *
     * @param statSize the struct's size
     * @param dev st_dev's offset
     * @param dev32 whether st_dev is 32 bits (macOS) rather than 64
     * @param ino st_ino's offset
     * @param mode st_mode's offset
     * @param mode16 whether st_mode is 16 bits (the BSDs) rather than 32
     * @param mtim st_mtim's offset
     * @param size st_size's offset
     */
    protected FileCalls(long statSize, long dev, boolean dev32, long ino, long mode, boolean mode16, long mtim, long size) {
        this.statSize = statSize;
        this.dev = dev;
        this.dev32 = dev32;
        this.ino = ino;
        this.mode = mode;
        this.mode16 = mode16;
        this.mtim = mtim;
        this.size = size;
    }

    /** {@return the bytes of a {@code struct stat} buffer for {@link #fstat}} */
    public final long statSize() {
        return statSize;
    }

    /**
     * open(2) of a NUL-terminated path for reading, close-on-exec and non-blocking (so that a
     * FIFO with no writer cannot block the caller; regular files ignore it).
     *
     * @param path the path, NUL-terminated
     * @param noFollow whether a symbolic link as the last component fails the call ({@code O_NOFOLLOW}, ELOOP)
     * @return the descriptor, or -errno
     */
    public abstract int openForReading(MemorySegment path, boolean noFollow);

    /**
     * open(2) of a NUL-terminated path that must be a directory, for reading, close-on-exec
     * ({@code O_DIRECTORY}: ENOTDIR otherwise).
     *
     * @param path the path, NUL-terminated
     * @return the descriptor, or -errno
     */
    public abstract int openDirectory(MemorySegment path);

    /**
     * Opens {@code relative} for reading beneath the directory {@code dirFd}, the kernel
     * refusing any resolution that leaves it: {@code ..} above it, an absolute path, or a
     * symbolic link (anywhere in the path) that points outside (EXDEV). Linux's openat2 with
     * RESOLVE_BENEATH (5.6); -ENOSYS where the kernel or OS has no such call.
     *
     * @param dirFd a directory descriptor
     * @param relative the path below it, NUL-terminated
     * @return the descriptor, or -errno
     */
    public abstract int openBeneath(int dirFd, MemorySegment relative);

    /**
     * fstat(2) of {@code fd} into {@code stat} (at least {@link #statSize()} bytes).
     *
     * @param fd the descriptor
     * @param stat the buffer
     * @return 0, or -errno
     */
    public abstract int fstat(int fd, MemorySegment stat);

    /** {@return {@code st_size} of a filled buffer} */
    public final long size(MemorySegment stat) {
        return stat.get(ValueLayout.JAVA_LONG, size);
    }

    /** {@return {@code st_mtim}'s seconds of a filled buffer} */
    public final long modifiedSeconds(MemorySegment stat) {
        return stat.get(ValueLayout.JAVA_LONG, mtim);
    }

    /** {@return {@code st_mtim}'s nanoseconds of a filled buffer} */
    public final long modifiedNanos(MemorySegment stat) {
        return stat.get(ValueLayout.JAVA_LONG, mtim + 8);
    }

    /** {@return {@code st_ino} of a filled buffer} */
    public final long inode(MemorySegment stat) {
        return stat.get(ValueLayout.JAVA_LONG, ino);
    }

    /** {@return {@code st_dev} of a filled buffer} */
    public final long device(MemorySegment stat) {
        return dev32 ? Integer.toUnsignedLong(stat.get(ValueLayout.JAVA_INT, dev)) : stat.get(ValueLayout.JAVA_LONG, dev);
    }

    private int type(MemorySegment stat) {
        return (mode16 ? stat.get(ValueLayout.JAVA_SHORT, mode) : stat.get(ValueLayout.JAVA_INT, mode)) & S_IFMT;
    }

    /** {@return whether a filled buffer describes a regular file ({@code S_ISREG})} */
    public final boolean isRegularFile(MemorySegment stat) {
        return type(stat) == S_IFREG;
    }

    /** {@return whether a filled buffer describes a directory ({@code S_ISDIR})} */
    public final boolean isDirectory(MemorySegment stat) {
        return type(stat) == S_IFDIR;
    }

    /**
     * pread(2): up to {@code count} bytes at {@code offset} into {@code buf}; the file's own
     * position is untouched, so one descriptor can serve many connections at once.
     *
     * @param fd the file
     * @param buf where the bytes go (at least {@code count} bytes)
     * @param count the most to read
     * @param offset where in the file
     * @return the bytes read (0 at the end of the file), or -errno
     */
    public abstract long pread(int fd, MemorySegment buf, long count, long offset);

    /**
     * Sends up to {@code count} bytes of {@code file} from {@code offset} to {@code socket}
     * inside the kernel, with no copy through user memory; the file's own position is
     * untouched. On a non-blocking socket it sends what fits and returns that count, or -EAGAIN
     * when nothing fits. 0 means the file ends at {@code offset}.
     *
     * @param socket the connected stream socket
     * @param file the file
     * @param offset where in the file
     * @param count the most to send
     * @return the bytes sent, or -errno; -ENOSYS where {@link #hasSendfile()} is false
     */
    public abstract long sendfile(int socket, int file, long offset, long count);

    /** {@return whether {@link #sendfile} is bound on this OS (Linux); elsewhere callers read and send} */
    public abstract boolean hasSendfile();
}
