package io.ffpoll.multiplexer;

import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.linux.SockAddr;
import io.ffpoll.bindings.linux.Sockets;

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

/** Real loopback sockets for tests, made with the bindings; closes whatever it still tracks. */
final class Loopback implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final Set<Integer> open = new LinkedHashSet<>();

    static long openFds() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int track(int fd) {
        if (fd < 0) {
            throw new AssertionError("expected an fd, got " + ErrnoCodes.describe(-fd));
        }
        open.add(fd);
        return fd;
    }

    /** The fd was closed by the code under test: never close it again (its number may be reused). */
    void forget(int fd) {
        open.remove(fd);
    }

    /** A non-blocking listening socket on 127.0.0.1 with a free port. */
    int listen() throws IOException {
        return track(Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024, false));
    }

    InetSocketAddress address(int listenFd) throws IOException {
        return Tcp.localAddress(listenFd);
    }

    /** A blocking client socket connected to {@code to}. */
    int connect(InetSocketAddress to) {
        int fd = track(Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, 0));
        MemorySegment sa = SockAddr.allocateStorage(arena);
        int r = Sockets.connect(fd, sa, SockAddr.encode(to, sa));
        if (r != 0) {
            throw new AssertionError("connect: " + ErrnoCodes.describe(-r));
        }
        return fd;
    }

    /** A blocking connect to {@code to} that is expected to fail: its -errno (the socket is closed). */
    int connectFailure(InetSocketAddress to) {
        int fd = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new AssertionError("socket: " + ErrnoCodes.describe(-fd));
        }
        MemorySegment sa = SockAddr.allocateStorage(arena);
        int r = Sockets.connect(fd, sa, SockAddr.encode(to, sa));
        Fd.close(fd);
        if (r == 0) {
            throw new AssertionError("connect to " + to + " succeeded");
        }
        return r;
    }

    /** Accepts one connection from a non-blocking listener, waiting up to 5 s. */
    int accept(int listenFd) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            int fd = Sockets.accept4(listenFd, MemorySegment.NULL, MemorySegment.NULL,
                    Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
            if (fd >= 0) {
                return track(fd);
            }
            if (fd != -ErrnoCodes.EAGAIN) {
                throw new AssertionError("accept4: " + ErrnoCodes.describe(-fd));
            }
            Thread.sleep(1);
        }
        throw new AssertionError("no connection to accept");
    }

    /** {@code k} connections to {@code listenFd}: {clients, accepted servers}, index by index. */
    int[][] pairs(int listenFd, int k) throws IOException, InterruptedException {
        int[] clients = new int[k];
        int[] servers = new int[k];
        for (int i = 0; i < k; i++) {
            clients[i] = connect(address(listenFd));
            servers[i] = accept(listenFd);
        }
        return new int[][] {clients, servers};
    }

    void send(int fd, byte[] bytes) {
        MemorySegment buf = arena.allocate(Math.max(1, bytes.length));
        MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, bytes.length);
        long done = 0;
        while (done < bytes.length) {
            long n = Sockets.send(fd, buf.asSlice(done), bytes.length - done, Sockets.MSG_NOSIGNAL);
            if (n == -ErrnoCodes.EAGAIN) {
                Thread.onSpinWait();
                continue;
            }
            if (n < 0) {
                throw new AssertionError("send: " + ErrnoCodes.describe((int) -n));
            }
            done += n;
        }
    }

    /** Reads up to {@code max} bytes: the bytes, an empty array at EOF, or null for EAGAIN. */
    byte[] read(int fd, int max) {
        MemorySegment buf = arena.allocate(max);
        long n = Fd.read(fd, buf, max);
        if (n == -ErrnoCodes.EAGAIN) {
            return null;
        }
        if (n < 0) {
            throw new AssertionError("read: " + ErrnoCodes.describe((int) -n));
        }
        return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Reads exactly {@code count} bytes from a blocking fd. */
    byte[] readFully(int fd, int count) {
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

    void close(int fd) {
        open.remove(fd);
        Fd.close(fd);
    }

    @Override
    public void close() {
        open.forEach(Fd::close);
        open.clear();
        arena.close();
    }
}
