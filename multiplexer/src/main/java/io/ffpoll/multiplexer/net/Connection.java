package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Platform;
import io.ffpoll.multiplexer.Event;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * A non-blocking TCP connection on an {@link EventLoop}, for writing protocols without fds.
 *
 * <p><b>Reading.</b> Bytes are read into the loop's shared buffer and handed to
 * {@link ConnectionHandler#onData} as a read-only view; a connection reads at most 16 times per
 * turn ({@link #setReadBudget}), so a peer that sends without pause cannot starve the loop's
 * other connections. Only bytes the handler leaves unconsumed are copied into a buffer of the
 * connection's own, from the loop's buffer pool ({@link ConnectionStats}), which goes back to
 * the pool once they are consumed (never while the handler still holds the view): an idle
 * connection holds none.
 *
 * <p><b>Writing.</b> {@code write} copies the bytes once into pooled chunks and returns; the
 * loop sends everything a connection queued during an iteration with one gathering
 * {@code sendmsg} (never raising SIGPIPE) just before its next poll, or at once on
 * {@link #flush()}.
 * Large native segments written to an empty queue go to the socket directly, and only what it
 * does not take is copied. Past the high watermark {@link #isWritable()} turns false and the
 * handler hears of it; below the low one, again.
 *
 * <p><b>Closing.</b> {@link #close()} stops reading and closes once the queue is sent, or aborts
 * when that takes longer than the close timeout; {@link #closeLingering()} also discards what
 * the peer still sends, so that it reads the last response instead of a reset;
 * {@link #abort()} drops the queue and resets the connection; {@link #shutdownOutput()} sends
 * FIN after the queue. Errors (reset, broken pipe, EOF inside a message), and exceptions thrown
 * by the handler, close the connection and reach {@link ConnectionHandler#onClosed} once; the
 * loop serves everyone else on. Closing the loop closes its connections.
 *
 * <p>All methods must be called on the loop thread.
 */
public final class Connection extends ConnectionWriting {
    /** Default high and low watermarks of the write queue, as in Netty. */
    public static final long DEFAULT_HIGH_WATERMARK = 64 * 1024;
    /** Default low watermark: below it a write-blocked connection is writable again. */
    public static final long DEFAULT_LOW_WATERMARK = 32 * 1024;
    /** Default cap on bytes a handler may leave unconsumed (one incomplete message). */
    public static final long DEFAULT_MAX_PENDING = 8L << 20;
    /** Default reads per turn before the loop's other connections get theirs (1 MiB with the shared buffer). */
    public static final int DEFAULT_READ_BUDGET = 16;
    /** Default time a graceful close may take to send what is queued before it aborts. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);
    /** Default bounds of a lingering close: time in all, and bytes discarded (nginx: 30 s and no byte cap). */
    public static final Duration DEFAULT_LINGER_TIME = Duration.ofSeconds(5);
    /** Default bytes a lingering close discards at most. */
    public static final long DEFAULT_LINGER_BYTES = 16L << 20;

    private Connection(EventLoop loop, int fd, InetSocketAddress remote, ConnectionHandler handler) {
        super(loop, fd, remote, handler);
        io.opened();
        LOOPS.adopt(loop, loopSide);
    }

    /**
     * Wraps an accepted socket (non-blocking, e.g. from {@link Listener}) and starts reading;
     * {@link ConnectionHandler#onOpen} runs before this returns. The connection owns the fd
     * from now on. Any thread: off the loop it runs on the loop and waits for it.
     *
     * @throws java.util.concurrent.RejectedExecutionException if the loop is closed (the fd
     *     stays the caller's)
     * @param loop the event loop
     * @param fd the descriptor
     * @param remote the address to connect to
     * @param handler the handler
     * @return the connection
     */
    public static Connection open(EventLoop loop, int fd, InetSocketAddress remote, ConnectionHandler handler) {
        return OnLoop.call(loop, () -> {
            Connection c = new Connection(loop, fd, remote, handler);
            c.connected = true;
            loop.register(fd, Interest.READABLE, c.loopSide);
            c.opened();
            return c;
        });
    }

    /**
     * Connects to {@code remote} without blocking. {@link ConnectionHandler#onOpen} follows on
     * success, {@link ConnectionHandler#onClosed} with the cause on failure. Writes made before
     * the connection is up are queued and sent once it is. Any thread: off the loop it runs on
     * the loop and returns the connection, still connecting.
     *
     * @throws IllegalArgumentException if {@code remote} is unresolved
     * @param loop the event loop
     * @param remote the address to connect to
     * @param handler the handler
     * @return the connection, connecting
     */
    public static Connection connect(EventLoop loop, InetSocketAddress remote, ConnectionHandler handler) {
        Connector.requireResolved(remote);
        return OnLoop.call(loop, () -> connectOnLoop(loop, remote, handler));
    }

    private static Connection connectOnLoop(EventLoop loop, InetSocketAddress remote, ConnectionHandler handler) {
        Connection c = new Connection(loop, -1, remote, handler);
        c.connecting = Connector.start(loop, remote, new Connector.ConnectHandler() {
            @Override
            public void connected(int fd) {
                c.connecting = null;
                c.connected = true;
                loop.modify(fd, c.interest(), c.loopSide);
                c.opened();
                if (!c.closed && (!c.queue.isEmpty() || c.outputShutdownRequested)) {
                    c.requestFlush();
                }
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

    private void opened() {
        try {
            handler.onOpen(this);
        } catch (Throwable t) {
            handlerFailed("onOpen", t);
        }
    }

    /** {@return the socket, or -1 before a connect made one} */
    public int fd() {
        return fd;
    }

    /** {@return the loop the connection belongs to} */
    public EventLoop loop() {
        return loop;
    }

    /** {@return the peer's address} */
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    /** {@return false once the connection is closed (its onClosed has run)} */
    public boolean isOpen() {
        return !closed;
    }

    /**
     * False while the write queue is above the high watermark (until it drains below the low).
     *
     * @return false while the write queue is above the high watermark
     */
    public boolean isWritable() {
        return writable;
    }

    /**
     * Bytes written but not yet taken by the socket.
     *
     * @return the bytes queued and not yet sent
     */
    public long queuedBytes() {
        return queue.bytes();
    }

    /**
     * Bytes the socket has taken so far: it moves while the peer reads, and stalls while it does not.
     *
     * @return the bytes sent so far
     */
    public long sentBytes() {
        return queue.sent();
    }

    /**
     * Whether the connection holds a read buffer of its own (an incomplete message is pending).
     *
     * @return the result
     */
    boolean holdsReadBuffer() {
        return input.holdsBuffer();
    }

    /**
     * Sets the write queue's watermarks: above {@code high} the connection reports itself not writable ({@link ConnectionHandler#onWritabilityChanged}), below {@code low} writable again. Loop thread only.
     * @param low the low watermark in bytes
     * @param high the high watermark in bytes, above {@code low}
     */
    public void setWriteWatermarks(long low, long high) {
        options = options.withWatermarks(low, high);
    }

    /**
     * How many reads this connection makes per turn before the loop serves its other connections
     * (then it continues in the next iteration, without a syscall to get there).
     *
     * @param reads reads per turn, at least 1
     */
    public void setReadBudget(int reads) {
        options = options.withReadBudget(reads);
    }

    /**
     * Caps the bytes an incomplete message may hold; beyond it the connection fails.
     *
     * @param bytes the bytes
     */
    public void setMaxPending(long bytes) {
        options = options.withMaxPending(bytes);
    }

    /**
     * How long {@link #close()} may wait for the peer to take what is queued before it aborts.
     *
     * @param timeout how long to wait at most
     */
    public void setCloseTimeout(Duration timeout) {
        options = options.withCloseTimeout(timeout);
    }

    /**
     * Bounds of {@link #closeLingering()}: at most {@code time} in all and {@code maxBytes} discarded.
     *
     * @param time how long at most
     * @param maxBytes the most bytes to discard
     */
    public void setLingering(Duration time, long maxBytes) {
        options = options.withLingering(time, maxBytes);
    }

    @Override
    void onEvent(Event event) {
        if (closed) {
            return;
        }
        if (event.isWritable() && waitingForWritable) {
            flushNow();
        }
        if (!closed && readsSocket() && (event.isReadable() || event.isError())) {
            // With a hang-up or error in the same edge, read on to EOF or the error: no further
            // edge will come to report them.
            readAll(event.isReadClosed() || event.isError());
        }
    }

    /**
     * Closes gracefully: stops reading, sends what is queued, then closes. If the peer does not
     * take the queue within the close timeout ({@link #setCloseTimeout}), the connection is
     * aborted and {@link ConnectionHandler#onClosed} gets a {@link SocketTimeoutException}.
     * Idempotent.
     */
    public void close() {
        closeAfterQueue(null);
    }

    @Override
    void closeAfterQueue(IOException cause) {
        if (closed || closing) {
            return;
        }
        closing = true;
        reading = false;
        closeCause = cause;
        if (queue.isEmpty() || !connected) {
            finish(cause, false);
            return;
        }
        updateInterest();
        requestFlush();
        startCloseTimer(options.closeTimeout());
    }

    /**
     * Closes the way a server does after an error response while the peer may still be sending
     * (nginx's {@code lingering_close}, Go's {@code closeWriteAndWait}): stops delivering data,
     * sends what is queued, shuts down output (FIN), and reads and discards what the peer still
     * sends until it closes too, or until the bounds of {@link #setLingering} pass; then closes.
     * Closing at once with unread input would make the kernel reset the connection, and a reset
     * destroys the response still on its way to the peer. Idempotent.
     */
    @Override
    void closeLingeringAfterOverflow() {
        closeLingering();
    }

    /**
     * Closes gracefully while discarding what the peer still sends, so that it reads the queued response before the close (instead of a reset for unread bytes): reading stops, the queue is sent, FIN follows, and input is discarded until the peer closes, the linger time passes or the linger byte bound is reached ({@link #setLingering}). Idempotent. Loop thread only.
     */
    public void closeLingering() {
        if (closed || closing) {
            return;
        }
        if (!connected) {
            finish(null, false);
            return;
        }
        closing = true;
        lingering = true;
        reading = false;
        if (!delivering) {
            input.release();
        }
        updateInterest();
        startCloseTimer(options.lingerTime());
        if (queue.isEmpty()) {
            afterDrained();
        } else {
            requestFlush();
        }
    }

    private void startCloseTimer(Duration after) {
        closeTimer = loop.schedule(after, () -> {
            if (closed) {
                return;
            }
            if (queue.isEmpty()) {
                finish(null, false); // lingered long enough
            } else {
                finish(new SocketTimeoutException("closing " + remote + " timed out after " + after.toMillis()
                        + " ms with " + queue.bytes() + " bytes unsent"), true);
            }
        });
    }

    /** Closes at once with a reset (SO_LINGER 0): queued bytes are dropped. Idempotent. */
    public void abort() {
        if (!closed) {
            finish(null, true);
        }
    }

    @Override
    void loopStopped() {
        finish(new ClosedConnectionException("event loop '" + loop.name() + "' stopped"), true);
    }

    @Override
    void finish(IOException cause, boolean reset) {
        if (closed) {
            return;
        }
        closed = true;
        if (closeTimer != null) {
            closeTimer.cancel();
        }
        if (!delivering) {
            input.release(); // else once onData returns
        }
        queue.clear();
        if (connecting != null) {
            connecting.cancel();
            connecting = null;
        } else if (connected) {
            if (reset) {
                Platform.current().resetOnClose(fd);
            }
            try {
                loop.deregisterAndClose(fd);
            } catch (IOException e) {
                LOG.debug("close of {} reported {}", remote, e.getMessage());
            }
        }
        io.closed();
        LOOPS.release(loop, loopSide);
        try {
            handler.onClosed(this, cause);
        } catch (Throwable t) {
            LOG.warn("onClosed of the handler of {} threw", remote, t);
        }
    }

    @Override
    public String toString() {
        return "Connection[" + remote + (closed ? ", closed" : closing ? ", closing" : "") + "]";
    }
}
