package io.ffpoll.multiplexer;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.linux.SockAddr;
import io.ffpoll.bindings.linux.Sockets;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * Non-blocking TCP connect on an {@link EventLoop}: connect(2) returns EINPROGRESS, the socket
 * becomes writable when the handshake ends, and SO_ERROR says how it ended. Exactly one of
 * {@link ConnectHandler#connected} or {@link ConnectHandler#connectFailed} is called, on the
 * loop thread, never from within {@link #connect}.
 */
public final class Connector {
    private Connector() {}

    /** Learns how a connect ended; afterwards receives the socket's events as an IoHandler. */
    public interface ConnectHandler extends IoHandler {
        /**
         * The connection is up. {@code fd} is registered on the loop with interest NONE and this
         * handler; set the interest with {@link EventLoop#modify}. Its writability is remembered,
         * so enabling WRITABLE delivers an event at once.
         */
        void connected(int fd);

        /** The connection failed (e.g. a {@link java.net.ConnectException}); the socket is closed. */
        void connectFailed(IOException cause);
    }

    /** Starts connecting to {@code remote}. Call on the loop thread. */
    public static void connect(EventLoop loop, InetSocketAddress remote, ConnectHandler handler) {
        int fd = Sockets.socket(SockAddr.family(remote), Sockets.SOCK_STREAM | Sockets.SOCK_NONBLOCK
                | Sockets.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            IOException e = Errors.exception("socket", -fd);
            loop.execute(() -> handler.connectFailed(e));
            return;
        }
        int r;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = SockAddr.allocateStorage(arena);
            r = Sockets.connect(fd, sa, SockAddr.encode(remote, sa));
        }
        if (r == 0) { // loopback may complete at once
            loop.register(fd, Interest.NONE, handler);
            loop.execute(() -> handler.connected(fd));
        } else if (r == -ErrnoCodes.EINPROGRESS) {
            loop.register(fd, Interest.WRITABLE, (IoHandler) event -> finish(loop, remote, handler, event));
        } else {
            Fd.close(fd);
            IOException e = Errors.exception("connect(" + remote + ")", -r);
            loop.execute(() -> handler.connectFailed(e));
        }
    }

    private static void finish(EventLoop loop, InetSocketAddress remote, ConnectHandler handler, Event event) {
        int fd = event.fd();
        IOException failure = event.registrationFailure();
        if (failure == null) {
            int error = Sockets.getsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_ERROR);
            if (error == 0) {
                loop.modify(fd, Interest.NONE, handler);
                handler.connected(fd);
                return;
            }
            // getsockopt's own failure is negative; the socket's pending error is positive
            failure = Errors.exception("connect(" + remote + ")", Math.abs(error));
        }
        try {
            loop.close(fd);
        } catch (IOException closeFailed) {
            failure.addSuppressed(closeFailed);
        }
        handler.connectFailed(failure);
    }
}
