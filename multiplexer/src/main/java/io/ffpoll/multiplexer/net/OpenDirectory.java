package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.FileCalls;
import io.ffpoll.bindings.platform.Platform;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A directory held open, to open files beneath it and never outside: a path that climbs out
 * with {@code ..}, or through a symbolic link that points outside, is refused however it is
 * spelled. On Linux 5.6 and later the kernel checks it as it opens the file, in one call
 * (openat2 with RESOLVE_BENEATH), whatever changes on disk meanwhile; for an absolute link
 * (which RESOLVE_BENEATH refuses even when it points inside) the real path is resolved, must
 * lie under the directory's, and is opened through the same check again. Where openat2 is
 * missing (older kernels, the BSDs) the real path is checked and then opened without
 * following a link in its last component only: a directory on the path swapped for a link
 * between the two can still lead outside there. Thread-safe.
 */
public final class OpenDirectory implements AutoCloseable {
    // Off for the JVM's life once the kernel says it has no openat2.
    private static volatile boolean beneath = true;

    private final Path path;
    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OpenDirectory(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /**
     * Opens a directory (its real path: links in {@code directory} itself are resolved once, here).
     *
     * @param directory the directory
     * @return it, open
     * @throws java.nio.file.NoSuchFileException if there is none
     * @throws IOException if it is no directory or cannot be opened
     */
    public static OpenDirectory open(Path directory) throws IOException {
        Path real = directory.toRealPath();
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = Platform.current().files().openDirectory(arena.allocateFrom(real.toString()));
        }
        if (fd < 0) {
            throw Errors.fileException("open(" + real + ", O_DIRECTORY)", directory.toString(), -fd);
        }
        return new OpenDirectory(real, fd);
    }

    /** {@return the directory's real path} */
    public Path path() {
        return path;
    }

    /**
     * Opens {@code relative} beneath this directory for reading ({@code ""} is the directory
     * itself, as an OpenFile that is no regular file).
     *
     * @param relative a relative path, '/'-separated
     * @return the open file (a directory too: see {@link OpenFile#isRegularFile()})
     * @throws NoSuchFileException if there is no such file beneath the directory: none by that
     *     name, a path through a file, a link loop, or a path that leaves the directory
     * @throws java.nio.file.AccessDeniedException if it may not be read
     * @throws FileSystemException if the path is absolute
     * @throws IOException for another failure (EMFILE, EIO: not the client's doing)
     */
    public OpenFile openFile(String relative) throws IOException {
        if (closed.get()) {
            throw new IOException(this + " is closed");
        }
        if (relative.startsWith("/")) {
            throw new FileSystemException(relative, null, "an absolute path is not beneath " + path);
        }
        if (relative.indexOf('\0') >= 0) {
            throw new NoSuchFileException(relative, null, "a NUL in a path names no file");
        }
        if (beneath) {
            int r = openBeneath(relative.isEmpty() ? "." : relative);
            if (r >= 0) {
                return OpenFile.adopt(path.resolve(relative), r);
            }
            if (r == REAL_PATH_DECIDES) {
                // A way out, or an absolute link that may still point inside (or no openat2): the real path decides.
            } else {
                throw failure(relative, r);
            }
        }
        Path real;
        try {
            real = path.resolve(relative).toRealPath();
        } catch (java.nio.file.AccessDeniedException | NoSuchFileException e) {
            throw e;
        } catch (FileSystemException unresolvable) {
            // The JDK says ENOTDIR, ELOOP and ENAMETOOLONG this way: no file by that name.
            throw new NoSuchFileException(relative, null, unresolvable.getReason());
        }
        if (!real.startsWith(path)) {
            throw new NoSuchFileException(relative, null, "it resolves to " + real + ", outside " + path);
        }
        if (beneath) {
            // Opened again through the kernel's check, by the path just resolved, which has no
            // link in it: a component swapped for a link since the check is refused, not followed.
            int r = openBeneath(path.relativize(real).toString());
            if (r >= 0) {
                return OpenFile.adopt(real, r);
            }
            throw r == REAL_PATH_DECIDES ? new NoSuchFileException(relative, null, "it changed while it was opened")
                    : failure(relative, r);
        }
        try {
            return OpenFile.open(real, false); // no openat2 (old kernels, the BSDs): only the last component is checked
        } catch (java.nio.file.AccessDeniedException | NoSuchFileException e) {
            throw e;
        } catch (FileSystemException link) {
            throw new NoSuchFileException(relative, null, link.getReason()); // ELOOP: a link put there since
        }
    }

    /** What {@link #openBeneath} says for EXDEV, or when openat2 cannot be used here (then {@link #beneath} is off from now on); no -errno is this low. */
    private static final int REAL_PATH_DECIDES = Integer.MIN_VALUE;

    /**
     * openat2 beneath this directory: the descriptor, -errno, or {@link #REAL_PATH_DECIDES}.
     * EAGAIN (a rename elsewhere raced a '..', as RESOLVE_BENEATH tells) is tried again a few
     * times; ENOSYS, and EPERM from a seccomp filter, turn openat2 off for the JVM's life.
     */
    private int openBeneath(String name) {
        FileCalls calls = Platform.current().files();
        byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (bytes.length >= PATH_MAX) {
            return -ENAMETOOLONG; // as the kernel would say: the scratch below holds PATH_MAX with its NUL
        }
        MemorySegment cName = NAME.get();
        MemorySegment.copy(bytes, 0, cName, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes.length);
        cName.set(java.lang.foreign.ValueLayout.JAVA_BYTE, bytes.length, (byte) 0);
        for (int attempt = 0; attempt < 4; attempt++) {
            int r = calls.openBeneath(fd, cName);
            if (r == -Err.EAGAIN) {
                continue;
            }
            if (r == -Err.ENOSYS || r == -Err.EPERM) {
                beneath = false;
                return REAL_PATH_DECIDES;
            }
            return r == -EXDEV ? REAL_PATH_DECIDES : r;
        }
        return REAL_PATH_DECIDES; // still racing: the real path decides
    }

    /** The exception for openat2's {@code -errno}: what names no file beneath is NoSuchFileException. */
    private IOException failure(String relative, int r) {
        int errno = -r;
        if (errno == ENOTDIR || errno == ELOOP || errno == ENAMETOOLONG || errno == ENXIO || errno == ENODEV) {
            // A path through a file, links that go round, a name too long, a socket or a device
            // without a driver: nothing a client can be served by that name.
            return new NoSuchFileException(relative, null, Platform.current().describe(errno));
        }
        return Errors.fileException("openat2(" + path + ", " + relative + ", RESOLVE_BENEATH)", relative, errno);
    }

    // Linux's <limits.h>: the longest path, NUL included.
    private static final int PATH_MAX = 4096;
    // The NUL-terminated name given to openat2, one per thread: a request allocates no native memory for it.
    private static final ThreadLocal<MemorySegment> NAME = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(PATH_MAX));

    // Linux's: the only OS on which openBeneath is bound.
    private static final int ENXIO = 6;
    private static final int EXDEV = 18;
    private static final int ENODEV = 19;
    private static final int ENOTDIR = 20;
    private static final int ENAMETOOLONG = 36;
    private static final int ELOOP = 40;

    /** Closes the directory's descriptor; files opened beneath it stay open. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Platform.current().close(fd);
        }
    }

    @Override
    public String toString() {
        return "OpenDirectory[" + path + "]";
    }
}
