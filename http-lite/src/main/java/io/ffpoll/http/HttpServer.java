package io.ffpoll.http;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.net.AcceptOptions;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.ConnectionStats;
import io.ffpoll.multiplexer.net.GroupListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * http-lite: an HTTP/1.1 server on N {@link EventLoop}s.
 *
 * <p>Accepting: in {@link AcceptMode#REUSEPORT} mode (the default on Linux and FreeBSD) each
 * loop has its own listening socket on the same port (SO_REUSEPORT, FreeBSD's SO_REUSEPORT_LB),
 * and the kernel spreads connections over them; in {@link AcceptMode#ACCEPTOR} mode (the
 * default on macOS, whose kernel does not balance) the first loop accepts and hands
 * connections to the loops round-robin (an {@link EventLoopGroup} and a {@link GroupListener}). Either mode can serve an inherited, already-bound listening socket
 * ({@link Builder#inheritedFd}); in reuseport mode each loop then accepts on its own duplicate
 * of it.
 *
 * <p>Shutdown: {@link #shutdown(Duration)} stops accepting, lets requests in flight finish
 * (their responses say {@code Connection: close}), closes idle connections, and after the grace
 * period closes whatever is left. {@link #shutdownAsync} does it without waiting, from any
 * thread, a handler included; {@link #close()} in a handler starts it and returns.
 *
 * <p>Loops: its own ({@link Builder#threads}), closed with the server, or a group the caller
 * already runs ({@link Builder#group}), shared with the caller's own connections and timers and
 * left running when the server stops.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    /** How connections reach the loops. */
    public enum AcceptMode {
        /** A listening socket per loop, balanced by the kernel (Linux, FreeBSD). */
        REUSEPORT,
        /** One acceptor, on the first loop, handing connections out round-robin. */
        ACCEPTOR
    }

    private final List<LoopState> loops = new ArrayList<>();
    private final Map<EventLoop, LoopState> byLoop = new IdentityHashMap<>();
    private final ServerConfig config;
    private final AcceptMode mode;
    private final ConnectionLimit limit;
    private EventLoopGroup group;
    private boolean ownsGroup;
    private GroupListener listener;
    private volatile boolean stopped;
    private CompletableFuture<Boolean> shutdown; // guarded by this

    private HttpServer(ServerConfig config, AcceptMode mode) {
        this.config = config;
        this.mode = mode;
        this.limit = new ConnectionLimit(config.maxConnections());
    }

    /** {@return a builder with the defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The address the server listens on (the actual port when 0 was asked for).
     *
     * @return the address
     */
    public InetSocketAddress address() {
        return listener.address();
    }

    /** {@return how connections reach the loops} */
    public AcceptMode acceptMode() {
        return mode;
    }

    /** {@return the number of event loops} */
    public int loopCount() {
        return loops.size();
    }

    /**
     * The connection limit in force (configured, or from RLIMIT_NOFILE).
     *
     * @return the limit
     */
    public int maxConnections() {
        return config.maxConnections();
    }

    /**
     * Connections accepted for loop {@code i} so far.
     *
     * @param i the index, from 0
     * @return how many
     */
    public long accepted(int i) {
        return loops.get(i).accepted;
    }

    /**
     * Responses written so far, over all loops (read without synchronisation: approximate while running).
     *
     * @return how many
     */
    public long requestsServed() {
        long n = 0;
        for (LoopState s : loops) {
            n += s.served;
        }
        return n;
    }

    /**
     * The server's figures now, over all loops, for monitoring.
     *
     * @param openConnections  connections open now
     * @param requestsServed   responses written so far (approximate while running)
     * @param bufferBytesInUse bytes of pooled buffers connections hold now (each loop's 64 KiB read buffer included)
     * @param pooledBytes      bytes of free buffers the loops keep for reuse
     */
    public record Stats(int openConnections, long requestsServed, long bufferBytesInUse, long pooledBytes) {}

    /**
     * The server's figures now. Any thread, a handler included: it asks each loop and never
     * waits (on the loop's own thread its part is read at once).
     *
     * @return the figures, once every loop has answered
     */
    public CompletableFuture<Stats> stats() {
        List<CompletableFuture<ConnectionStats>> parts = new ArrayList<>();
        for (LoopState s : loops) {
            parts.add(ConnectionStats.of(s.loop));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(x -> {
            long inUse = 0;
            long pooled = 0;
            for (CompletableFuture<ConnectionStats> part : parts) {
                inUse += part.join().bufferBytesInUse();
                pooled += part.join().pooledBytes();
            }
            return new Stats(openConnections(), requestsServed(), inUse, pooled);
        });
    }

    /**
     * Connections open now, over all loops.
     *
     * @return how many
     */
    public int openConnections() {
        return limit.open();
    }

    /**
     * Whether accepting is suspended because the connection limit is reached.
     *
     * @return whether accepting is suspended
     */
    public boolean acceptingSuspended() {
        return limit.acceptingSuspended();
    }

    /**
     * Whether {@link #shutdown} or {@link #close} was called.
     *
     * @return whether it was stopped
     */
    public boolean isStopped() {
        return stopped;
    }

    /** Runs {@code task} on loop {@code i} and returns its result (for tests and diagnostics). */
    <T> T onLoop(int i, java.util.concurrent.Callable<T> task) throws Exception {
        return loops.get(i).loop.submit(task).get(30, TimeUnit.SECONDS);
    }

    LoopState loopState(int i) {
        return loops.get(i);
    }

    /** Pooled buffers loop {@code i} has handed out and not got back (its shared read buffer is one). */
    long pooledBuffersInUse(int i) throws Exception {
        return ConnectionStats.of(loops.get(i).loop).get(30, TimeUnit.SECONDS).buffersInUse();
    }

    /**
     * The poller backend the loops use, e.g. {@code "epoll"}.
     *
     * @return the backend's name
     */
    public String backend() {
        return group.get(0).backend();
    }

    /** Starts on the builder's group or loops of its own; the future fails if it cannot listen. */
    private CompletableFuture<HttpServer> start(Builder b) {
        try {
            ownsGroup = b.group == null;
            group = ownsGroup ? EventLoopGroup.start("http-lite", b.threads, b.backend) : b.group;
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<CompletableFuture<?>> sweepers = new ArrayList<>();
        for (EventLoop loop : group.loops()) {
            LoopState state = new LoopState(loop, config, limit);
            loops.add(state);
            byLoop.put(loop, state);
            sweepers.add(loop.onLoop(() -> {
                state.startSweeper();
                return null;
            }));
        }
        GroupListener.Options options = GroupListener.Options.DEFAULTS
                .mode(mode == AcceptMode.REUSEPORT ? GroupListener.Mode.REUSEPORT : GroupListener.Mode.ACCEPTOR)
                .backlog(b.backlog)
                // Responses are complete when written: do not wait for Nagle.
                .accept(AcceptOptions.DEFAULTS.noDelay(true))
                // Counted on the accepting thread, so that reaching the limit stops the very
                // next accept; loops racing past it close what they took. A connection accepted
                // while a shutdown closes the listeners is kept and answered (Connection: close):
                // closing it with its request unread would reset it, and on a socket shared with
                // other worker processes none of them can serve it any more.
                .admission(fd -> limit.admit());
        if (b.inheritedFd >= 0) {
            options = options.inheritedFd(b.inheritedFd);
        }
        GroupListener.Options listening = options;
        return CompletableFuture.allOf(sweepers.toArray(CompletableFuture[]::new))
                .thenCompose(x -> GroupListener.startAsync(group, b.address, listening, this::accept))
                .thenApply(started -> {
                    listener = started;
                    limit.watch(started);
                    return this;
                });
    }

    private void accept(EventLoop loop, int fd, InetSocketAddress peer) {
        LoopState state = byLoop.get(loop);
        state.accepted++;
        try {
            // On the connection's own loop: done when it returns (join cannot wait).
            Connection.open(loop, fd, peer, new HttpConnection(state)).join();
        } catch (RuntimeException e) {
            limit.closed(); // the connection never opened: it holds no place
            throw e;
        }
    }

    /**
     * Stops gracefully: no new connections, requests in flight finish, idle connections close;
     * after {@code grace} the rest is closed. Returns whether everything finished in time. Not on
     * a loop thread, where it would wait for the loops: use {@link #shutdownAsync} there.
     *
     * @param grace how long requests in flight may take to finish
     * @return true if everything finished in time
     * @throws IllegalStateException on a loop thread
     */
    public boolean shutdown(Duration grace) {
        EventLoop.refuseToBlockOnLoop("the server's shutdown", "HttpServer.shutdownAsync");
        return shutdownAsync(grace).join();
    }

    /**
     * {@link #shutdown(Duration)} without waiting: any thread, a handler included. Calling it
     * again returns the same future.
     *
     * @param grace how long requests in flight may take to finish
     * @return true once everything finished in time; false once the grace period was over and
     *     the rest was closed
     */
    public CompletableFuture<Boolean> shutdownAsync(Duration grace) {
        synchronized (this) {
            if (shutdown != null) {
                return shutdown;
            }
            shutdown = new CompletableFuture<>();
        }
        stopped = true;
        long deadline = System.nanoTime() + grace.toNanos();
        // Responses from here on say Connection: close, before any client can see a refused
        // connect and conclude that the server is going away.
        onEveryLoop(s -> s.draining = true)
                .thenCompose(x -> listener != null ? listener.closeAsync() : CompletableFuture.completedFuture(null))
                .thenCompose(x -> onEveryLoop(LoopState::drain))
                .thenCompose(x -> limit.none().thenApply(y -> true)
                        .completeOnTimeout(false, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS))
                .thenCompose(clean -> {
                    if (!clean) {
                        LOG.warn("shutdown grace period over with {} connection(s) open; closing them", limit.open());
                    }
                    return onEveryLoop(LoopState::stopSweeper)
                            .thenCompose(x -> group == null ? CompletableFuture.completedFuture(null)
                                    : ownsGroup ? group.closeAsync()
                                    : onEveryLoop(LoopState::abortConnections).thenCompose(y -> limit.none()))
                            .thenApply(x -> clean);
                })
                .whenComplete((clean, failure) -> {
                    if (failure != null) {
                        shutdown.completeExceptionally(failure);
                    } else {
                        shutdown.complete(clean);
                    }
                });
        return shutdown;
    }

    /** Runs {@code step} on every loop; a loop closed already has nothing left to do. */
    private CompletableFuture<Void> onEveryLoop(java.util.function.Consumer<LoopState> step) {
        return CompletableFuture.allOf(loops.stream().map(s -> s.loop.onLoop(() -> {
            step.accept(s);
            return null;
        }).exceptionally(closed -> null)).toArray(CompletableFuture[]::new));
    }

    /**
     * {@link #shutdown(Duration)} with no grace: what is in flight is closed. Off every loop
     * thread it waits until the server has stopped; on a loop thread (in a handler) it starts
     * the shutdown and returns, since it cannot wait there.
     */
    @Override
    public void close() {
        CompletableFuture<Boolean> done = shutdownAsync(Duration.ZERO);
        if (EventLoop.current() == null) {
            done.join();
        }
    }

    /** Configures and starts an {@link HttpServer}. */
    public static final class Builder {
        private final Routes routes = new Routes();
        private ErrorHandler errorHandler;
        private InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
        private int inheritedFd = -1;
        private int threads = Runtime.getRuntime().availableProcessors();
        private AcceptMode mode = ServerSockets.defaultAcceptMode();
        private String backend; // null: the OS's own
        private EventLoopGroup group; // null: loops of the server's own
        private int backlog = 1024;
        private int maxConnections; // 0: from RLIMIT_NOFILE
        private int maxRequestLine = 8192;
        private int maxHeadBytes = 16384;
        private long maxBody = 1 << 20;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private Duration writeTimeout = Duration.ofSeconds(30);
        private static final int MAX_HEAD_LIMIT = 1 << 20;
        private static final long MAX_BODY_LIMIT = 16L << 20;

        private Builder() {}

        /**
         * Where to listen.
         *
         * @param address where to listen (default 127.0.0.1:8080; port 0 picks a free one)
         * @return this builder
         */
        public Builder address(InetSocketAddress address) {
            this.address = address;
            return this;
        }

        /**
         * Serve an already-bound, listening socket inherited from the parent process.
         *
         * @param fd the descriptor
         * @return this builder
         */
        public Builder inheritedFd(int fd) {
            if (fd < 0) {
                throw new IllegalArgumentException("invalid fd " + fd);
            }
            this.inheritedFd = fd;
            return this;
        }

        /**
         * How many event loops serve connections.
         *
         * @param threads the number of event loops, at least 1 (default: available processors)
         * @return this builder
         */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1");
            }
            this.threads = threads;
            return this;
        }

        /**
         * How accepted connections reach the loops.
         *
         * @param mode how connections reach the loops (default: REUSEPORT on Linux and FreeBSD, ACCEPTOR on macOS)
         * @return this builder
         */
        public Builder acceptMode(AcceptMode mode) {
            this.mode = java.util.Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * The poller backend by name, as {@link Poller#open(String)} takes it: {@code "epoll"},
         * or {@code "kqueue"} (on Linux: libkqueue, for testing). Default: the OS's own.
         *
         * @param name the name
         * @return the backend's name
         */
        public Builder backend(String name) {
            this.backend = java.util.Objects.requireNonNull(name, "backend");
            return this;
        }

        /**
         * At most {@code max} connections open at once; at the limit the server stops accepting
         * (connections wait in the kernel's backlog) until one closes. Default: the process's
         * RLIMIT_NOFILE soft limit less 128 descriptors for the rest of the process.
         *
         * @param max the limit
         * @return the limit
         */
        public Builder maxConnections(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("connection limit must be at least 1, got " + max);
            }
            this.maxConnections = max;
            return this;
        }

        /**
         * Limits: request line (414), request head (431), body (413). The request line must be
         * at least 16 bytes and fit in the head; the head may be up to 1 MiB and the body up to
         * 16 MiB (what one connection may hold of an unfinished request is bounded by them).
         *
         * @throws IllegalArgumentException if a limit is out of range
         * @param maxRequestLine the request line limit (414 beyond)
         * @param maxHeadBytes the head limit (431 beyond)
         * @param maxBody the body limit (413 beyond)
         * @return this builder
         */
        public Builder limits(int maxRequestLine, int maxHeadBytes, long maxBody) {
            if (maxRequestLine < 16 || maxRequestLine > maxHeadBytes) {
                throw new IllegalArgumentException("request line limit must be in 16.." + maxHeadBytes
                        + " (the head limit), got " + maxRequestLine);
            }
            if (maxHeadBytes > MAX_HEAD_LIMIT) {
                throw new IllegalArgumentException("head limit must be at most " + MAX_HEAD_LIMIT + ", got " + maxHeadBytes);
            }
            if (maxBody < 0 || maxBody > MAX_BODY_LIMIT) {
                throw new IllegalArgumentException("body limit must be in 0.." + MAX_BODY_LIMIT + ", got " + maxBody);
            }
            this.maxRequestLine = maxRequestLine;
            this.maxHeadBytes = maxHeadBytes;
            this.maxBody = maxBody;
            return this;
        }

        /**
         * How long queued responses may wait for the client to take a byte before the
         * connection is aborted (nginx's {@code send_timeout}); default 30 s.
         *
         * @param timeout how long to wait at most
         * @return this builder
         */
        public Builder writeTimeout(Duration timeout) {
            this.writeTimeout = positive(timeout, "write timeout");
            return this;
        }

        /**
         * How long a request may take to arrive (then 408), and how long a connection may idle.
         *
         * @param requestTimeout how long a request may take to arrive
         * @param idleTimeout how long a connection may idle between requests
         * @return this builder
         */
        public Builder timeouts(Duration requestTimeout, Duration idleTimeout) {
            this.requestTimeout = positive(requestTimeout, "request timeout");
            this.idleTimeout = positive(idleTimeout, "idle timeout");
            return this;
        }

        private static Duration positive(Duration d, String what) {
            java.util.Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, got " + d);
            }
            return d;
        }

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
        public Builder route(String method, String path, HttpHandler handler) {
            routes.add(method, path, handler, false);
            return this;
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
        public Builder blockingRoute(String method, String path, HttpHandler handler) {
            routes.add(method, path, handler, true);
            return this;
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
        public Builder asyncRoute(String method, String path, AsyncHttpHandler handler) {
            routes.addAsync(method, path, handler);
            return this;
        }

        /**
         * Answers requests no route matches (default: 404 with a short text body), for a custom
         * 404 or a catch-all. It runs on the loop and must not block.
         *
         * @param handler answers unmatched requests
         * @return this builder
         */
        public Builder fallback(HttpHandler handler) {
            routes.fallback(handler, false);
            return this;
        }

        /**
         * Answers requests whose handler threw (default: a plain 500), for a custom error body.
         *
         * @param handler makes the error response
         * @return this builder
         */
        public Builder onError(ErrorHandler handler) {
            this.errorHandler = java.util.Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Serves on the loops of {@code group}, which the caller runs and closes: the server
         * shares them with the caller's own connections and timers, and leaves them running
         * when it stops. {@link #threads} and {@link #backend} are then the group's.
         *
         * @param group the loops to serve on
         * @return this builder
         */
        public Builder group(EventLoopGroup group) {
            this.group = java.util.Objects.requireNonNull(group, "group");
            return this;
        }

        /**
         * Starts the loops and listens. Not on a loop thread, where it would wait for the loops:
         * use {@link #startAsync()} there.
         *
         * @return the running server
         * @throws IOException if the address cannot be bound (nothing stays open)
         * @throws IllegalStateException on a loop thread
         */
        public HttpServer start() throws IOException {
            EventLoop.refuseToBlockOnLoop("a server's loops to start", "HttpServer.Builder.startAsync");
            try {
                return startAsync().join();
            } catch (java.util.concurrent.CompletionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof IOException io) {
                    throw io;
                }
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                if (cause instanceof Error error) {
                    throw error;
                }
                throw e;
            }
        }

        /**
         * {@link #start()} without waiting: any thread, a handler included.
         *
         * @return the running server, or the failure (an {@link IOException} if the address
         *     cannot be bound; nothing stays open)
         */
        public CompletableFuture<HttpServer> startAsync() {
            int max;
            try {
                max = maxConnections > 0 ? maxConnections : ServerSockets.defaultMaxConnections();
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            ServerConfig config = new ServerConfig(routes, errorHandler, maxRequestLine, maxHeadBytes, maxBody, max,
                    requestTimeout, idleTimeout, writeTimeout);
            HttpServer server = new HttpServer(config, mode);
            return server.start(this).handle((started, failure) -> {
                if (failure == null) {
                    return CompletableFuture.completedFuture(started);
                }
                Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                return server.shutdownAsync(Duration.ZERO).handle((x, y) -> {
                    throw new java.util.concurrent.CompletionException(cause);
                });
            }).thenCompose(f -> (CompletableFuture<HttpServer>) f);
        }
    }
}
