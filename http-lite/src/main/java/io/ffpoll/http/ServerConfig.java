package io.ffpoll.http;

import java.time.Duration;

/** The settings an {@link HttpServer} was built with, shared read-only by its loops. */
record ServerConfig(Routes routes, int maxRequestLine, int maxHeadBytes, long maxBody, int maxConnections,
                    Duration requestTimeout, Duration idleTimeout) {}
