package io.ffpoll.http.serve;

/**
 * A route's handler that takes part in the server's life (static files): it is told the
 * server's compression as the server starts, and closed when the server stops.
 */
public interface ServerBound {
    /** The server's compression, as it starts; null: off. */
    void compression(Compression compression);

    /** The server stopped: what the handler holds is closed. */
    void close();
}
