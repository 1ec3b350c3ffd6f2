package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.FileCalls;
import io.ffpoll.bindings.platform.Platform;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A file opened for reading, to be sent on connections with {@link Connection#sendFile}: its
 * descriptor, and what {@code fstat} said of it at the moment it was opened (size, modification
 * time, inode), so that what a response announces and what it sends come from the same file
 * even if the path is replaced meanwhile.
 *
 * <p>Sends hold the file open: {@link #close()} gives up the opener's hold, and the descriptor
 * is closed once no connection is still sending from it. So a caller opens, sends and closes at
 * once, and one {@code OpenFile} may feed many connections on many loops. Thread-safe.
 *
 * <p>The size is the one seen at open: a file that shrinks afterwards ends the connection that
 * was sending it ({@link ConnectionHandler#onClosed} with an IOException), since the bytes
 * promised cannot be sent; one that grows is sent only up to the count asked for.
 */
public final class OpenFile implements AutoCloseable {
    private final Path path;
    private final int fd;
    private final long size;
    private final long modifiedSeconds;
    private final int modifiedNanos;
    private final long inode;
    private final long device;
    private final boolean regular;
    private final boolean directory;
    private final AtomicInteger holds = new AtomicInteger(1);
    private final AtomicBoolean closed = new AtomicBoolean();

    private OpenFile(Path path, int fd, FileCalls calls, MemorySegment stat) {
        this.path = path;
        this.fd = fd;
        this.size = calls.size(stat);
        this.modifiedSeconds = calls.modifiedSeconds(stat);
        this.modifiedNanos = (int) calls.modifiedNanos(stat);
        this.inode = calls.inode(stat);
        this.device = calls.device(stat);
        this.regular = calls.isRegularFile(stat);
        this.directory = calls.isDirectory(stat);
    }

    /**
     * Opens {@code path} for reading (close-on-exec) and reads its status.
     *
     * @param path the file
     * @param followLinks false to refuse a symbolic link as the last component
     *                    ({@link java.nio.file.FileSystemException}), as {@code O_NOFOLLOW} does
     * @return the open file; close it when it has been handed to every send
     * @throws java.nio.file.NoSuchFileException if there is no such file
     * @throws java.nio.file.AccessDeniedException if it may not be read
     * @throws IOException for another failure of open or fstat
     */
    public static OpenFile open(Path path, boolean followLinks) throws IOException {
        FileCalls calls = Platform.current().files();
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = calls.openForReading(arena.allocateFrom(path.toString()), !followLinks);
        }
        if (fd < 0) {
            throw Errors.fileException("open(" + path + ")", path.toString(), -fd);
        }
        return adopt(path, fd);
    }

    /** An OpenFile of a descriptor just opened for {@code path}: its status read, or the descriptor closed. */
    static OpenFile adopt(Path path, int fd) throws IOException {
        FileCalls calls = Platform.current().files();
        MemorySegment stat = STAT.get();
        int r = calls.fstat(fd, stat);
        if (r < 0) {
            Platform.current().close(fd);
            throw Errors.fileException("fstat(fd " + fd + ")", path.toString(), -r);
        }
        return new OpenFile(path, fd, calls, stat);
    }

    // fstat's buffer, one per thread: a static file's request opens one file, and its fstat
    // needs no allocation of native memory (the fields are read out before this returns).
    private static final ThreadLocal<MemorySegment> STAT = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(Platform.current().files().statSize(), 8));

    /** {@return the path it was opened by} */
    public Path path() {
        return path;
    }

    /** {@return its size in bytes when it was opened} */
    public long size() {
        return size;
    }

    /** {@return its modification time when it was opened} */
    public Instant lastModified() {
        return Instant.ofEpochSecond(modifiedSeconds, modifiedNanos);
    }

    /** {@return its inode number, which with {@link #device()} names the file on its host} */
    public long inode() {
        return inode;
    }

    /** {@return the device that holds it} */
    public long device() {
        return device;
    }

    /** {@return whether it is a regular file (not a directory, device or pipe); only those can be sent} */
    public boolean isRegularFile() {
        return regular;
    }

    /**
     * Reads {@code length} bytes from {@code position} into {@code dst} (pread(2): the same
     * file that was opened, whatever the path names now), for a caller that must see the
     * bytes, such as a compressor.
     *
     * @param position where in the file
     * @param dst where the bytes go
     * @param offset where in {@code dst}
     * @param length how many bytes
     * @throws java.io.EOFException if the file ends first (it shrank)
     * @throws IOException if pread fails, or the file is closed
     */
    public void read(long position, byte[] dst, int offset, int length) throws IOException {
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        if (!hold()) {
            throw new IOException(this + " is closed");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, Math.min(length, 1 << 20)));
            int done = 0;
            while (done < length) {
                long want = Math.min(length - done, buf.byteSize());
                long n = Platform.current().files().pread(fd, buf, want, position + done);
                if (n == -io.ffpoll.bindings.Err.EINTR) {
                    continue;
                }
                if (n < 0) {
                    throw Errors.fileException("pread(fd " + fd + ")", path.toString(), (int) -n);
                }
                if (n == 0) {
                    throw new java.io.EOFException(path + " ends at byte " + (position + done) + ", before the "
                            + length + " bytes asked from " + position);
                }
                MemorySegment.copy(buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, dst, offset + done, (int) n);
                done += (int) n;
            }
        } finally {
            release();
        }
    }

    /** {@return whether it is a directory (opened for reading, as {@link OpenDirectory#openFile} does for one)} */
    public boolean isDirectory() {
        return directory;
    }

    /** The descriptor, for the connection's sends; valid while a hold is kept. */
    int fd() {
        return fd;
    }

    /** Takes a hold for a send; false once the file is closed for good. */
    boolean hold() {
        int h;
        do {
            h = holds.get();
            if (h == 0) {
                return false;
            }
        } while (!holds.compareAndSet(h, h + 1));
        return true;
    }

    /** Gives a hold back; the last one closes the descriptor (never retried, whatever close says). */
    void release() {
        if (holds.decrementAndGet() == 0) {
            Platform.current().close(fd);
        }
    }

    /** Gives up the opener's hold: the descriptor closes now, or when the last send from it ends. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            release();
        }
    }

    /** {@return whether {@link #close()} was called} */
    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public String toString() {
        return "OpenFile[" + path + ", fd " + fd + ", " + size + " bytes]";
    }
}
