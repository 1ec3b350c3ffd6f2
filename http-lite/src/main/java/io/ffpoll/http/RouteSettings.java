package io.ffpoll.http;

import io.ffpoll.http.files.StaticFiles;
import io.ffpoll.http.observe.MetricsRoute;
import io.ffpoll.http.serve.Routes;
import io.ffpoll.http.websocket.WebSocketRoute;

import java.io.IOException;

/**
 * What an {@link HttpServer} answers: its routes (quick, blocking, asynchronous, WebSocket,
 * static files), the fallback and the error handler; the half of {@link HttpServer.Builder}
 * beside {@link ServerSettings}. Users see these methods on the Builder.
 */
abstract sealed class RouteSettings extends ServerSettings permits HttpServer.Builder {
    final Routes routes = new Routes();
    ErrorHandler errorHandler;
    final java.util.List<MetricsRoute> metricsRoutes = new java.util.ArrayList<>();

    /**
     * Routes {@code method} requests for {@code path} to a quick handler, which runs on the
     * connection's loop and must not block. Paths:
     * <ul>
     * <li>exact, {@code /users}: matched first, on the request's bytes (the fast path);</li>
     * <li>with parameters, {@code /users/{id}/posts/{post}}: a parameter is one whole,
     *     non-empty segment, read with {@link Request#pathParameter}; patterns are tried
     *     after the exact paths, in the order they were added;</li>
     * <li>prefixes, {@code /static/*}: {@code /static} and everything under it; tried
     *     after the patterns, longest first.</li>
     * </ul>
     * A HEAD request uses the GET route (and gets no body); method {@code "*"} takes any.
     * When routes match the path but none the method, the answer is 405 with
     * {@code Allow}; when nothing matches, the {@link #fallback} handler (default: 404).
     *
     * @param method  a method token ({@code GET}, {@code POST}, ...) or {@code "*"}
     * @param path    the path, starting with {@code /}
     * @param handler answers the requests
     * @return this builder
     * @throws IllegalArgumentException for a path not starting with {@code /}, an invalid
     *     method, or a malformed parameter segment
     */
    public final HttpServer.Builder route(String method, String path, HttpHandler handler) {
        routes.add(method, path, handler, false);
        return self();
    }

    /**
     * {@link #route} for a handler that may block (on I/O, a lock, a database): it runs on
     * a virtual thread of its own, and the connection answers no further request until it
     * returns, so responses stay in order.
     *
     * @param method  a method token or {@code "*"}
     * @param path    the path, as for {@link #route}
     * @param handler answers the requests, and may block
     * @return this builder
     */
    public final HttpServer.Builder blockingRoute(String method, String path, HttpHandler handler) {
        routes.add(method, path, handler, true);
        return self();
    }

    /**
     * {@link #route} for a handler that answers later: it runs on the loop, must not
     * block, and returns a stage that any thread may complete with the response (see
     * {@link AsyncHttpHandler} for what happens on failure, on the request timeout and
     * when the client leaves). It gets a detached request it may keep. The connection
     * answers no further request until the stage is complete, so responses stay in order.
     *
     * @param method  a method token or {@code "*"}
     * @param path    the path, as for {@link #route}
     * @param handler starts answering the requests
     * @return this builder
     */
    public final HttpServer.Builder asyncRoute(String method, String path, AsyncHttpHandler handler) {
        routes.addAsync(method, path, handler);
        return self();
    }

    /**
     * Accepts WebSocket connections (RFC 6455, version 13) at {@code path}: a GET that
     * asks to upgrade is answered 101 and its connection is {@code handler}'s from then on,
     * its callbacks on the connection's loop (they must not block). Anything else there
     * gets 426 (or 400 for a malformed handshake). Limits: {@link #webSocketLimits}.
     *
     * @param path         the path, as for {@link #route}
     * @param handler      the connections' handler
     * @param subprotocols the subprotocols spoken, in order of preference (none: no
     *                     Sec-WebSocket-Protocol is answered)
     * @return this builder
     */
    public final HttpServer.Builder webSocket(String path, WebSocketHandler handler, String... subprotocols) {
        routes.add("GET", path, new WebSocketRoute(handler, false, java.util.List.of(subprotocols)), false);
        return self();
    }

