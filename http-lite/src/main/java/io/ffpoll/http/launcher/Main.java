package io.ffpoll.http.launcher;

import io.ffpoll.http.AccessLog;
import io.ffpoll.http.HttpServer;
import io.ffpoll.http.Response;
import io.ffpoll.http.serve.Compression;
import io.ffpoll.multiplexer.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The http-lite launcher, with the routes of the common web-framework benchmarks:
 * {@code GET /plaintext}, {@code GET /json}, and {@code /echo} (any method; answers with the
 * request body). SIGTERM (or Ctrl-C, or SIGHUP) shuts down gracefully within 10 s.
 */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);
    private static final Duration GRACE = Duration.ofSeconds(10);
    // systemd's sd_listen_fds(3): passed sockets start at fd 3.
    private static final int SD_LISTEN_FDS_START = 3;

    // As the web-framework benchmarks specify it: ASCII, so no charset parameter to send each time.
    private static final Response PLAINTEXT = Response.of(200, "text/plain", "Hello, World!".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    private static final Response JSON = Response.json(200, "{\"message\":\"Hello, World!\"}");
    private static final Response PID = Response.text(200, Long.toString(ProcessHandle.current().pid()));

    private Main() {}

    static final String USAGE = """
            usage: http-lite [options]
              --host ADDR              address to listen on (default 127.0.0.1)
              --port N|off             port (default 8080; 0 picks a free one); off: no plain
                                       HTTP, only HTTPS (needs --tls-cert)
              --unix PATH              listen on a Unix-domain socket at PATH instead (a stale
                                       socket file there is replaced, a live server's is not;
                                       the file is removed at exit); @NAME: a Linux abstract
                                       name. Not with --workers: give the supervisor a bound
                                       Unix socket with --fd (systemd ListenStream=PATH).
                                       Plain HTTP only: not with the --tls options
              --tls-cert FILE          serve HTTPS too, with this certificate chain (PEM, the
                                       server's certificate first, as nginx takes it)
              --tls-key FILE           and its private key (PEM: PKCS#8, RSA or EC, unencrypted)
              --tls-port N             the HTTPS port on --host (default 8443; 0 picks a free
                                       one); plain HTTP stays on --port unless --port off
              --tls-engine jdk|openssl|auto
                                       the TLS engine: the JDK's SSLEngine, or OpenSSL 3's
                                       libssl; auto (default): OpenSSL where libssl.so.3
                                       loads, else the JDK's (JVM option
                                       -Dffpoll.tls.openssl=false turns OpenSSL off).
                                       ALPN offers http/1.1; TLS 1.3
                                       and 1.2 only
              --tls-protocols LIST     the TLS versions allowed: TLSv1.3:TLSv1.2 (default), or
                                       either alone
              --tls-ciphers LIST       the cipher suites allowed, most preferred first, by IANA
                                       name, ':' between them (TLS_AES_128_GCM_SHA256:
                                       TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256); default: TLS
                                       1.3's AES-GCM and ChaCha20 suites, TLS 1.2's ECDHE ones
              --tls-groups LIST        the key exchange groups, most preferred first, ':'
                                       between them (x25519:secp256r1); default: the engine's
              --tls-fd N               serve HTTPS on the listening socket inherited as fd N
                                       (instead of binding --tls-port)
              --threads N              event loops (default: available processors)
              --accept reuseport|acceptor
                                       a SO_REUSEPORT listener per loop (default on Linux and
                                       FreeBSD), or one acceptor handing connections to the
                                       loops round-robin (default on macOS)
              --engine epoll|io_uring|auto|kqueue
                                       the loops' engine (default: epoll on Linux, or what
                                       -Dffpoll.engine names; kqueue elsewhere). io_uring is
                                       Linux >= 5.13 (readiness from multishot polls); auto
                                       uses it where it can be set up, else epoll with one log
                                       line saying why. kqueue on Linux needs libkqueue:
                                       -Dffpoll.libkqueue=/path/to/libkqueue.so.0, or
                                       libkqueue.so.0 on the dynamic linker's path.
                                       --backend is the same option.
              --static DIR             serve DIR's files at / (GET and HEAD, by sendfile(2) on
                                       Linux; ETag, Last-Modified, 304 and one Range); the
                                       routes below still answer their own paths
              --gzip LEVEL|off         gzip text responses of 1 KiB or more (up to 8 MiB) for
                                       clients that accept it, at LEVEL 1..9 (default 6)
              --max-connections N      connections open at once; at the limit new ones wait in
                                       the backlog (default: RLIMIT_NOFILE less 128)
              --access-log FILE|-      log every response to FILE (appended), or - for
                                       standard output, written off the loops by a thread of
                                       its own; lines it falls behind on are dropped and
                                       counted, never waited for
              --access-log-format clf|json
                                       Common Log Format (default) or one JSON object a line
              --stats SECONDS          log RSS, descriptors, connections, requests, bytes,
                                       accepts, back-pressure, pooled buffers and loop busy
                                       time every SECONDS (for soak runs; the loops' metrics)
              --metrics-path PATH      serve the loops' metrics at PATH (e.g. /metrics) in the
                                       Prometheus text format, version 0.0.4
              --fd N                   serve the listening socket inherited as fd N
                                       (systemd socket activation via LISTEN_FDS is detected)
              --workers N              supervisor mode: bind once, run N worker processes
                                       on the socket, restart any that dies; SIGTERM drains
                                       them all, SIGHUP restarts them without refusing a
                                       connection (and with TLS, each new worker reads the
                                       certificate files again: a renewed one is served)
              --supervised P,R         (set by --workers for its workers) drain when fd P
                                       reads end-of-file; report serving on fd R
              --help                   this text
            routes: GET /plaintext, GET /json, * /echo (echoes the body), GET /pid (the
            serving process's id); others 404 (or the --static DIR's files)
            """;

    /** Adds the built-in routes to {@code b}. */
    public static HttpServer.Builder withBuiltInRoutes(HttpServer.Builder b) {
        return b.route("GET", "/plaintext", r -> PLAINTEXT)
                .route("GET", "/json", r -> JSON)
                .route("*", "/echo", r -> Response.of(200, "application/octet-stream", r.body()))
                .route("GET", "/pid", r -> PID);
    }

    /** Set by {@code --stats}: seconds between figure lines, 0 for none. */
    private static int statsSeconds;
    /** Set by {@code --workers}: worker processes to supervise, 0 to serve in this process. */
    private static int workers;
    /** Set by {@code --supervised}: the parent pipe's and the ready pipe's descriptors. */
    private static int[] supervised;
    /** The socket to serve: an inherited descriptor, or null for {@link #address} (null too with --port off). */
    private static Integer listenFd;
    private static InetSocketAddress address;
    /** HTTPS's socket: an inherited descriptor, or null for {@link #tlsAddress} (null too without TLS). */
    private static Integer tlsListenFd;
    private static InetSocketAddress tlsAddress;
    private static String tlsEngine;
    /** Set by {@code --access-log}: the server closes it; a supervisor, which serves nothing, closes it at once. */
    private static AccessLog accessLog;

    /** Parses {@code args} into a builder; null after printing usage or an error. */
    public static HttpServer.Builder parse(String[] args, PrintStream err) {
        statsSeconds = 0;
        workers = 0;
        supervised = null;
        listenFd = null;
        address = null;
        tlsListenFd = null;
        tlsAddress = null;
        tlsEngine = null;
        accessLog = null;
        LauncherAccessLog log = new LauncherAccessLog();
        HttpServer.Builder b = withBuiltInRoutes(HttpServer.builder());
        String host = "127.0.0.1";
        int port = 8080;
        boolean plainOff = false;
        Integer fd = null;
        String unix = null;
        boolean hostOrPort = false;
        LauncherTls tls = new LauncherTls();
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--help", "-h" -> {
                        System.out.print(USAGE);
                        return null;
                    }
                    case "--host" -> {
                        host = value(args, ++i, a);
                        hostOrPort = true;
                    }
                    case "--port" -> {
                        String v = value(args, ++i, a);
                        plainOff = v.equals("off");
                        port = plainOff ? 0 : integer(a, v, 0, 65535);
                        hostOrPort = true;
                    }
                    case "--tls-cert", "--tls-key", "--tls-port", "--tls-engine", "--tls-fd", "--tls-ciphers", "--tls-groups",
                         "--tls-protocols" ->
                            tls.option(a, value(args, ++i, a));
                    case "--unix" -> unix = value(args, ++i, a);
                    case "--threads" -> b.threads(integer(a, value(args, ++i, a), 1, Integer.MAX_VALUE));
                    case "--accept" -> {
                        String mode = value(args, ++i, a);
                        b.acceptMode(switch (mode) {
                            case "reuseport" -> HttpServer.AcceptMode.REUSEPORT;
                            case "acceptor" -> HttpServer.AcceptMode.ACCEPTOR;
                            default -> throw new IllegalArgumentException("--accept takes reuseport or acceptor, not " + mode);
                        });
                    }
                    case "--backend", "--engine" -> b.backend(value(args, ++i, a));
                    case "--stats" -> statsSeconds = integer(a, value(args, ++i, a), 1, Integer.MAX_VALUE);
                    case "--metrics-path" -> b.metrics(value(args, ++i, a));
                    case "--fd" -> fd = integer(a, value(args, ++i, a), 0, Integer.MAX_VALUE);
                    case "--static" -> {
                        String dir = value(args, ++i, a);
                        try {
                            b.files("/", java.nio.file.Path.of(dir));
                        } catch (IOException e) {
                            throw new IOException("--static " + dir + ": not a directory that can be read (" + e + ")", e);
                        }
                    }
                    case "--gzip" -> {
                        String v = value(args, ++i, a);
                        if (v.equals("off")) {
                            b.noGzip();
                        } else {
                            b.gzip(Integer.parseInt(v), Compression.DEFAULT.minLength(), Compression.DEFAULT.maxLength());
                        }
                    }
                    case "--access-log", "--access-log-format" -> log.option(a, value(args, ++i, a));
                    case "--max-connections" -> b.maxConnections(integer(a, value(args, ++i, a), 1, Integer.MAX_VALUE));
                    case "--workers" -> workers = integer(a, value(args, ++i, a), 1, Integer.MAX_VALUE);
                    case "--supervised" -> {
                        String[] fds = value(args, ++i, a).split(",");
                        if (fds.length != 2) {
                            throw new IllegalArgumentException("--supervised takes two descriptors, P,R");
                        }
                        supervised = new int[] {Integer.parseInt(fds[0]), Integer.parseInt(fds[1])};
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            accessLog = log.open(); // after the options: a mistake in them opens nothing
            if (accessLog != null) {
                b.accessLog(accessLog);
            }
            if (unix != null) {
                if (tls.given()) {
                    throw new IllegalArgumentException("--unix serves plain HTTP: it takes no --tls options "
                            + "(HttpServer.Builder.tlsAddress serves HTTPS on a Unix socket)");
                }
                if (hostOrPort || fd != null) {
                    throw new IllegalArgumentException("--unix listens on a Unix socket: it takes no --host, --port or --fd");
                }
                if (workers > 0) {
                    throw new IllegalArgumentException("--workers does not bind Unix sockets: bind one in a service "
                            + "manager (systemd ListenStream=" + unix + ") and pass it with --fd");
                }
                b.address(unix.startsWith("@") ? io.ffpoll.multiplexer.net.UnixAddress.abstractName(unix.substring(1))
                        : io.ffpoll.multiplexer.net.UnixAddress.path(unix));
                return b;
            }
            InetAddress ip = InetAddress.getByName(host);
            if (tls.given()) {
                io.ffpoll.multiplexer.net.TlsConfig config = tls.build();
                tlsEngine = config.engine();
                b.tls(config);
                tlsListenFd = tls.fd;
                if (tls.fd != null) {
                    b.tlsInheritedFd(tls.fd);
                } else {
                    tlsAddress = new InetSocketAddress(ip, tls.port);
                    b.tlsAddress(tlsAddress);
                }
            }
            if (plainOff) {
                if (!tls.given()) {
                    throw new IllegalArgumentException("--port off leaves nothing to serve: give --tls-cert and --tls-key");
                }
                if (fd != null) {
                    throw new IllegalArgumentException("--port off serves no plain HTTP: it takes no --fd");
                }
                return b; // no address given: the server speaks HTTPS alone
            }
            if (fd == null) {
                fd = systemdSocket();
            }
            listenFd = fd;
            if (fd != null) {
                b.inheritedFd(fd);
            } else {
                address = new InetSocketAddress(ip, port);
                b.address(address);
            }
            return b;
        } catch (IllegalArgumentException | IOException e) {
            if (accessLog != null) {
                accessLog.close(); // nothing will serve: its thread ends, its file closes
                accessLog = null;
            }
            err.println("http-lite: " + e.getMessage());
            if (!(e instanceof LauncherTls.TlsFileException)) {
                err.print(USAGE); // a file the options name is at fault, not the options
            }
            return null;
        }
    }

    /** {@code value} as a whole number in {@code [min, max]}, or a refusal that names the option. */
    static int integer(String option, String value, int min, int max) {
        long n;
        try {
            n = Long.parseLong(value);
        } catch (NumberFormatException e) {
            n = Long.MIN_VALUE;
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(option + " takes a whole number " + (max == Integer.MAX_VALUE
                    ? "of at least " + min : "from " + min + " to " + max) + ", not '" + value + "'");
        }
        return (int) n;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /**
     * Logs one line of figures every {@code seconds}, until the process ends: the process's, and
     * the loops' metrics, summed (one snapshot, which never waits for a loop).
     */
    private static void logStats(HttpServer server, int seconds) {
        while (!server.isStopped()) {
            try {
                io.ffpoll.multiplexer.LoopMetrics m = server.metrics();
                LOG.info("stats: rss={} fds={} connections={} requests={} bytes_in={} bytes_out={} accepts={} "
                                + "accept_errors={} paused={} buffers_in_use={} buffers_free={} busy_ms={} idle_ms={}",
                        ProcessFigures.rss(), ProcessFigures.fds(), m.openConnections(), server.requestsServed(),
                        m.bytesIn(), m.bytesOut(), m.accepts(), m.acceptErrorsTotal(), m.pausedConnections(),
                        m.buffersInUse(), m.buffersFree(), m.busyNanos() / 1_000_000, m.idleNanos() / 1_000_000);
                Thread.sleep(seconds * 1000L);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** fd 3 when systemd (or systemd-socket-activate) passed us a socket, else null. */
    private static Integer systemdSocket() {
        String pid = System.getenv("LISTEN_PID");
        String fds = System.getenv("LISTEN_FDS");
        if (pid == null || fds == null || !pid.equals(Long.toString(ProcessHandle.current().pid()))) {
            return null;
        }
        if (Integer.parseInt(fds) < 1) {
            return null;
        }
        return SD_LISTEN_FDS_START;
    }

    /**
     * Supervisor mode: binds (or takes the inherited socket), runs the workers until SIGTERM or
     * SIGINT, drains them and exits as the JVM's own shutdown would have (143, 130).
     */
    private static void supervise(String[] args) throws Exception {
        if (accessLog != null) {
            accessLog.close(); // each worker opens its own, appending to the same file
        }
        int fd = listenFd != null ? listenFd : address != null ? io.ffpoll.multiplexer.net.Tcp.listen(address, 1024, false) : -1;
        int tlsFd = tlsListenFd != null ? tlsListenFd
                : tlsAddress != null ? io.ffpoll.multiplexer.net.Tcp.listen(tlsAddress, 1024, false) : -1;
        Supervisor supervisor = new Supervisor(fd, tlsFd, workers, Supervision.workerCommand(args), GRACE);
        if (fd >= 0) {
            LOG.info("http-lite supervisor listening on {} ({} workers)", io.ffpoll.multiplexer.net.Tcp.localAddress(fd), workers);
        }
        if (tlsFd >= 0) {
            LOG.info("http-lite supervisor listening for HTTPS on {} ({} workers)",
                    io.ffpoll.multiplexer.net.Tcp.localAddress(tlsFd), workers);
        }
        // The callback stops the workers itself, on the loop that reaps them: an exit after
        // the signal is then never a crash, and a signal during the start ends the start.
        Supervision.stopSignals(supervisor.loop(), false, supervisor::stopSignalled);
        Supervision.onHangUp(supervisor);
        if (supervisor.start()) {
            LOG.info("workers serving: pids {}", supervisor.pids());
        }
        int status = supervisor.stopSignal().join();
        LOG.info("shutting down: draining the workers (up to {} s)", GRACE.toSeconds());
        supervisor.stop();
        System.exit(status);
    }

    /** The options that chose the addresses this process binds, for a message about them. */
    private static String listeningOptions() {
        StringBuilder which = new StringBuilder();
        if (address != null) {
            which.append("--host/--port ").append(address.getAddress().getHostAddress()).append(':').append(address.getPort());
        }
        if (tlsAddress != null) {
            which.append(which.isEmpty() ? "" : ", ").append("--tls-port ").append(tlsAddress.getPort());
        }
        return which.toString();
    }

    /**
     * Runs the launcher.
     * @param args the options (see {@code --help})
     * @throws Exception if the server cannot start
     */
    public static void main(String[] args) throws Exception {
        HttpServer.Builder b = parse(args, System.err);
        if (b == null) {
            System.exit(args.length > 0 && (args[0].equals("--help") || args[0].equals("-h")) ? 0 : 2);
            return;
        }
        if (workers > 0) {
            supervise(args);
            return;
        }
        boolean worker = supervised != null;
        if (worker) {
            Supervision.ignoreHangUp(); // before it serves: a serving worker always ignores it
        }
        // Watched before the server starts, so that a signal from here on drains it. No shutdown
        // hook: every way this process ends once it serves comes through stop (a signal, or the
        // supervisor gone), and the System.exit calls before come before it serves or after
        // the server is closed. The drain runs here, on the main thread, not amid the JVM's exit.
        EventLoop control = EventLoop.start("http-lite-signals");
        CompletableFuture<Integer> stop = new CompletableFuture<>();
        Supervision.stopSignals(control, !worker, stop::complete);
        HttpServer server;
        try {
            server = b.start();
        } catch (java.net.BindException e) {
            // A port in use is the user's to fix, as a bad option is: one line, no stack trace.
            control.close();
            System.err.println("http-lite: cannot listen: " + e.getMessage() + " (" + listeningOptions() + ")");
            System.exit(2);
            return;
        } catch (Throwable t) {
            control.close(); // its thread would keep this JVM alive
            throw t;
        }
        if (worker) {
            try {
                Supervision.worker(control, supervised[0], supervised[1], stop);
            } catch (IOException | RuntimeException e) {
                LOG.error("cannot serve for the supervisor: {}", e.toString());
                server.close();
                System.exit(1);
            }
        }
        String how = server.acceptMode().name().toLowerCase() + " mode, " + server.loopCount() + " loops, "
                + server.backend() + " backend";
        if (server.localAddress() != null) {
            LOG.info("http-lite listening on {} ({})", server.localAddress(), how);
        }
        if (server.tlsLocalAddress() != null) {
            LOG.info("http-lite listening for HTTPS on {} ({} engine, {})", server.tlsLocalAddress(), tlsEngine, how);
        }
        if (statsSeconds > 0) {
            Thread.ofPlatform().daemon().name("http-lite-stats").start(() -> logStats(server, statsSeconds));
        }
        int status = stop.join();
        LOG.info("shutting down: finishing requests in flight (up to {} s)", GRACE.toSeconds());
        server.shutdown(GRACE);
        if (io.ffpoll.bindings.internal.Syscalls.COUNTING) {
            LOG.info("served {} requests; syscalls made through ffpoll: {}", server.requestsServed(),
                    io.ffpoll.bindings.internal.Syscalls.snapshot());
        }
        System.exit(status);
    }
}
