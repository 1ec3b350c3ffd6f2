package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.Event;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.IoHandler;
import io.ffpoll.multiplexer.Timer;
import io.ffpoll.multiplexer.internal.Durations;
import io.ffpoll.multiplexer.internal.LoopFuture;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Non-blocking TCP connect on an {@link EventLoop}: connect(2) returns EINPROGRESS, the socket
 * becomes writable when the handshake ends, and SO_ERROR says how it ended. Exactly one of
 * {@link ConnectHandler#connected} or {@link ConnectHandler#connectFailed} is called, on the
 * loop thread, never from within {@link #connect}. A connect still in progress when the loop
 * closes fails with a {@link ClosedConnectionException}, and its socket is closed.
 */
public final class Connector {
    private static final Logger LOG = LoggerFactory.getLogger(Connector.class);
    private static final Platform OS = Platform.current();
    private static final LoopAccess LOOPS = LoopAccess.get();

    private Connector() {}

    /** Learns how a connect ended; afterwards receives the socket's events as an IoHandler. */
    public interface ConnectHandler extends IoHandler {
        /**
         * The connection is up. {@code fd} is registered on the loop with interest NONE and this
         * handler; set the interest with {@link EventLoop#modify}. Its writability is remembered,
         * so enabling WRITABLE delivers an event at once.
         *
         * @param fd the descriptor
         */
        void connected(int fd);

        /**
         * The connection failed (e.g. a {@link java.net.ConnectException}); the socket is closed.
         *
         * @param cause why, or null
         */
        void connectFailed(IOException cause);
    }

    /**
     * Starts connecting to {@code remote}; the handler hears how it ends. Any thread: on the
     * loop's own thread it starts at once, elsewhere on the loop; it never waits.
     *
     * @throws IllegalArgumentException if {@code remote} is unresolved (no socket is made)
     * @param loop the event loop
     * @param remote the address to connect to
     * @param handler the handler
     * @return a future completed once connected (after {@link ConnectHandler#connected}), or
     *     failed with the cause (after {@link ConnectHandler#connectFailed}); failed with a
     *     {@link java.util.concurrent.RejectedExecutionException}, the handler not called, if the
     *     loop is closed
     */
    public static CompletableFuture<Void> connect(EventLoop loop, InetSocketAddress remote, ConnectHandler handler) {
        return connect(loop, remote, null, handler);
    }

    /**
     * {@link #connect(EventLoop, InetSocketAddress, ConnectHandler)} that gives up after
     * {@code timeout}: the socket is closed and the handler gets a {@link SocketTimeoutException}.
     *
     * @param loop the event loop
     * @param remote the address to connect to
     * @param timeout how long the connect may take, positive; null for the kernel's own limit
     * @param handler the handler
     * @return a future completed once connected, or failed with the cause
     */
    public static CompletableFuture<Void> connect(EventLoop loop, InetSocketAddress remote, Duration timeout,
                                                  ConnectHandler handler) {
        return connect(loop, (SocketAddress) remote, timeout, handler);
    }

    /**
     * {@link #connect(EventLoop, InetSocketAddress, ConnectHandler)} to any address: an
     * {@link InetSocketAddress}, or a Unix-domain one ({@link UnixAddress}, or the JDK's
     * {@link java.net.UnixDomainSocketAddress}). A Unix connect completes or fails at once (no
     * handshake): ENOENT for a path with no socket, ECONNREFUSED for one nobody listens on,
     * EAGAIN when the listener's backlog is full; the handler hears it on the loop all the same.
     * The exceptions are the JDK's for the same errors ({@link java.net.SocketException}, and
     * {@link java.net.ConnectException} for ECONNREFUSED); their message names the call and the
     * path, e.g. {@code connect(/run/app.sock): ENOENT (No such file or directory)}.
     *
     * @param loop the event loop
     * @param remote the address to connect to
     * @param handler the handler
     * @return a future completed once connected, or failed with the cause
     */
    public static CompletableFuture<Void> connect(EventLoop loop, SocketAddress remote, ConnectHandler handler) {
        return connect(loop, remote, null, handler);
    }

    /**
     * {@link #connect(EventLoop, SocketAddress, ConnectHandler)} that gives up after {@code timeout}.
     *
     * @param loop the event loop
     * @param remote the address to connect to
     * @param timeout how long the connect may take, positive; null for the kernel's own limit
     * @param handler the handler
     * @return a future completed once connected, or failed with the cause
     * @throws IllegalArgumentException for an unresolved IP address or an address of another type
     */
    public static CompletableFuture<Void> connect(EventLoop loop, SocketAddress remote, Duration timeout,
                                                  ConnectHandler handler) {
        SocketAddress target = SocketAddresses.normalize(remote);
        Objects.requireNonNull(handler, "handler");
        if (timeout != null) {
            Durations.positive(timeout, "connect timeout");
        }
        CompletableFuture<Void> result = new LoopFuture<>(loop);
        ConnectHandler reporting = new ConnectHandler() {
            @Override
            public void connected(int fd) {
                try {
                    handler.connected(fd);
                } catch (Throwable t) {
                    // The handler took no charge of the socket: close it, and say why.
                    LOG.warn("the connect handler for {} threw; closing its socket", remote, t);
                    try {
                        loop.deregisterAndClose(fd);
                    } catch (IOException e) {
                        LOG.debug("closing the socket of a connect to {}: {}", remote, e.getMessage());
                    }
                    result.completeExceptionally(t);
                    return;
                }
                result.complete(null);
            }

            @Override
            public void connectFailed(IOException cause) {
                try {
                    handler.connectFailed(cause);
                } finally {
                    result.completeExceptionally(cause);
                }
            }

            @Override
            public void onEvent(Event event) {
                handler.onEvent(event);
            }
        };
        loop.onLoop(() -> start(loop, target, timeout, reporting)).whenComplete((p, failure) -> {
            if (failure != null) {
                result.completeExceptionally(OnLoop.unwrap(failure));
            }
        });
        return result;
    }

    static void requireResolved(InetSocketAddress remote) {
        if (remote.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + remote + ": resolve it first");
        }
    }

    /** {@link #connect}, on the loop, returning the connect in progress so its owner can cancel it. */
    static Pending start(EventLoop loop, SocketAddress remote, Duration timeout, ConnectHandler handler) {
        Objects.requireNonNull(handler, "handler");
        Pending p;
        int fd;
        int r;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = OS.allocateSockaddr(arena);
            int length = SocketAddresses.encode(remote, sa); // a bad address throws before a socket exists
            try {
                fd = SocketAddresses.socket(remote);
            } catch (IOException e) {
                p = new Pending(loop, -1, remote, handler);
                p.failLater(e);
                return p;
            }
            p = new Pending(loop, fd, remote, handler);
            r = OS.connect(fd, sa, length);
        }
        LOOPS.adopt(loop, p);
        if (r == 0) { // loopback may complete at once
            loop.register(fd, Interest.NONE, handler);
            loop.execute(p::succeed);
        } else if (r == -Err.EINPROGRESS) {
            loop.register(fd, Interest.WRITABLE, (IoHandler) p::finish);
            if (timeout != null) {
                p.timer = loop.schedule(timeout, () -> p.timedOut(timeout));
            }
        } else {
            p.closeSocket();
            p.failLater(Errors.exception("connect(" + remote + ")", -r));
        }
        return p;
    }

    /**
     * On the loop: a {@link Connection} over a connect to {@code remote}; {@code result}
     * completes once it is open, or fails with why it never was.
     */
    static Connection connection(EventLoop loop, SocketAddress remote, ConnectionHandler handler,
                                 Duration timeout, TlsConfig tls, String serverName,
                                 CompletableFuture<Connection> result) {
        Connection c = new Connection(loop, -1, remote, handler);
        c.opening = result; // the connection fails it if it is closed before the connect ends
        c.connecting = start(loop, remote, timeout, new ConnectHandler() {
            @Override
            public void connected(int fd) {
                c.connecting = null;
                c.connected = true;
                c.receiveOnRing();
                if (tls != null) {
                    // The handshake completes the future (or fails it), and opens the handler.
                    loop.modify(fd, c.interest(), c.loopSide);
                    c.tlsBegin(tls, serverName, remote instanceof java.net.InetSocketAddress ip ? ip.getPort() : -1);
                    return;
                }
                // The connect succeeded, and the future says so whatever onOpen then does with the
                // connection (a close there is a close after opening); only a throw fails it.
                c.opening = null;
                loop.modify(fd, c.interest(), c.loopSide);
                IOException thrown = c.opened();
                if (!c.closed && (!c.queue.isEmpty() || c.outputShutdownRequested)) {
                    c.requestFlush();
                }
                c.completeLater(result, thrown == null ? c : null, thrown);
            }

            @Override
            public void connectFailed(IOException cause) {
                c.connecting = null;
                c.finish(cause, false);
            }

            @Override
            public void onEvent(Event event) {
                c.onEvent(event);
            }
        });
        c.fd = c.connecting.fd;
        return c;
    }

    /** One connect in progress; closed with its loop if it has not ended by then. */
    static final class Pending extends LoopResource {
        private final EventLoop loop;
        final int fd;
        private final SocketAddress remote;
        private final ConnectHandler handler;
        private boolean done;
        private boolean socketClosed;
        Timer timer; // the connect timeout, if any

        private Pending(EventLoop loop, int fd, SocketAddress remote, ConnectHandler handler) {
            this.loop = loop;
            this.fd = fd;
            this.remote = remote;
            this.handler = handler;
            this.socketClosed = fd < 0;
        }

        private void failLater(IOException cause) {
            loop.execute(() -> fail(cause));
        }

        private void finish(Event event) {
            if (done) {
                return;
            }
            IOException failure = event.registrationFailure();
            if (failure == null) {
                int error = OS.options().socketError(fd);
                if (error == 0) {
                    loop.modify(fd, Interest.NONE, handler);
                    succeed();
                    return;
                }
                // getsockopt's own failure is negative; the socket's pending error is positive
                failure = Errors.exception("connect(" + remote + ")", Math.abs(error));
            }
            closeSocket();
            fail(failure);
        }

        private void succeed() {
            if (!done) {
                ended();
                handler.connected(fd);
            }
        }

        private void fail(IOException cause) {
            if (!done) {
                ended();
                handler.connectFailed(cause);
            }
        }

        private void ended() {
            done = true;
            LOOPS.release(loop, this);
            if (timer != null) {
                timer.cancel();
            }
        }

        private void timedOut(Duration timeout) {
            if (!done) {
                closeSocket();
                fail(new SocketTimeoutException("connect(" + remote + ") timed out after " + timeout.toMillis() + " ms"));
            }
        }

        private void closeSocket() {
            if (!socketClosed) {
                socketClosed = true;
                try {
                    loop.deregisterAndClose(fd);
                } catch (IOException e) {
                    LOG.debug("closing the socket of a connect to {}: {}", remote, e.getMessage());
                }
            }
        }

        /** The owner gave up (closed its connection): close the socket, tell nobody. */
        void cancel() {
            ended();
            closeSocket();
        }

        @Override
        public void closeBecauseLoopStopped() {
            closeSocket();
            fail(new ClosedConnectionException("event loop '" + loop.name() + "' stopped before the connect to "
                    + remote + " completed"));
        }
    }
}
