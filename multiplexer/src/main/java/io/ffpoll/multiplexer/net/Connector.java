package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Platform;
import io.ffpoll.multiplexer.Event;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.IoHandler;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

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
     * Starts connecting to {@code remote}. Any thread: off the loop it runs on the loop and
     * returns once the connect is under way.
     *
     * @throws IllegalArgumentException if {@code remote} is unresolved (no socket is made)
     * @param loop the event loop
     * @param remote the address to connect to
     * @param handler the handler
     */
    public static void connect(EventLoop loop, InetSocketAddress remote, ConnectHandler handler) {
        requireResolved(remote);
        OnLoop.call(loop, () -> start(loop, remote, handler));
    }

    static void requireResolved(InetSocketAddress remote) {
        if (remote.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + remote + ": resolve it first");
        }
    }

    /** {@link #connect}, returning the connect in progress so its owner can cancel it. */
    static Pending start(EventLoop loop, InetSocketAddress remote, ConnectHandler handler) {
        requireResolved(remote);
        java.util.Objects.requireNonNull(handler, "handler");
        int fd = OS.socket(OS.family(remote));
        Pending p = new Pending(loop, fd, remote, handler);
        if (fd < 0) {
            p.failLater(Errors.exception("socket", -fd));
            return p;
        }
        int r;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = OS.allocateSockaddr(arena);
            r = OS.connect(fd, sa, OS.encode(remote, sa));
        }
        LOOPS.adopt(loop, p);
        if (r == 0) { // loopback may complete at once
            loop.register(fd, Interest.NONE, handler);
            loop.execute(p::succeed);
        } else if (r == -Err.EINPROGRESS) {
            loop.register(fd, Interest.WRITABLE, (IoHandler) p::finish);
        } else {
            p.closeSocket();
            p.failLater(Errors.exception("connect(" + remote + ")", -r));
        }
        return p;
    }

    /** One connect in progress; closed with its loop if it has not ended by then. */
    static final class Pending implements LoopResource {
        private final EventLoop loop;
        final int fd;
        private final InetSocketAddress remote;
        private final ConnectHandler handler;
        private boolean done;
        private boolean socketClosed;

        private Pending(EventLoop loop, int fd, InetSocketAddress remote, ConnectHandler handler) {
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
                int error = OS.socketError(fd);
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
                done = true;
                LOOPS.release(loop, this);
                handler.connected(fd);
            }
        }

        private void fail(IOException cause) {
            if (!done) {
                done = true;
                LOOPS.release(loop, this);
                handler.connectFailed(cause);
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
            done = true;
            LOOPS.release(loop, this);
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
