package io.ffpoll.multiplexer.net;

import java.io.IOException;

/** A write or shutdown on a {@link Connection} that is closed or closing; nothing was written. */
public final class ClosedConnectionException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception for a connection that is closed.
     *
     * @param message what was closed, and why
     */
    public ClosedConnectionException(String message) {
        super(message);
    }
}
