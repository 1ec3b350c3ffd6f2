package io.ffpoll.multiplexer.net;

import java.io.IOException;

/**
 * A write found the connection's queue at its hard cap ({@link Connection#setMaxQueued}): the
 * peer takes less than is written to it. With {@link Connection.Overflow#CLOSE} it is why the
 * connection was aborted ({@link ConnectionHandler#onClosed}); with
 * {@link Connection.Overflow#REFUSE} it fails the refused write's {@code writeAsync} future, and
 * the connection goes on.
 */
public final class WriteQueueFullException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception for a write that found the queue full.
     *
     * @param message which connection, and how much was queued against which cap
     */
    public WriteQueueFullException(String message) {
        super(message);
    }
}
