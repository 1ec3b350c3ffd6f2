package io.ffpoll.http;

import io.ffpoll.http.serve.LoopState;
import io.ffpoll.http.serve.ServerConfig;
import io.ffpoll.http.serve.ServerLoops;
import io.ffpoll.http.serve.ServerSockets;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.internal.Blocking;
import io.ffpoll.multiplexer.internal.LoopFuture;
import io.ffpoll.multiplexer.net.ConnectionStats;
import io.ffpoll.multiplexer.net.GroupListener;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * <p>HTTPS: {@link Builder#tls(io.ffpoll.multiplexer.net.TlsConfig)} adds a listener whose connections run TLS (or makes it the only
 * one), accepted in the same mode; its handlers see the same requests.
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

    /** How connections reach the loops. */
    public enum AcceptMode {
        /** A listening socket per loop, balanced by the kernel (Linux, FreeBSD). */
        REUSEPORT,
        /** One acceptor, on the first loop, handing connections out round-robin. */
        ACCEPTOR
    }

    private final ServerConfig config;
    private final AcceptMode mode;
    private final ServerLoops loops;
    private volatile boolean stopped;
    private CompletableFuture<Boolean> shutdown; // guarded by this

    private HttpServer(ServerConfig config, AcceptMode mode) {
        this.config = config;
        this.mode = mode;
        this.loops = new ServerLoops(config, mode);
    }

    /** {@return a builder with the defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The IP address the server listens on for plain HTTP (the actual port when 0 was asked
     * for); null on a Unix-domain socket ({@link #localAddress()}), or for a server that speaks
     * HTTPS alone ({@link #tlsAddress()}).
     *
     * @return the address, or null
     */
    public InetSocketAddress address() {
        return loops.listener == null ? null : loops.listener.address();
    }

    /**
     * The address the server listens on for plain HTTP: an {@link InetSocketAddress}, or a
     * {@code io.ffpoll.multiplexer.net.UnixAddress}; null for a server that speaks HTTPS alone.
     *
     * @return the address, or null
     */
    public java.net.SocketAddress localAddress() {
        return loops.listener == null ? null : loops.listener.localAddress();
    }

    /**
     * The IP address the server listens on for HTTPS ({@link Builder#tls(io.ffpoll.multiplexer.net.TlsConfig)}), the actual port
     * when 0 was asked for; null without HTTPS, or on a Unix-domain socket
     * ({@link #tlsLocalAddress()}).
     *
     * @return the address, or null
     */
    public InetSocketAddress tlsAddress() {
        return loops.tlsListener == null ? null : loops.tlsListener.address();
    }

    /**
     * The address the server listens on for HTTPS: an {@link InetSocketAddress}, or a
     * {@code io.ffpoll.multiplexer.net.UnixAddress}; null without HTTPS.
     *
     * @return the address, or null
     */
    public java.net.SocketAddress tlsLocalAddress() {
        return loops.tlsListener == null ? null : loops.tlsListener.localAddress();
    }

    /** {@return how connections reach the loops} */
    public AcceptMode acceptMode() {
        return mode;
    }

    /** {@return the number of event loops} */
    public int loopCount() {
        return loops.states.size();
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
        return loops.states.get(i).accepted;
    }

    /**
     * Responses written so far, over all loops (read without synchronisation: approximate while running).
     *
     * @return how many
     */
    public long requestsServed() {
        long n = 0;
        for (LoopState s : loops.states) {
            n += s.served;
        }
        return n;
    }

    /**
     * The server's figures now, over all loops, for monitoring.
     *
     * @param openConnections  connections open now
     * @param requestsServed   responses written so far (approximate while running)
     * @param bufferBytesInUse bytes of pooled buffers connections hold now (each loop's 64 KiB
     *     read buffer included, and once a loop has served TLS its plaintext buffer and its
     *     engines' scratch too)
     * @param pooledBytes      bytes of free buffers the loops keep for reuse
     */
    public record Stats(int openConnections, long requestsServed, long bufferBytesInUse, long pooledBytes) {}

    /**
     * The server's figures now. Any thread, a handler included: it asks each loop and never
     * waits (on the loop's own thread its part is read at once). A handler answers with them
     * from an asynchronous route; waiting for the future in a quick route ({@code join},
     * {@code get}) is refused with an {@link IllegalStateException}, since the loops it waits for
     * include the handler's own:
     *
     * <pre>{@code
     * builder.asyncRoute("GET", "/stats", request -> server.stats()
     *         .thenApply(s -> Response.text(200, s.openConnections() + " open\n")));
     * }</pre>
     *
     * @return the figures, once every loop has answered; failed with a
     *     {@link java.util.concurrent.RejectedExecutionException} once the server's own loops
     *     have stopped
     */
    public CompletableFuture<Stats> stats() {
        List<CompletableFuture<ConnectionStats>> parts = new ArrayList<>();
        for (LoopState s : loops.states) {
            parts.add(ConnectionStats.of(s.loop));
        }
        // A loop's future: waiting for it on a loop thread is refused at once, not a hang.
        CompletableFuture<Stats> figures = new LoopFuture<>(loops.states.get(0).loop);
        CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).whenComplete((x, failure) -> {
            if (failure != null) {
                figures.completeExceptionally(failure instanceof java.util.concurrent.CompletionException
                        && failure.getCause() != null ? failure.getCause() : failure);
                return;
            }
            long inUse = 0;
            long pooled = 0;
            for (CompletableFuture<ConnectionStats> part : parts) {
                inUse += part.join().bufferBytesInUse();
                pooled += part.join().pooledBytes();
            }
            figures.complete(new Stats(openConnections(), requestsServed(), inUse, pooled));
        });
        return figures;
    }

    /**
     * What the server's loops have done, summed ({@link EventLoopGroup#metrics()}): bytes,
     * accepts, connections, back-pressure, busy and idle time. Any thread, a quick handler
     * included: it never waits for a loop. On a group given with {@link Builder#group}, the
     * figures are the whole group's, its other work included.
     *
     * @return the sum over the loops
     */
    public io.ffpoll.multiplexer.LoopMetrics metrics() {
        return loops.group.metrics();
    }

    /**
     * {@link #metrics()} per loop, in the loops' order. Any thread.
     *
     * @return a snapshot per loop
     */
    public List<io.ffpoll.multiplexer.LoopMetrics> loopMetrics() {
        return loops.group.loopMetrics();
    }

    /** Responses written so far by each loop (approximate while running). */
    long[] requestsPerLoop() {
        long[] n = new long[loops.states.size()];
        for (int i = 0; i < n.length; i++) {
            n[i] = loops.states.get(i).served;
        }
        return n;
    }

    /**
     * Connections open now, over all loops.
     *
     * @return how many
     */
    public int openConnections() {
        return loops.limit.open();
    }

    /**
     * Whether accepting is suspended because the connection limit is reached.
     *
     * @return whether accepting is suspended
     */
    public boolean acceptingSuspended() {
        return loops.limit.acceptingSuspended();
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
        return loops.states.get(i).loop.submit(task).get(30, TimeUnit.SECONDS);
    }

    LoopState loopState(int i) {
        return loops.states.get(i);
    }

    /** Pooled buffers loop {@code i} has handed out and not got back (its shared read buffer is one). */
    long pooledBuffersInUse(int i) throws Exception {
        return ConnectionStats.of(loops.states.get(i).loop).get(30, TimeUnit.SECONDS).buffersInUse();
    }

    /**
     * The poller backend the loops use, e.g. {@code "epoll"}.
     *
     * @return the backend's name
     */
    public String backend() {
        return loops.group.get(0).backend();
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
        Blocking.refuseOnLoop("the server's shutdown", "HttpServer.shutdownAsync");
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
            shutdown = loops.states.isEmpty() ? new CompletableFuture<>() : new LoopFuture<>(loops.states.get(0).loop);
        }
        // The first step, draining on every loop, is queued before isStopped() turns true: who
        // sees the server stopped can count on every later response saying Connection: close.
        CompletableFuture<Boolean> steps = loops.stop(System.nanoTime() + grace.toNanos());
        stopped = true;
        steps.whenComplete((clean, failure) -> {
            config.routes().close(); // after the last request: the static files' directories
            // After the last response: the access log writes its last lines. Its own thread
            // completes the future, so no loop waits for a slow disk.
            CompletableFuture<Void> logged = config.accessLog() == null ? CompletableFuture.completedFuture(null)
                    : config.accessLog().closeAsync();
            logged.whenComplete((x, y) -> {
                if (failure != null) {
                    shutdown.completeExceptionally(failure);
                } else {
                    shutdown.complete(clean);
                }
            });
        });
        return shutdown;
    }

    /**
     * {@link #shutdown(Duration)} with no grace: what is in flight is closed, by a reset where a
     * request is still being read or answered (a blocking or async handler's, a half-sent
     * head); idle connections get a plain close. To let requests in flight finish, call
     * {@link #shutdown(Duration)} with a grace first (try-with-resources does not). Off every loop
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
    public static final class Builder extends RouteSettings {
        private Builder() {}

        /**
         * Starts the loops and listens. Not on a loop thread, where it would wait for the loops:
         * use {@link #startAsync()} there.
         *
         * @return the running server
         * @throws IOException if the address cannot be bound (nothing stays open)
         * @throws IllegalStateException on a loop thread
         */
        public HttpServer start() throws IOException {
            Blocking.refuseOnLoop("a server's loops to start", "HttpServer.Builder.startAsync");
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
            checkConsistent();
            int max;
            try {
                max = maxConnections > 0 ? maxConnections : ServerSockets.defaultMaxConnections();
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            ServerConfig config = new ServerConfig(routes, errorHandler, maxRequestLine, maxHeadBytes, maxBody, max,
                    requestTimeout, idleTimeout, writeTimeout, compression, webSocketMaxFrame, webSocketMaxMessage,
                    accessLog == null ? null : accessLog.writer);
            routes.compression(compression);
            HttpServer server = new HttpServer(config, mode);
            AccessLog log = accessLog;
            for (io.ffpoll.http.observe.MetricsRoute route : metricsRoutes) {
                route.bind(server::loopMetrics, server::requestsPerLoop, log == null ? () -> -1 : log::dropped);
            }
            return server.loops.start(listening()).thenApply(x -> server).handle((started, failure) -> {
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
