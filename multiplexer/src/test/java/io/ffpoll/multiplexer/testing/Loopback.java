package io.ffpoll.multiplexer.testing;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.net.Tcp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Real loopback sockets for tests, made through the {@link Platform} (so the same tests run on
 * any OS ffpoll supports); closes whatever it still tracks.
 */
public final class Loopback implements AutoCloseable {
    public static final Platform OS = Platform.current();
    private final Arena arena = Arena.ofShared();
    private final Set<Integer> open = new LinkedHashSet<>();

    /** Descriptors this process has open now (Linux: /proc/self/fd; the BSDs: /dev/fd). */
    /** Each open descriptor with what it refers to (a file, a socket, a pipe): for a leak's message. */
    public static java.util.SortedSet<String> openFdNames() {
        java.util.SortedSet<String> out = new java.util.TreeSet<>();
        Path dir = Files.isDirectory(Path.of("/proc/self/fd")) ? Path.of("/proc/self/fd") : Path.of("/dev/fd");
        try (Stream<Path> fds = Files.list(dir)) {
            for (Path fd : fds.toList()) {
                try {
                    out.add(fd.getFileName() + " -> " + Files.readSymbolicLink(fd));
                } catch (IOException gone) {
                    // the listing's own descriptor, closed by now
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    public static long openFds() {
        Path dir = Files.isDirectory(Path.of("/proc/self/fd")) ? Path.of("/proc/self/fd") : Path.of("/dev/fd");
        try (Stream<Path> fds = Files.list(dir)) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits (up to 30 s) until at most {@code expected} descriptors are open: libkqueue frees a
     * closed kqueue's descriptors on a thread of its own, a moment after close returns.
     */
    public static void awaitOpenFdsAtMost(long expected, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        long now;
        while ((now = openFds()) > expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": " + now + " descriptors open, expected at most " + expected);
            }
            Thread.sleep(1);
        }
    }

    public int track(int fd) {
        if (fd < 0) {
            throw new AssertionError("expected an fd, got " + OS.describe(-fd));
        }
        open.add(fd);
        return fd;
    }

    /** The fd was closed by the code under test: never close it again (its number may be reused). */
    public void forget(int fd) {
        open.remove(fd);
    }

    /** A non-blocking listening socket on 127.0.0.1 with a free port. */
    public int listen() throws IOException {
        return track(Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024, false));
    }

    public InetSocketAddress address(int listenFd) throws IOException {
        return Tcp.localAddress(listenFd);
    }

    private int blockingSocket() {
        int fd = OS.socket(OS.family(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        if (fd >= 0 && OS.setBlocking(fd, true) != 0) {
            throw new AssertionError("fcntl(O_NONBLOCK off) failed");
        }
        return fd;
    }

    /** A blocking client socket connected to {@code to}. */
    public int connect(InetSocketAddress to) {
        int fd = track(blockingSocket());
        MemorySegment sa = OS.allocateSockaddr(arena);
        int r = OS.connect(fd, sa, OS.encode(to, sa));
        if (r != 0) {
            throw new AssertionError("connect: " + OS.describe(-r));
        }
        return fd;
    }

    /** A blocking connect to {@code to} that is expected to fail: its -errno (the socket is closed). */
    public int connectFailure(InetSocketAddress to) {
        int fd = blockingSocket();
        if (fd < 0) {
            throw new AssertionError("socket: " + OS.describe(-fd));
        }
        MemorySegment sa = OS.allocateSockaddr(arena);
        int r = OS.connect(fd, sa, OS.encode(to, sa));
        OS.close(fd);
        if (r == 0) {
            throw new AssertionError("connect to " + to + " succeeded");
        }
        return r;
    }

    /** Accepts one connection from a non-blocking listener, waiting up to 30 s. */
    public int accept(int listenFd) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            int fd = OS.accept(listenFd, MemorySegment.NULL, MemorySegment.NULL);
            if (fd >= 0) {
                return track(fd);
            }
            if (fd != -Err.EAGAIN) {
                throw new AssertionError("accept: " + OS.describe(-fd));
            }
            Thread.sleep(1);
        }
        throw new AssertionError("no connection to accept");
    }

    /** {@code k} connections to {@code listenFd}: {clients, accepted servers}, index by index. */
    public int[][] pairs(int listenFd, int k) throws IOException, InterruptedException {
        int[] clients = new int[k];
        int[] servers = new int[k];
        for (int i = 0; i < k; i++) {
            clients[i] = connect(address(listenFd));
            servers[i] = accept(listenFd);
        }
        return new int[][] {clients, servers};
    }

    /**
     * A connected pair {a blocking client, its non-blocking accepted peer}, through a listening
     * socket that is closed again: an fd that becomes readable when the other end sends, on
     * every OS.
     */
    public int[] pair() throws IOException, InterruptedException {
        int listenFd = listen();
        try {
            return new int[] {connect(address(listenFd)), accept(listenFd)};
        } finally {
            close(listenFd);
        }
    }

    public void send(int fd, byte[] bytes) {
        MemorySegment buf = arena.allocate(Math.max(1, bytes.length));
        MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, bytes.length);
        long done = 0;
        while (done < bytes.length) {
            long n = OS.send(fd, buf.asSlice(done), bytes.length - done, false);
            if (n == -Err.EAGAIN) {
                Thread.onSpinWait();
                continue;
            }
            if (n < 0) {
                throw new AssertionError("send: " + OS.describe((int) -n));
            }
            done += n;
        }
    }

    /** Reads up to {@code max} bytes: the bytes, an empty array at EOF, or null for EAGAIN. */
    public byte[] read(int fd, int max) {
        MemorySegment buf = arena.allocate(max);
        long n = OS.read(fd, buf, max);
        if (n == -Err.EAGAIN) {
            return null;
        }
        if (n < 0) {
            throw new AssertionError("read: " + OS.describe((int) -n));
        }
        return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Reads exactly {@code count} bytes. */
    public byte[] readFully(int fd, int count) {
        byte[] out = new byte[count];
        int done = 0;
        while (done < count) {
            byte[] chunk = read(fd, count - done);
            if (chunk == null) {
                Thread.onSpinWait();
                continue;
            }
            if (chunk.length == 0) {
                throw new AssertionError("EOF after " + done + " of " + count + " bytes");
            }
            System.arraycopy(chunk, 0, out, done, chunk.length);
            done += chunk.length;
        }
        return out;
    }

    /** Reads what is there until EAGAIN (a non-blocking fd); returns how many bytes. */
    public int drain(int fd) {
        int total = 0;
        byte[] chunk;
        while ((chunk = read(fd, 4096)) != null && chunk.length > 0) {
            total += chunk.length;
        }
        return total;
    }

    public void close(int fd) {
        open.remove(fd);
        OS.close(fd);
    }

    @Override
    public void close() {
        open.forEach(OS::close);
        open.clear();
        arena.close();
    }
}