    /**
     * {@link #webSocket} with a handler that may block: its callbacks run one at a time,
     * in order, on a virtual thread of the connection's; the connection stops reading while
     * the handler is behind by more than a message's limit, and its sends wait while the
     * peer is not reading.
     *
     * @param path         the path
     * @param handler      the connections' handler, which may block
     * @param subprotocols the subprotocols spoken, in order of preference
     * @return this builder
     */
    public final HttpServer.Builder blockingWebSocket(String path, WebSocketHandler handler, String... subprotocols) {
        routes.add("GET", path, new WebSocketRoute(handler, true, java.util.List.of(subprotocols)), false);
        return self();
    }

    /**
     * Serves the files under {@code directory} at {@code prefix} ({@code "/"} for the
     * whole tree), for GET and HEAD, with sendfile(2) where the OS has it: Content-Type by
     * extension, a strong ETag and Last-Modified with If-None-Match, If-Modified-Since,
     * If-Match and If-Unmodified-Since (304, 412), and one byte range with If-Range (206,
     * 416; several ranges get the whole file, as RFC 9110 14.2 allows). Nothing outside the
     * directory is served: {@code ..}, however encoded, is 400, and a symbolic link that
     * leaves it is 404. {@code index.html} is served for a directory (one asked for without
     * its trailing slash is redirected, 301, to it); there is no listing. Files whose names
     * begin with a dot are served like others. A prefix route: exact and pattern routes
     * are matched first, and a POST under the prefix that no other route takes gets 405
     * here, a GET for another route's POST-only path 404 (this route takes it, and finds
     * no file).
     *
     * @param prefix    the path prefix, starting with {@code /}
     * @param directory the directory
     * @return this builder
     * @throws IOException if the directory cannot be resolved, or is no directory
     */
    public final HttpServer.Builder files(String prefix, java.nio.file.Path directory) throws IOException {
        return files(prefix, directory, java.util.Map.of());
    }

    /**
     * {@link #files(String, java.nio.file.Path)} with content types of its own:
     * extension (without the dot) to Content-Type, over the built-in table.
     *
     * @param prefix       the path prefix, starting with {@code /}
     * @param directory    the directory
     * @param contentTypes extension to type, overriding the built-in ones
     * @return this builder
     * @throws IOException if the directory cannot be resolved, or is no directory
     */
    public final HttpServer.Builder files(String prefix, java.nio.file.Path directory, java.util.Map<String, String> contentTypes)
            throws IOException {
        routes.add("GET", StaticFiles.routePath(prefix), new StaticFiles(prefix, directory, contentTypes), false);
        return self();
    }

    /**
     * Answers requests no route matches (default: 404 with a short text body), for a custom
     * 404 or a catch-all. It runs on the loop and must not block.
     *
     * @param handler answers unmatched requests
     * @return this builder
     */
    public final HttpServer.Builder fallback(HttpHandler handler) {
        routes.fallback(handler, false);
        return self();
    }

    /**
     * Serves the server's loop metrics ({@link HttpServer#loopMetrics()}) at {@code path}, for
     * GET and HEAD, in the Prometheus text format (version 0.0.4): a counter or gauge per figure
     * of {@link io.ffpoll.multiplexer.LoopMetrics}, one sample per loop labelled with its index
     * ({@code ffpoll_loop_iterations_total{loop="0"} 1234}), failed accepts also by errno, and
     * the HTTP responses written per loop ({@code ffpoll_http_requests_total}). Counters end in
     * {@code _total}; times are in seconds. The route is quick: reading the metrics never waits
     * for a loop. The launcher's {@code --metrics-path} is this.
     *
     * @param path the path, as for {@link #route}
     * @return this builder
     */
    public final HttpServer.Builder metrics(String path) {
        MetricsRoute route = new MetricsRoute();
        routes.add("GET", path, route, false);
        metricsRoutes.add(route);
        return self();
    }

    /**
     * Answers requests whose handler threw (default: a plain 500), for a custom error body.
     *
     * @param handler makes the error response
     * @return this builder
     */
    public final HttpServer.Builder onError(ErrorHandler handler) {
        this.errorHandler = java.util.Objects.requireNonNull(handler, "handler");
        return self();
    }
}
