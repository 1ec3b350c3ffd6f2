package io.ffpoll.http;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.ConnectionStats;
import io.ffpoll.multiplexer.net.Listener;
import io.ffpoll.multiplexer.net.Tcp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * http-lite: an HTTP/1.1 server on N {@link EventLoop}s.
 *
 * <p>Accepting: in {@link AcceptMode#REUSEPORT} mode (the default on Linux and FreeBSD) each
 * loop has its own listening socket on the same port (SO_REUSEPORT, FreeBSD's SO_REUSEPORT_LB),
 * and the kernel spreads connections over them; in {@link AcceptMode#ACCEPTOR} mode (the
 * default on macOS, whose kernel does not balance) one acceptor loop accepts and hands
 * connections to the loops round-robin. Either mode can serve an inherited, already-bound listening socket
 * ({@link Builder#inheritedFd}); in reuseport mode each loop then accepts on its own duplicate
 * of it.
 *
 * <p>Shutdown: {@link #shutdown(Duration)} stops accepting, lets requests in flight finish
 * (their responses say {@code Connection: close}), closes idle connections, and after the grace
 * period closes whatever is left.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);
    private static final int EVENTS_PER_POLL = 1024;

    /** How connections reach the loops. */
    public enum AcceptMode { REUSEPORT, ACCEPTOR }

    private record Accepting(EventLoop loop, Listener listener) {}

    private final List<LoopState> loops = new ArrayList<>();
    private final List<Accepting> listeners = new ArrayList<>();
    private final ServerConfig config;
    private final AcceptMode mode;
    private final ConnectionLimit limit;
    private EventLoop acceptor;
    private InetSocketAddress address;
    private volatile boolean stopped;
    private int nextLoop;

    private HttpServer(ServerConfig config, AcceptMode mode) {
        this.config = config;
        this.mode = mode;
        this.limit = new ConnectionLimit(config.maxConnections());
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The address the server listens on (the actual port when 0 was asked for). */
    public InetSocketAddress address() {
        return address;
    }

    public AcceptMode acceptMode() {
        return mode;
    }

    public int loopCount() {
        return loops.size();
    }

    /** The connection limit in force (configured, or from RLIMIT_NOFILE). */
    public int maxConnections() {
        return config.maxConnections();
    }

    /** Connections accepted for loop {@code i} so far. */
    public long accepted(int i) {
        return loops.get(i).accepted;
    }

    /** Responses written so far, over all loops (read without synchronisation: approximate while running). */
    public long requestsServed() {
        long n = 0;
        for (LoopState s : loops) {
            n += s.served;
        }
        return n;
    }

    /** Connections open now, over all loops. */
    public int openConnections() {
        return limit.open();
    }

    /** Whether accepting is suspended because the connection limit is reached. */
    public boolean acceptingSuspended() {
        return limit.acceptingSuspended();
    }

    /** Whether {@link #shutdown} or {@link #close} was called. */
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
        return onLoop(i, () -> ConnectionStats.of(loops.get(i).loop).buffersInUse());
    }

    /** The poller backend the loops use, e.g. {@code "epoll"}. */
    public String backend() {
        return loops.get(0).loop.backend();
    }

    private void start(Builder b) throws IOException {
        for (int i = 0; i < b.threads; i++) {
            EventLoop loop = EventLoop.start("http-lite-" + i, openPoller(b), EVENTS_PER_POLL);
            LoopState state = new LoopState(loop, config, limit);
            loops.add(state);
            OnLoop.run(loop, state::startSweeper);
        }
        int fd = b.inheritedFd;
        if (fd >= 0) {
            ServerSockets.prepareInherited(fd);
            address = Tcp.localAddress(fd);
        }
        if (mode == AcceptMode.REUSEPORT) {
            for (int i = 0; i < loops.size(); i++) {
                LoopState state = loops.get(i);
                Listener.AcceptHandler accept = (lfd, peer) -> accept(state, lfd, peer);
                if (fd >= 0) {
                    // Each loop accepts on its own duplicate of the inherited socket (so each
                    // Listener owns its fd), shared: a connection wakes one loop, not all.
                    startListener(state.loop, i == 0 ? fd : ServerSockets.duplicate(fd), accept, true);
                } else {
                    InetSocketAddress at = address == null ? b.address : address;
                    int listenFd = Tcp.listen(at, b.backlog, true);
                    if (address == null) {
                        address = Tcp.localAddress(listenFd); // later loops bind the same port
                    }
                    startListener(state.loop, listenFd, accept, false);
                }
            }
        } else {
            int listenFd = fd >= 0 ? fd : Tcp.listen(b.address, b.backlog, false);
            if (address == null) {
                address = Tcp.localAddress(listenFd);
            }
            acceptor = EventLoop.start("http-lite-acceptor", openPoller(b), EVENTS_PER_POLL);
            // An inherited socket may be served by other processes too (worker processes).
            startListener(acceptor, listenFd, this::handOff, fd >= 0);
        }
    }

    private static Poller openPoller(Builder b) throws IOException {
        return b.backend == null ? Poller.open() : Poller.open(b.backend);
    }

    private void startListener(EventLoop loop, int fd, Listener.AcceptHandler handler, boolean shared) throws IOException {
        Listener l = OnLoop.call(loop, () -> shared ? Listener.startShared(loop, fd, handler) : Listener.start(loop, fd, handler));
        listeners.add(new Accepting(loop, l));
        limit.add(loop, l);
    }

    private boolean admit(int fd) {
        if (stopped || !limit.admit()) {
            ServerSockets.close(fd); // the server is stopping, or loops raced for the last place
            return false;
        }
        return true;
    }

    private void accept(LoopState state, int fd, InetSocketAddress peer) {
        if (admit(fd)) {
            state.accepted++;
            open(state, fd, peer);
        }
    }

    private void handOff(int fd, InetSocketAddress peer) {
        if (!admit(fd)) {
            return;
        }
        LoopState state = loops.get(nextLoop++ % loops.size());
        state.accepted++;
        try {
            state.loop.execute(() -> open(state, fd, peer));
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            limit.closed();
            ServerSockets.close(fd);
        }
    }

    private void open(LoopState state, int fd, InetSocketAddress peer) {
        try {
            Tcp.setNoDelay(fd, true); // responses are complete when written: do not wait for Nagle
        } catch (IOException e) {
            LOG.debug("TCP_NODELAY on {}: {}", peer, e.getMessage());
        }
        Connection.open(state.loop, fd, peer, new HttpConnection(state));
    }

    /**
     * Stops gracefully: no new connections, requests in flight finish, idle connections close;
     * after {@code grace} the rest is closed. Returns whether everything finished in time.
     */
    public boolean shutdown(Duration grace) {
        if (stopped) {
            return true;
        }
        stopped = true;
        long deadline = System.nanoTime() + grace.toNanos();
        // Responses from here on say Connection: close, before any client can see a refused
        // connect and conclude that the server is going away.
        for (LoopState s : loops) {
            OnLoop.run(s.loop, () -> s.draining = true);
        }
        for (Accepting a : listeners) {
            try {
                a.listener().close();
            } catch (IOException e) {
                LOG.warn("closing a listener: {}", e.getMessage());
            }
        }
        if (acceptor != null) {
            acceptor.close();
        }
        for (LoopState s : loops) {
            OnLoop.run(s.loop, s::drain);
        }
        boolean clean;
        try {
            clean = limit.awaitNone(deadline - System.nanoTime());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            clean = false;
        }
        if (!clean) {
            LOG.warn("shutdown grace period over with {} connection(s) open; closing them", limit.open());
        }
        for (LoopState s : loops) {
            OnLoop.run(s.loop, s::stopSweeper);
            s.loop.close();
        }
        return clean;
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    /** Configures and starts an {@link HttpServer}. */
    public static final class Builder {
        private final Routes routes = new Routes();
        private InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
        private int inheritedFd = -1;
        private int threads = Runtime.getRuntime().availableProcessors();
        private AcceptMode mode = ServerSockets.defaultAcceptMode();
        private String backend; // null: the OS's own
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

        public Builder address(InetSocketAddress address) {
            this.address = address;
            return this;
        }

        /** Serve an already-bound, listening socket inherited from the parent process. */
        public Builder inheritedFd(int fd) {
            if (fd < 0) {
                throw new IllegalArgumentException("invalid fd " + fd);
            }
            this.inheritedFd = fd;
            return this;
        }

        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1");
            }
            this.threads = threads;
            return this;
        }

        public Builder acceptMode(AcceptMode mode) {
            this.mode = java.util.Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * The poller backend by name, as {@link Poller#open(String)} takes it: {@code "epoll"},
         * or {@code "kqueue"} (on Linux: libkqueue, for testing). Default: the OS's own.
         */
        public Builder backend(String name) {
            this.backend = java.util.Objects.requireNonNull(name, "backend");
            return this;
        }

        /**
         * At most {@code max} connections open at once; at the limit the server stops accepting
         * (connections wait in the kernel's backlog) until one closes. Default: the process's
         * RLIMIT_NOFILE soft limit less 128 descriptors for the rest of the process.
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
         */
        public Builder writeTimeout(Duration timeout) {
            this.writeTimeout = positive(timeout, "write timeout");
            return this;
        }

        /** How long a request may take to arrive (then 408), and how long a connection may idle. */
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

        /** A quick handler: runs on the loop, must not block. Method {@code "*"} matches any. */
        public Builder route(String method, String path, HttpHandler handler) {
            routes.add(method, path, handler, false);
            return this;
        }

        /** A handler that may block: runs on a virtual thread. */
        public Builder blockingRoute(String method, String path, HttpHandler handler) {
            routes.add(method, path, handler, true);
            return this;
        }

        public HttpServer start() throws IOException {
            int max = maxConnections > 0 ? maxConnections : ServerSockets.defaultMaxConnections();
            ServerConfig config = new ServerConfig(routes, maxRequestLine, maxHeadBytes, maxBody, max,
                    requestTimeout, idleTimeout, writeTimeout);
            HttpServer server = new HttpServer(config, mode);
            try {
                server.start(this);
            } catch (IOException | RuntimeException e) {
                server.close();
                throw e;
            }
            return server;
        }
    }
}
