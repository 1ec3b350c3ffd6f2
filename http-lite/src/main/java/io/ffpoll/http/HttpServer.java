package io.ffpoll.http;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.multiplexer.Connection;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Listener;
import io.ffpoll.multiplexer.Tcp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * http-lite: an HTTP/1.1 server on N {@link EventLoop}s.
 *
 * <p>Accepting: in {@link AcceptMode#REUSEPORT} mode (Linux) each loop has its own listening
 * socket on the same port with SO_REUSEPORT, and the kernel spreads connections over them; in
 * {@link AcceptMode#ACCEPTOR} mode one acceptor loop accepts and hands connections to the
 * loops round-robin. Either mode can serve an inherited, already-bound listening socket
 * ({@link Builder#inheritedFd}); in reuseport mode each loop then accepts on its own duplicate
 * of it.
 *
 * <p>Shutdown: {@link #shutdown(Duration)} stops accepting, lets requests in flight finish
 * (their responses say {@code Connection: close}), closes idle connections, and after the grace
 * period closes whatever is left.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    /** How connections reach the loops. */
    public enum AcceptMode { REUSEPORT, ACCEPTOR }

    private final List<LoopState> loops = new ArrayList<>();
    private final List<Listener> listeners = new ArrayList<>();
    private final List<EventLoop> listenerLoops = new ArrayList<>();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final ServerConfig config;
    private final AcceptMode mode;
    private EventLoop acceptor;
    private InetSocketAddress address;
    private volatile boolean stopped;
    private int nextLoop;

    private HttpServer(ServerConfig config, AcceptMode mode) {
        this.config = config;
        this.mode = mode;
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
        return openConnections.get();
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
        return onLoop(i, () -> loops.get(i).loop.bufferPool().inUseCount());
    }

    /** The poller backend the loops use, e.g. {@code "epoll"}. */
    public String backend() {
        return loops.get(0).loop.backend();
    }

    private void start(Builder b) throws IOException {
        for (int i = 0; i < b.threads; i++) {
            EventLoop loop = EventLoop.start("http-lite-" + i);
            LoopState state = new LoopState(loop, config, openConnections);
            loops.add(state);
            run(loop, state::startSweeper);
        }
        int fd = b.inheritedFd;
        if (fd >= 0) {
            prepareInherited(fd);
            address = Tcp.localAddress(fd);
        }
        if (mode == AcceptMode.REUSEPORT) {
            for (int i = 0; i < loops.size(); i++) {
                int listenFd;
                if (fd >= 0) {
                    // Each loop gets a duplicate, so each Listener owns (and closes) its own fd.
                    listenFd = i == 0 ? fd : Errors.check(Fd.fcntl(fd, Fd.F_DUPFD_CLOEXEC, 3), "fcntl(F_DUPFD_CLOEXEC)");
                } else {
                    InetSocketAddress at = address == null ? b.address : address;
                    listenFd = Tcp.listen(at, b.backlog, true);
                    if (address == null) {
                        address = Tcp.localAddress(listenFd); // later loops bind the same port
                    }
                }
                LoopState state = loops.get(i);
                startListener(state.loop, listenFd, (lfd, peer) -> accept(state, lfd, peer));
            }
        } else {
            int listenFd = fd >= 0 ? fd : Tcp.listen(b.address, b.backlog, false);
            if (address == null) {
                address = Tcp.localAddress(listenFd);
            }
            acceptor = EventLoop.start("http-lite-acceptor");
            startListener(acceptor, listenFd, this::handOff);
        }
    }

    /** An inherited socket may be blocking or inheritable: make it what our loops expect. */
    private static void prepareInherited(int fd) throws IOException {
        int flags = Errors.check(Fd.fcntl(fd, Fd.F_GETFL, 0), "fcntl(" + fd + ", F_GETFL)");
        Errors.check(Fd.fcntl(fd, Fd.F_SETFL, flags | Fd.O_NONBLOCK), "fcntl(" + fd + ", F_SETFL, O_NONBLOCK)");
        Errors.check(Fd.fcntl(fd, Fd.F_SETFD, Fd.FD_CLOEXEC), "fcntl(" + fd + ", F_SETFD, FD_CLOEXEC)");
    }

    private void startListener(EventLoop loop, int fd, Listener.AcceptHandler handler) throws IOException {
        listeners.add(call(loop, () -> Listener.start(loop, fd, handler)));
        listenerLoops.add(loop);
    }

    private boolean admit(int fd) {
        if (openConnections.incrementAndGet() > config.maxConnections() || stopped) {
            openConnections.decrementAndGet();
            Fd.close(fd); // over the limit: the client sees the connection close at once
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
            openConnections.decrementAndGet();
            Fd.close(fd);
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
            run(s.loop, () -> s.draining = true);
        }
        for (int i = 0; i < listeners.size(); i++) {
            Listener l = listeners.get(i);
            run(listenerLoops.get(i), () -> {
                try {
                    l.close();
                } catch (IOException e) {
                    LOG.warn("closing a listener: {}", e.getMessage());
                }
            });
        }
        if (acceptor != null) {
            acceptor.close();
        }
        for (LoopState s : loops) {
            run(s.loop, s::drain);
        }
        boolean clean = true;
        while (openConnections.get() > 0) {
            if (System.nanoTime() > deadline) {
                clean = false;
                LOG.warn("shutdown grace period over with {} connection(s) open; closing them", openConnections.get());
                break;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                clean = false;
                break;
            }
        }
        for (LoopState s : loops) {
            run(s.loop, s::stopSweeper);
            s.loop.close();
        }
        return clean;
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    private static void run(EventLoop loop, Runnable r) {
        try {
            loop.submit(() -> {
                r.run();
                return null;
            }).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the loop is gone already
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (TimeoutException e) {
            throw new IllegalStateException("event loop " + loop.name() + " did not answer in 30 s", e);
        }
    }

    private static <T> T call(EventLoop loop, java.util.concurrent.Callable<T> c) throws IOException {
        try {
            return loop.submit(c).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("event loop " + loop.name() + " did not answer in 30 s", e);
        }
    }

    /** Configures and starts an {@link HttpServer}. */
    public static final class Builder {
        private final Routes routes = new Routes();
        private InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
        private int inheritedFd = -1;
        private int threads = Runtime.getRuntime().availableProcessors();
        private AcceptMode mode = System.getProperty("os.name", "").startsWith("Linux")
                ? AcceptMode.REUSEPORT : AcceptMode.ACCEPTOR;
        private int backlog = 1024;
        private int maxConnections = 10_000;
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
            this.mode = mode;
            return this;
        }

        public Builder maxConnections(int max) {
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
            ServerConfig config = new ServerConfig(routes, maxRequestLine, maxHeadBytes, maxBody, maxConnections,
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
