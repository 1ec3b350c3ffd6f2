package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.FileCalls;
import io.ffpoll.bindings.platform.Platform;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A directory held open, to open files beneath it and never outside: a path that climbs out
 * with {@code ..}, or through a symbolic link that points outside, is refused however it is
 * spelled and whatever changes on disk meanwhile. On Linux 5.6 and later the kernel checks it
 * as it opens the file, in one call (openat2 with RESOLVE_BENEATH); elsewhere, and for an
 * absolute link (which RESOLVE_BENEATH refuses even when it points inside), the file's real
 * path is resolved and must lie under the directory's, and is then opened without following
 * a link. Thread-safe.
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
        String name = relative.isEmpty() ? "." : relative;
        if (beneath) {
            FileCalls calls = Platform.current().files();
            int r;
            try (Arena arena = Arena.ofConfined()) {
                r = calls.openBeneath(fd, arena.allocateFrom(name));
            }
            if (r >= 0) {
                return OpenFile.adopt(path.resolve(relative), r);
            }
            if (r == -Err.ENOSYS) {
                beneath = false;
            } else if (r == -ENOTDIR || r == -ELOOP) {
                // A file where a directory was named (a.txt/b), or links that go round: nothing there.
                throw new NoSuchFileException(relative, null, Platform.current().describe(-r));
            } else if (r != -EXDEV) {
                throw Errors.fileException("openat2(" + path + ", " + relative + ", RESOLVE_BENEATH)", relative, -r);
            }
            // EXDEV: a way out, or an absolute link that may still point inside: the real path decides.
        }
        Path real;
        try {
            real = path.resolve(relative).toRealPath();
        } catch (java.nio.file.AccessDeniedException | NoSuchFileException e) {
            throw e;
        } catch (FileSystemException unresolvable) {
            // The JDK says ENOTDIR and ELOOP this way: no file by that name.
            throw new NoSuchFileException(relative, null, unresolvable.getReason());
        }
        if (!real.startsWith(path)) {
            throw new NoSuchFileException(relative, null, "it resolves to " + real + ", outside " + path);
        }
        return OpenFile.open(real, false);
    }

    // Linux's: the only OS on which openBeneath is bound.
    private static final int ENOTDIR = 20;
    private static final int EXDEV = 18;
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
