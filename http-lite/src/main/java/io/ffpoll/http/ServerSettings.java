package io.ffpoll.http;

import io.ffpoll.http.serve.Compression;
import io.ffpoll.http.serve.ListenSettings;
import io.ffpoll.http.serve.ServerSockets;
import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.net.TlsConfig;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how an {@link HttpServer} listens, on which loops, and its limits and timeouts: the
 * half of {@link HttpServer.Builder} that is not routes. Users see these methods on the Builder.
 */
abstract sealed class ServerSettings permits RouteSettings {
    static final int MAX_HEAD_LIMIT = 1 << 20;
    static final long MAX_BODY_LIMIT = 16L << 20;

    java.net.SocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
    int inheritedFd = -1;
    private boolean plainChosen; // address or inheritedFd given: plain HTTP is served beside HTTPS
    TlsConfig tls; // null: no HTTPS
    java.net.SocketAddress tlsAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8443);
    int tlsInheritedFd = -1;
    private boolean tlsListenerChosen;
    int threads = Runtime.getRuntime().availableProcessors();
    HttpServer.AcceptMode mode = ServerSockets.defaultAcceptMode();
    String backend; // null: the OS's own
    EventLoopGroup group; // null: loops of the server's own
    private boolean threadsChosen;
    private boolean backendChosen;
    int backlog = 1024;
    int maxConnections; // 0: from RLIMIT_NOFILE
    int maxRequestLine = 8192;
    int maxHeadBytes = 16384;
    long maxBody = 1 << 20;
    Duration requestTimeout = Duration.ofSeconds(30);
    Duration idleTimeout = Duration.ofSeconds(60);
    Duration writeTimeout = Duration.ofSeconds(30);
    Compression compression = Compression.DEFAULT; // null: off
    int webSocketMaxFrame = 1 << 20;
    long webSocketMaxMessage = 1 << 20;
    AccessLog accessLog; // null: off

    final HttpServer.Builder self() {
        return (HttpServer.Builder) this;
    }

    /**
     * Where to listen.
     *
     * @param address where to listen (default 127.0.0.1:8080; port 0 picks a free one)
     * @return this builder
     */
    public final HttpServer.Builder address(InetSocketAddress address) {
        this.address = Objects.requireNonNull(address, "address");
        this.plainChosen = true;
        return self();
    }

    /**
     * Where to listen: an {@link InetSocketAddress}, or a Unix-domain socket
     * ({@code io.ffpoll.multiplexer.net.UnixAddress}: a path, or a Linux abstract name; or the
     * JDK's {@link java.net.UnixDomainSocketAddress}). On a Unix path a stale socket file is
     * replaced, a live server's path fails with EADDRINUSE, and the file is removed at shutdown;
     * every loop accepts on the one socket (REUSEPORT mode: one wakeup per connection) or the
     * acceptor hands out (ACCEPTOR). {@link Request#remoteAddress()} is null there.
     *
     * @param address where to listen
     * @return this builder
     */
    public final HttpServer.Builder address(java.net.SocketAddress address) {
        this.address = Objects.requireNonNull(address, "address");
        this.plainChosen = true;
        return self();
    }

    /**
     * Serve an already-bound, listening socket inherited from the parent process.
     *
     * @param fd the descriptor
     * @return this builder
     */
    public final HttpServer.Builder inheritedFd(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("invalid fd " + fd);
        }
        this.inheritedFd = fd;
        this.plainChosen = true;
        return self();
    }

    /**
     * Serves HTTPS too, or instead: connections accepted on
     * {@link #tlsAddress(java.net.SocketAddress)} (default 127.0.0.1:8443) or
     * {@link #tlsInheritedFd(int)} run TLS with {@code config}, a {@link TlsConfig#server()}
     * configuration, and their handlers see the same requests as on plain HTTP. Plain HTTP is
     * served beside it only when {@link #address(java.net.SocketAddress)} or
     * {@link #inheritedFd(int)} is given as well; without either the server speaks HTTPS alone:
     *
     * <pre>{@code
     * TlsConfig tls = TlsConfig.server().certificate(chain, key).alpn("http/1.1").build();
     * HttpServer.builder().tls(tls).tlsAddress(new InetSocketAddress(443))        // HTTPS only
     * HttpServer.builder().address(new InetSocketAddress(80)).tls(tls)            // both
     *         .tlsAddress(new InetSocketAddress(443))
     * }</pre>
     *
     * Both accept modes work as for plain HTTP, and the connection limit counts connections
     * of both kinds; a TLS connection takes its place from its accept, and its handshake is
     * bounded by {@link TlsConfig#handshakeTimeout()}, not by the request timeout. ALPN: give
     * the configuration {@code alpn("http/1.1")}, as the launcher does, so that clients that
     * offer HTTP/2 too (browsers, curl) are told to speak HTTP/1.1; a configuration without
     * ALPN serves them all the same, with no protocol negotiated.
     *
     * @param config a server's TLS configuration
     * @return this builder
     * @throws IllegalArgumentException for a client's configuration, or one whose ALPN list
     *     names a protocol this server does not speak (anything but {@code "http/1.1"} and
     *     {@code "http/1.0"}) or lacks {@code "http/1.1"}
     */
    public final HttpServer.Builder tls(TlsConfig config) {
        Objects.requireNonNull(config, "config");
        if (config.isClient()) {
            throw new IllegalArgumentException("HTTPS needs a server's TLS configuration (TlsConfig.server()), not a client's");
        }
        java.util.List<String> alpn = config.applicationProtocols();
        if (!alpn.isEmpty() && (!alpn.contains("http/1.1")
                || !alpn.stream().allMatch(p -> p.equals("http/1.1") || p.equals("http/1.0")))) {
            throw new IllegalArgumentException("http-lite speaks HTTP/1.1: its TLS configuration's ALPN must offer "
                    + "\"http/1.1\" (and may offer \"http/1.0\"), not " + alpn
                    + "; a client that chose another protocol would speak it to a server that does not");
        }
        this.tls = config;
        return self();
    }

    /**
     * Where to listen for HTTPS ({@link #tls(TlsConfig)}): an {@link InetSocketAddress} (default
     * 127.0.0.1:8443; port 0 picks a free one, see {@link HttpServer#tlsAddress()}), or a
     * Unix-domain socket, as {@link #address(java.net.SocketAddress)} takes one.
     *
     * @param address where to listen for HTTPS
     * @return this builder
     */
    public final HttpServer.Builder tlsAddress(java.net.SocketAddress address) {
        this.tlsAddress = Objects.requireNonNull(address, "address");
        this.tlsListenerChosen = true;
        return self();
    }

    /**
     * Serve HTTPS ({@link #tls(TlsConfig)}) on an already-bound, listening socket inherited
     * from the parent process, as {@link #inheritedFd(int)} does plain HTTP.
     *
     * @param fd the descriptor
     * @return this builder
     */
    public final HttpServer.Builder tlsInheritedFd(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("invalid fd " + fd);
        }
        this.tlsInheritedFd = fd;
        this.tlsListenerChosen = true;
        return self();
    }

    /** Whether the server listens for plain HTTP: unless it was given only HTTPS. */
    boolean servesPlain() {
        return tls == null || plainChosen;
    }

    /** Where and on which loops to listen, as the settings are now (read on the starting thread). */
    ListenSettings listening() {
        return new ListenSettings(address, inheritedFd, servesPlain(), tls, tlsAddress, tlsInheritedFd, backlog, group,
                threads, backend);
    }

    /**
     * How many event loops serve connections.
     *
     * @param threads the number of event loops, at least 1 (default: available processors)
     * @return this builder
     */
    public final HttpServer.Builder threads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1");
        }
        this.threads = threads;
        this.threadsChosen = true;
        return self();
    }

    /**
     * How accepted connections reach the loops.
     *
     * @param mode how connections reach the loops (default: REUSEPORT on Linux and FreeBSD, ACCEPTOR on macOS)
     * @return this builder
     */
    public final HttpServer.Builder acceptMode(HttpServer.AcceptMode mode) {
        this.mode = Objects.requireNonNull(mode, "mode");
        return self();
    }

    /**
     * The poller backend by name, as {@link Poller#open(String)} takes it: {@code "epoll"},
     * {@code "io_uring"} (Linux >= 5.13), {@code "auto"} (io_uring where it can be set up, else
     * epoll), or {@code "kqueue"} (on Linux: libkqueue, for testing). Default: the OS's own, or
     * on Linux what the system property {@value Poller#ENGINE_PROPERTY} names.
     *
     * @param name the name
     * @return this builder
     */
    public final HttpServer.Builder backend(String name) {
        this.backend = Objects.requireNonNull(name, "backend");
        this.backendChosen = true;
        return self();
    }

    /**
     * At most {@code max} connections open at once; at the limit the server stops accepting
     * (connections wait in the kernel's backlog) until one closes. Default: the process's
     * RLIMIT_NOFILE soft limit less 128 descriptors for the rest of the process.
     *
     * @param max the limit
     * @return this builder
     */
    public final HttpServer.Builder maxConnections(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("connection limit must be at least 1, got " + max);
        }
        this.maxConnections = max;
        return self();
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
    public final HttpServer.Builder limits(int maxRequestLine, int maxHeadBytes, long maxBody) {
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
        return self();
    }

    /**
     * How long queued responses may wait for the client to take a byte before the
     * connection is aborted (nginx's {@code send_timeout}); default 30 s.
     *
     * @param timeout how long to wait at most
     * @return this builder
     */
    public final HttpServer.Builder writeTimeout(Duration timeout) {
        this.writeTimeout = positive(timeout, "write timeout");
        return self();
    }

    /**
     * How long a request may take to arrive (then 408), and how long a connection may idle.
     *
     * @param requestTimeout how long a request may take to arrive
     * @param idleTimeout how long a connection may idle between requests
     * @return this builder
     */
    public final HttpServer.Builder timeouts(Duration requestTimeout, Duration idleTimeout) {
        this.requestTimeout = positive(requestTimeout, "request timeout");
        this.idleTimeout = positive(idleTimeout, "idle timeout");
        return self();
    }

    /**
     * Serves on the loops of {@code group}, which the caller runs and closes: the server
     * shares them with the caller's own connections and timers, and leaves them running
     * when it stops. The number of loops and the backend are then the group's: a builder given
     * {@link #threads(int)} or {@link #backend(String)} too is refused when it starts.
     *
     * @param group the loops to serve on
     * @return this builder
     */
    public final HttpServer.Builder group(EventLoopGroup group) {
        this.group = Objects.requireNonNull(group, "group");
        return self();
    }

    /**
     * gzip for responses whose client accepts it (Accept-Encoding), on by default: fixed
     * 200 bodies and static files of a text type (text/*, JSON, XML, JavaScript, SVG) of at
     * least {@code minLength} bytes and at most {@code maxLength}, and not for a range. A
     * HEAD gets the fields its GET would, the gzip length and tag included. A handler's
     * response that names its exact bytes is never compressed: one with a Content-Encoding,
     * an ETag (a tag is one representation's), a Content-Range, or Cache-Control:
     * no-transform; it goes out as it is, with no Vary added. A response that could be
     * compressed says {@code Vary: Accept-Encoding} whether it is or not. A constant response
     * is compressed once, a static file once per version of the file (a cache of 32 MiB), any
     * other response at each request, on the loop, which is what bounds the cost:
     * {@code maxLength} (default 8 MiB) caps one response's CPU and memory. Streamed bodies
     * are sent as they are. Defaults: level 6, 1024 bytes.
     *
     * @param level     1 (fastest) to 9 (smallest)
     * @param minLength the shortest body compressed
     * @param maxLength the longest body compressed, at most 1 GiB
     * @return this builder
     * @throws IllegalArgumentException for a level outside 1..9 or lengths out of order
     */
    public final HttpServer.Builder gzip(int level, int minLength, long maxLength) {
        this.compression = new Compression(level, minLength, maxLength);
        return self();
    }

    /**
     * Turns gzip off: every response goes as the handler made it.
     *
     * @return this builder
     */
    public final HttpServer.Builder noGzip() {
        this.compression = null;
        return self();
    }

    /**
     * The largest WebSocket frame and message a peer may send; beyond either the connection
     * is closed with 1009 (message too big), a frame as soon as its header tells its length.
     * A connection holds at most a frame and a message of them in memory. Default 1 MiB each.
     *
     * @param maxFrame   the largest frame's payload, in bytes
     * @param maxMessage the largest message, however fragmented, in bytes
     * @return this builder
     */
    public final HttpServer.Builder webSocketLimits(int maxFrame, long maxMessage) {
        if (maxFrame < 125 || maxMessage < maxFrame || maxMessage > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("WebSocket limits must be 125 <= frame <= message < 2 GiB, got "
                    + maxFrame + ", " + maxMessage);
        }
        this.webSocketMaxFrame = maxFrame;
        this.webSocketMaxMessage = maxMessage;
        return self();
    }

    /**
     * Logs every response to {@code log} (see {@link AccessLog} for what is logged, and when).
     * The server closes the log when it stops, once its last response is logged: give each
     * server a log of its own. Default: none, at the cost of one null check per response.
     *
     * @param log the access log
     * @return this builder
     */
    public final HttpServer.Builder accessLog(AccessLog log) {
        this.accessLog = Objects.requireNonNull(log, "log");
        return self();
    }

    /** The settings that contradict each other, checked as the server starts. */
    void checkConsistent() {
        if (tls == null && tlsListenerChosen) {
            throw new IllegalStateException("an HTTPS address or socket needs tls(TlsConfig) as well");
        }
        if (group != null && (threadsChosen || backendChosen)) {
            throw new IllegalStateException("a server on a group of the caller's uses its loops: do not set "
                    + (threadsChosen ? "threads" : "backend") + " as well");
        }
    }

    private static Duration positive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
        return d;
    }
}
