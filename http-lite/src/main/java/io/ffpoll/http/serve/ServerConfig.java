package io.ffpoll.http.serve;

import io.ffpoll.http.ErrorHandler;
import io.ffpoll.http.HttpServer;
import io.ffpoll.http.observe.AccessLogWriter;

import java.time.Duration;

/** The settings an {@link HttpServer} was built with, shared read-only by its loops; {@code accessLog} null when off. */
public record ServerConfig(Routes routes, ErrorHandler errorHandler, int maxRequestLine, int maxHeadBytes, long maxBody,
                    int maxConnections, Duration requestTimeout, Duration idleTimeout, Duration writeTimeout,
                    Compression compression, int webSocketMaxFrame, long webSocketMaxMessage,
                    AccessLogWriter accessLog) {

    /**
     * What one connection may hold of a request it has not finished: the head, the body on the
     * wire (chunk overhead can double it), and a read's worth beyond.
     */
    long maxPending() {
        return maxHeadBytes + 2 * maxBody + 65536;
    }
}
