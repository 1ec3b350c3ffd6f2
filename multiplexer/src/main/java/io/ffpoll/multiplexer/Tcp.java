package io.ffpoll.multiplexer;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.linux.SockAddr;
import io.ffpoll.bindings.linux.Sockets;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;

/**
 * Plain TCP socket set-up for the loop: every socket is non-blocking and close-on-exec from
 * the start. None of these is on a hot path; each throws an IOException naming the call.
 */
public final class Tcp {
    private Tcp() {}

    /**
     * A listening socket bound to {@code address}, with SO_REUSEADDR (so a restart does not wait
     * out TIME_WAIT) and, if asked, SO_REUSEPORT (several listeners on one port, balanced by the
     * kernel). Port 0 picks a free port: read it back with {@link #localAddress}.
     */
    public static int listen(InetSocketAddress address, int backlog, boolean reusePort) throws IOException {
        int fd = Errors.check(Sockets.socket(SockAddr.family(address),
                Sockets.SOCK_STREAM | Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC, 0), "socket");
        try (Arena arena = Arena.ofConfined()) {
            Errors.check(Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_REUSEADDR, 1),
                    "setsockopt(fd " + fd + ", SO_REUSEADDR)");
            if (reusePort) {
                Errors.check(Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_REUSEPORT, 1),
                        "setsockopt(fd " + fd + ", SO_REUSEPORT)");
            }
            MemorySegment sa = SockAddr.allocateStorage(arena);
            Errors.check(Sockets.bind(fd, sa, SockAddr.encode(address, sa)), "bind(" + address + ")");
            Errors.check(Sockets.listen(fd, backlog), "listen(fd " + fd + ", " + backlog + ")");
            return fd;
        } catch (IOException | RuntimeException e) {
            Fd.close(fd);
            throw e;
        }
    }

    /** The address {@code fd} is bound to (getsockname). */
    public static InetSocketAddress localAddress(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = SockAddr.allocateStorage(arena);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, (int) SockAddr.STORAGE_SIZE);
            Errors.check(Sockets.getsockname(fd, sa, len), "getsockname(fd " + fd + ")");
            return SockAddr.decode(sa);
        }
    }

    /** Sets TCP_NODELAY: send small writes at once instead of waiting for an ACK (Nagle). */
    public static void setNoDelay(int fd, boolean on) throws IOException {
        Errors.check(Sockets.setsockopt(fd, Sockets.IPPROTO_TCP, Sockets.TCP_NODELAY, on ? 1 : 0),
                "setsockopt(fd " + fd + ", TCP_NODELAY)");
    }

    /** Sets an int socket option (e.g. SO_SNDBUF); {@code level} and {@code name} from the bindings. */
    public static void setOption(int fd, int level, int name, int value) throws IOException {
        Errors.check(Sockets.setsockopt(fd, level, name, value),
                "setsockopt(fd " + fd + ", level " + level + ", option " + name + ")");
    }
}
