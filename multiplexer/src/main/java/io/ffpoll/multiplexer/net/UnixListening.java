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
 * Binding a Unix-domain socket (a stream listener's, or a datagram endpoint's) to a path or an
 * abstract name, with the socket file handled on purpose:
 * <ul>
 * <li>a file left at the path by a socket that is gone (its process crashed, or was killed) is
 *     taken over: bind fails with EADDRINUSE, a connect to the path from a socket of the same
 *     type is refused (ECONNREFUSED: nobody is bound there), so the file is removed and bound
 *     again;</li>
 * <li>a path where a live socket is bound (a listener accepts, a datagram socket receives) is
 *     EADDRINUSE, naming the path; the file is left alone (the probe's connection is one the
 *     live listener sees open and close at once; a datagram probe sends nothing);</li>
 * <li>a path that is not a socket (a file, a directory) is an error and never deleted;</li>
 * <li>the permissions asked for are set right after bind: for a listener before listen, when
 *     every connect is still refused, so no client connects through the umask's mode; a
 *     datagram socket has no such gate, and a peer that sends or connects in the instant
 *     between bind and chmod does so under the umask's mode;</li>
 * <li>the file is removed when the socket closes, if it is still the one bound (the same
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
        /** {@link #removeIfOurs()} of {@code file}, if there is one. */
        static void remove(SocketFile file) {
            if (file != null) {
                file.removeIfOurs();
            }
        }

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

    /** Makes a non-blocking, close-on-exec socket of the type being bound (the stale-file probe is one too). */
    interface SocketMaker {
        int open() throws IOException;
    }

    /**
     * Makes, binds and listens on a Unix-domain stream socket at {@code address}.
     *
     * @throws BindException if a listener serves the path, or the path is not a socket
     * @throws IOException if socket, bind, chmod or listen fail otherwise (nothing stays open)
     */
    static Bound listen(UnixAddress address, int backlog) throws IOException {
        return bind(address, () -> SocketAddresses.socket(address), backlog);
    }

    /**
     * Binds a Unix-domain datagram socket that {@code socket} makes to {@code address}: the
     * same file handling as {@link #listen}, without listen.
     *
     * @throws BindException if a live socket is bound to the path, or the path is not a socket
     * @throws IOException if socket, bind or chmod fail otherwise (nothing stays open)
     */
    static Bound bindDatagram(UnixAddress address, SocketMaker socket) throws IOException {
        return bind(address, socket, -1);
    }

    /** Binds a socket from {@code socket} to {@code address}; then listens, unless {@code backlog} is negative. */
    private static Bound bind(UnixAddress address, SocketMaker socket, int backlog) throws IOException {
        int fd = socket.open();
        SocketFile file = null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = OS.allocateSockaddr(arena);
            int length = OS.unix().encodeUnix(address.bytes(), address.isAbstract(), sa);
            int r = OS.bind(fd, sa, length);
            if (r == -Err.EADDRINUSE && !address.isAbstract()) {
                removeStale(address, sa, length, socket, backlog >= 0);
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
            if (backlog >= 0) {
                Errors.check(OS.listen(fd, backlog), "listen(" + address + ", " + backlog + ")");
            }
            return new Bound(fd, file);
        } catch (Throwable e) { // an Error too: the descriptor and the file are ours to clean up
            OS.close(fd);
            if (file != null) {
                file.removeIfOurs();
            }
            throw e;
        }
    }

    /**
     * bind said EADDRINUSE for a path: removes the file if it is a socket no live socket is bound to;
     * otherwise throws a BindException that says why the path is not free.
     */
    private static void removeStale(UnixAddress address, MemorySegment sa, int length, SocketMaker socket,
                                    boolean stream) throws IOException {
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
        int probe = socket.open(); // of the type bound: a live socket of the other type answers EPROTOTYPE
        int r;
        try {
            r = OS.connect(probe, sa, length);
        } finally {
            OS.close(probe);
        }
        if (r == -Err.ECONNREFUSED) {
            LOG.info("{} is a socket file no live socket is bound to (left by a process that is gone): replacing it",
                    path);
            try {
                Files.delete(path);
            } catch (NoSuchFileException gone) {
                // another server removed it first
            }
            return;
        }
        if (r == 0 || r == -Err.EAGAIN || r == -Err.EINPROGRESS) {
            throw new BindException("bind(" + path + "): " + OS.describe(Err.EADDRINUSE)
                    + (stream ? ": a server is listening on this socket" : ": a datagram socket is bound to it"));
        }
        if (r == -Err.EPROTOTYPE) {
            throw new BindException("bind(" + path + "): " + OS.describe(Err.EADDRINUSE) + ": a "
                    + (stream ? "datagram" : "stream") + " socket is bound to it (the probe said EPROTOTYPE); "
                    + "it is left alone");
        }
        throw new BindException("bind(" + path + "): " + OS.describe(Err.EADDRINUSE)
                + "; probing it with connect said " + OS.describe(-r) + ", so it is left alone");
    }
}
