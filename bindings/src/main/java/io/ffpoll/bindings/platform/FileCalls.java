package io.ffpoll.bindings.platform;

import java.lang.foreign.MemorySegment;

/**
 * The calls for sending a file over a socket: {@code open} for reading, {@code fstat},
 * {@code pread}, and {@code sendfile} where the OS has a usable one. Each returns its result
 * or {@code -errno}. {@code struct stat} is read through this class's accessors, since its
 * layout differs by OS and architecture.
 */
public abstract class FileCalls {
    /** For subclasses in the platform packages. */
    protected FileCalls() {}

    /** {@return the bytes of a {@code struct stat} buffer for {@link #fstat}} */
    public abstract long statSize();

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
    public abstract long size(MemorySegment stat);

    /** {@return {@code st_mtim}'s seconds of a filled buffer} */
    public abstract long modifiedSeconds(MemorySegment stat);

    /** {@return {@code st_mtim}'s nanoseconds of a filled buffer} */
    public abstract long modifiedNanos(MemorySegment stat);

    /** {@return {@code st_ino} of a filled buffer} */
    public abstract long inode(MemorySegment stat);

    /** {@return {@code st_dev} of a filled buffer} */
    public abstract long device(MemorySegment stat);

    /** {@return whether a filled buffer describes a regular file ({@code S_ISREG})} */
    public abstract boolean isRegularFile(MemorySegment stat);

    /** {@return whether a filled buffer describes a directory ({@code S_ISDIR})} */
    public abstract boolean isDirectory(MemorySegment stat);

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
