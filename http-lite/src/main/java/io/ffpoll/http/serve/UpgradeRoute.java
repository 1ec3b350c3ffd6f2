package io.ffpoll.http.serve;

import io.ffpoll.http.Request;
import io.ffpoll.http.Response;
import io.ffpoll.multiplexer.net.Connection;

/**
 * A route whose handshake hands the connection to another protocol (a WebSocket route): the
 * connection asks it before answering, and on a handshake it takes gives the connection to
 * what {@link #upgrade} makes. Loop thread.
 */
public interface UpgradeRoute {
    /** Why {@code r} is no handshake this route takes, as the answer; null if it is one. */
    Response refusal(Request r);

    /**
     * Answers a handshake {@link #refusal} took and makes what has the connection from the next
     * byte, not opened yet ({@link Upgraded#opened}); null if the connection closed meanwhile.
     */
    Upgraded upgrade(Connection c, ServerConfig config, Request request);
}
