package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * How a {@link Connection} ends: the graceful close after the queue (over TLS with close_notify
 * and a read to the peer's end), the lingering close, their timers, the abort, and the one
 * place that releases everything and tells the handler.
 */
abstract sealed class ConnectionClosing extends ConnectionAnyThread permits Connection {

    ConnectionClosing(EventLoop loop, int fd, java.net.SocketAddress remote, ConnectionHandler handler) {
        super(loop, fd, remote, handler);
    }

    /**
     * Bytes the socket holds that the peer has not acknowledged, sent or not (Linux's SIOCOUTQ).
     * They go down as the peer's application reads and its receive window opens, also while
     * {@link Connection#sentBytes()} stands still: a socket whose send buffer the kernel grew to
     * megabytes is writable again only once about a third of it is taken. So a write or close timeout
     * can tell a slow reader from one that stopped, as this connection's close does. Loop
     * thread.
     *
     * @return the bytes, or -1 where the kernel does not tell (not Linux, or a pipe)
     */
    public long unacknowledgedBytes() {
        checkLoop("unacknowledgedBytes");
        if (closed || notSocket) {
            return -1;
        }
        int r = Platform.current().options().unacknowledged(fd);
        return r < 0 ? -1 : r;
    }

    /**
     * Closes gracefully: stops reading, sends what is queued, then closes. If the peer takes
     * nothing of the queue for the close timeout ({@link #setCloseTimeout}), the connection is
     * aborted and {@link ConnectionHandler#onClosed} gets a {@link SocketTimeoutException}.
     * Over TLS, once the handshake is done, the queue is followed by close_notify and a FIN,
     * and the connection reads on, dropping what comes, until the peer closes too or the linger
     * time passes ({@link #setLingering}; then it closes without a cause): a TLS peer sends records nobody asked
     * for (TLS 1.3 session tickets), and unread at the close they would make the kernel reset
     * the connection and destroy the end of what was sent. Idempotent.
     */
    @Override
    public void close() {
        checkLoop("close");
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
        if (!connected || (queue.isEmpty() && (tls == null || !tls.sendsBeforeClose()))) {
            finish(cause, false);
            return;
        }
        if (tls != null && tls.handshakeDone && !tls.failed && !inputEnded) {
            // TLS closes as closeLingering does: after close_notify, a FIN, and reading on to
            // the peer's end. The peer sends records the handler never asked for (TLS 1.3
            // session tickets, right after the handshake); left unread at the close, or coming
            // after it, the kernel answers them with a reset that destroys what was still on
            // its way to the peer.
            lingering = true;
            lingeringAfterTlsClose = true;
            if (!delivering) {
                input.release();
            }
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
        checkLoop("closeLingering");
        if (closed || closing) {
            return;
        }
        if (!connected) {
            finish(null, false);
            return;
        }
        if (inputEnded) {
            closeAfterQueue(null); // the peer sends nothing more: nothing to wait for or discard
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

    @Override
    void lingerFromNow() {
        if (closeTimer != null) {
            closeTimer.cancel();
        }
        startCloseTimer(options.lingerTime());
    }

    /**
     * Bounds a close by a peer that stops reading, not by one that reads slowly: when the time
     * is up with bytes still queued but some sent since it started, it starts again (a file of
     * a gigabyte may take longer than any close timeout to send). Once the queue is out, a
     * lingering close gets its whole linger time from the FIN ({@code lingerFromNow}).
     */
    private void startCloseTimer(Duration after) {
        long sentAtStart = queue.sent();
        long unacknowledgedAtStart = queue.isEmpty() ? -1 : unacknowledgedBytes();
        closeTimer = loop.schedule(after, () -> {
            if (closed) {
                return;
            }
            if (!queue.isEmpty() && (queue.sent() != sentAtStart
                    || (unacknowledgedAtStart >= 0 && unacknowledgedBytes() < unacknowledgedAtStart))) {
                // Still taking bytes: a slow reader, not a stalled one. The socket may have
                // taken none while the peer read: it holds megabytes, and is writable again
                // only once about a third of them are gone, which a slow reader takes longer than this.
                startCloseTimer(after);
                return;
            }
            if (queue.isEmpty()) {
                finish(closeCause, false); // lingered long enough
            } else {
                finish(new SocketTimeoutException("closing " + who() + " timed out after " + after.toMillis()
                        + " ms with " + queue.bytes() + " bytes unsent"), true);
            }
        });
    }

    /** Closes at once with a reset (SO_LINGER 0): queued bytes are dropped. Idempotent. */
    public void abort() {
        checkLoop("abort");
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
        if (idle != null) {
            idle.cancel();
            idle = null;
        }
        if (!delivering) {
            input.release(); // else once onData returns
        }
        releaseQueue();
        if (tls != null) {
            tls.release();
        }
        if (connecting != null) {
            connecting.cancel();
            connecting = null;
        } else if (connected) {
            if (reset && !notSocket) {
                Platform.current().options().resetOnClose(fd);
            }
            try {
                io.deregisterAndClose(fd);
            } catch (IOException e) {
                LOG.debug("close of {} reported {}", who(), e.getMessage());
            }
        }
        io.closed();
        ConnectionEvents.closed((Connection) this, cause);
        LOOPS.release(loop, loopSide);
        try {
            handler.onClosed((Connection) this, cause);
        } catch (Throwable t) {
            LOG.warn("onClosed of the handler of {} threw", who(), t);
        }
        if (flushWaiters != null) {
            flushWaiters.fail(cause != null ? cause : new ClosedConnectionException("the connection to " + who()
                    + " closed before these bytes were sent"));
        }
        if (opening != null) {
            completeLater(opening, null, cause != null ? cause : new ClosedConnectionException(
                    "the connection to " + who() + " was closed before it opened"));
            opening = null;
        }
        if (whenClosed != null) {
            completeLater(whenClosed, null);
        }
    }
}
