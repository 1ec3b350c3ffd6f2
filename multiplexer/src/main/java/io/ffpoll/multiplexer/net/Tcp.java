package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.OptionCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.SocketOption;

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
    private static final Platform OS = Platform.current();

    private Tcp() {}

    /**
     * A listening socket bound to {@code address}, with SO_REUSEADDR (so a restart does not wait
     * out TIME_WAIT) and, if asked, {@link SocketOption#REUSE_PORT_BALANCED} (several listeners
     * on one port, balanced by the kernel: Linux's SO_REUSEPORT, FreeBSD's SO_REUSEPORT_LB).
     * Port 0 picks a free port: read it back with {@link #localAddress}.
     *
     * @throws UnsupportedOperationException for {@code reusePort} where the OS cannot balance
     *     (macOS: {@link OptionCalls#balancesReusePort()})
     * @param address the address
     * @param backlog listen(2)'s backlog
     * @param reusePort whether to balance with other listeners on the port
     * @return the listening socket
     * @throws IOException if socket, bind or listen fails
     */
    public static int listen(InetSocketAddress address, int backlog, boolean reusePort) throws IOException {
        if (reusePort && !OS.options().balancesReusePort()) {
            throw new UnsupportedOperationException(OS.name() + " cannot balance connections among listeners on one port");
        }
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + address + ": resolve it first");
        }
        int fd = Errors.check(OS.socket(OS.family(address)), "socket");
        try (Arena arena = Arena.ofConfined()) {
            setOption(fd, SocketOption.REUSE_ADDRESS, 1);
            if (reusePort) {
                setOption(fd, SocketOption.REUSE_PORT_BALANCED, 1);
            }
            MemorySegment sa = OS.allocateSockaddr(arena);
            Errors.check(OS.bind(fd, sa, OS.encode(address, sa)), "bind(" + address + ")");
            Errors.check(OS.listen(fd, backlog), "listen(fd " + fd + ", " + backlog + ")");
            return fd;
        } catch (IOException | RuntimeException e) {
            OS.close(fd);
            throw e;
        }
    }

    /**
     * Fails with EADDRINUSE if something listens on {@code address} already. SO_REUSEPORT lets
     * any socket of the same user that sets it too join a port, so the listeners of a second
     * server (or a second run of the same one) would bind without a word and take a share of
     * the first one's connections. A socket without it, bound and closed at once, finds out
     * first; nothing listens on it, so no connection can reach it.
     *
     * @throws IOException EADDRINUSE (or the bind's other error) if the address cannot be had
     */
    static void requireUnused(InetSocketAddress address) throws IOException {
        int fd = Errors.check(OS.socket(OS.family(address)), "socket");
        try (Arena arena = Arena.ofConfined()) {
            setOption(fd, SocketOption.REUSE_ADDRESS, 1); // a port in TIME_WAIT is not in use
            MemorySegment sa = OS.allocateSockaddr(arena);
            Errors.check(OS.bind(fd, sa, OS.encode(address, sa)), "bind(" + address + ")");
        } finally {
            OS.close(fd);
        }
    }

    /**
     * The address {@code fd} is bound to (getsockname).
     *
     * @param fd the descriptor
     * @return the address
     * @throws IOException if getsockname fails
     */
    public static InetSocketAddress localAddress(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = OS.allocateSockaddr(arena);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, (int) OS.sockaddrSize());
            Errors.check(OS.getsockname(fd, sa, len), "getsockname(fd " + fd + ")");
            return OS.decode(sa);
        }
    }

    /**
     * Sets TCP_NODELAY: send small writes at once instead of waiting for an ACK (Nagle).
     *
     * @param fd the descriptor
     * @param on true to set it, false to clear it
     * @throws IOException if the call fails
     */
    public static void setNoDelay(int fd, boolean on) throws IOException {
        setOption(fd, SocketOption.TCP_NODELAY, on ? 1 : 0);
    }

    /**
     * Sets SO_SNDBUF, in bytes (fixing the size turns the kernel's autotuning off).
     *
     * @param fd the descriptor
     * @param bytes the bytes
     * @throws IOException if the call fails
     */
    public static void setSendBuffer(int fd, int bytes) throws IOException {
        setOption(fd, SocketOption.SEND_BUFFER, bytes);
    }

    /**
     * Sets SO_RCVBUF, in bytes (fixing the size turns the kernel's autotuning off).
     *
     * @param fd the descriptor
     * @param bytes the bytes
     * @throws IOException if the call fails
     */
    public static void setReceiveBuffer(int fd, int bytes) throws IOException {
        setOption(fd, SocketOption.RECEIVE_BUFFER, bytes);
    }

    /**
     * Sets SO_KEEPALIVE.
     *
     * @param fd the descriptor
     * @param on true to set it, false to clear it
     * @throws IOException if the call fails
     */
    public static void setKeepAlive(int fd, boolean on) throws IOException {
        setOption(fd, SocketOption.KEEP_ALIVE, on ? 1 : 0);
    }

    private static void setOption(int fd, SocketOption option, int value) throws IOException {
        Errors.check(OS.options().setOption(fd, option, value), "setsockopt(fd " + fd + ", " + option + ", " + value + ")");
    }
}
