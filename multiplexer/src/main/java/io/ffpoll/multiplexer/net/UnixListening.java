package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.Platform;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Binding a Unix-domain listening socket, with the socket file handled on purpose:
 * <ul>
 * <li>a file left at the path by a listener that is gone (it crashed, or was killed) is taken
 *     over: bind fails with EADDRINUSE, a connect to the path is refused (ECONNREFUSED: nobody
 *     listens), so the file is removed and bound again;</li>
 * <li>a path where a listener still accepts is EADDRINUSE, naming the path; the file is left
 *     alone (the probe's connection is one the live listener sees open and close at once);</li>
 * <li>a path that is not a socket (a file, a directory) is an error and never deleted;</li>
 * <li>the permissions asked for are set between bind and listen: before listen every connect
 *     is refused, so no client connects through the umask's mode;</li>
 * <li>the file is removed when the listener closes, if it is still the one bound (the same
 *     device and inode): a later server that took the path over keeps its own.</li>
 * </ul>
 * Two servers taking over one stale path at the same moment race; one of them then serves a
 * socket whose file the other replaced. That is the kernel's model (a path is only a name) and
 * the reason why a service manager's socket (an inherited fd) is better for restarts.
 */
final class UnixListening {
    private static final Logger LOG = LoggerFactory.getLogger(UnixListening.class);
    private static final Platform OS = Platform.current();
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private UnixListening() {}

    /** A listening socket, and the file it made (null for an abstract name). */
    record Bound(int fd, SocketFile file) {}

    /** The socket file a listener made: removed when it closes, if it is still that file. */
    record SocketFile(Path path, Object fileKey) {
        /** Removes the file if it is still the one bound; false if it was gone or replaced. */
        boolean removeIfOurs() {
            try {
                Object now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
                if (fileKey == null || !fileKey.equals(now)) {
                    LOG.debug("socket file {} was replaced since it was bound; left alone", path);
                    return false;
                }
                Files.delete(path);
                return true;
            } catch (NoSuchFileException gone) {
                return false;
            } catch (IOException e) {
                LOG.warn("removing the socket file {}: {}", path, e.toString());
                return false;
            }
        }
    }

    /**
     * Makes, binds and listens on a Unix-domain stream socket at {@code address}.
     *
     * @throws BindException if a listener serves the path, or the path is not a socket
     * @throws IOException if socket, bind, chmod or listen fail otherwise (nothing stays open)
     */
    static Bound listen(UnixAddress address, int backlog) throws IOException {
        int fd = SocketAddresses.socket(address);
        SocketFile file = null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = OS.allocateSockaddr(arena);
            int length = OS.encodeUnix(address.bytes(), address.isAbstract(), sa);
            int r = OS.bind(fd, sa, length);
            if (r == -Err.EADDRINUSE && !address.isAbstract()) {
                removeStale(address, sa, length);
                r = OS.bind(fd, sa, length);
            }
            if (r == -Err.EADDRINUSE && address.isAbstract()) {
                throw new BindException("bind(" + address + "): " + OS.describe(Err.EADDRINUSE)
                        + ": another socket holds this abstract name");
            }
            Errors.check(r, "bind(" + address + ")");
            if (!address.isAbstract()) {
                Path path = address.path();
                file = new SocketFile(path, Files.readAttributes(path, BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS).fileKey());
                if (address.permissions() != null) {
                    Files.setPosixFilePermissions(path, address.permissions());
                }
            }
            Errors.check(OS.listen(fd, backlog), "listen(" + address + ", " + backlog + ")");
            return new Bound(fd, file);
        } catch (IOException | RuntimeException e) {
            OS.close(fd);
            if (file != null) {
                file.removeIfOurs();
            }
            throw e;
        }
    }

    /**
     * bind said EADDRINUSE for a path: removes the file if it is a socket nobody listens on;
     * otherwise throws a BindException that says why the path is not free.
     */
    private static void removeStale(UnixAddress address, MemorySegment sa, int length) throws IOException {
        Path path = address.path();
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
            return; // removed meanwhile: bind again
        } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
            throw new BindException("bind(" + path + "): " + OS.describe(Err.EADDRINUSE)
                    + " (whether it is a stale socket cannot be told here: remove it if no server uses it)");
        }
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new BindException("bind(" + path + "): " + OS.describe(Err.EADDRINUSE)
                    + ": the path exists and is not a socket; it is left alone");
        }
        int probe = SocketAddresses.socket(address);
        int r;
        try {
            r = OS.connect(probe, sa, length);
        } finally {
            OS.close(probe);
        }
        if (r == -Err.ECONNREFUSED) {
            LOG.info("{} is a socket file nobody listens on (left by a server that is gone): replacing it", path);
            try {
                Files.delete(path);
            } catch (NoSuchFileException gone) {
                // another server removed it first
            }
            return;
        }
        if (r == 0 || r == -Err.EAGAIN || r == -Err.EINPROGRESS) {
            throw new BindException("bind(" + path + "): " + OS.describe(Err.EADDRINUSE)
                    + ": a server is listening on this socket");
        }
        throw new BindException("bind(" + path + "): " + OS.describe(Err.EADDRINUSE)
                + "; probing it with connect said " + OS.describe(-r) + ", so it is left alone");
    }
}
