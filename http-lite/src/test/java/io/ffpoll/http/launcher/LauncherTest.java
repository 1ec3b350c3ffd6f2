package io.ffpoll.http.launcher;

import io.ffpoll.http.HttpsCertificates;
import io.ffpoll.http.ProcessLines;
import io.ffpoll.http.RawClient;
import io.ffpoll.http.Tool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher as a separate process: inherited listening sockets (a parent that binds and
 * execs with {@code --fd}, and systemd socket activation), graceful shutdown on SIGTERM, and
 * HTTPS ({@code --tls-cert}, {@code --tls-key}) with its errors.
 */
class LauncherTest {
    private static final Pattern LISTENING = Pattern.compile("listening on .*:(\\d+) ");
    private static final Pattern LISTENING_TLS = Pattern.compile("listening for HTTPS on .*:(\\d+) ");
    @TempDir
    Path dir;
    private static final String HOST = "Host: test\r\n";
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void kill() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Whether {@code program} is on PATH; the tests that need a tool say so when it is not. */
    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(dir, program).canExecute()) {
                return true;
            }
        }
        return false;
    }

    private static List<String> javaCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.ffpoll.http.launcher.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts {@code command}; its output lines come through the returned reader. */
    private ProcessLines start(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        processes.add(p);
        return new ProcessLines(p);
    }

    private static RawClient.Response get(InetSocketAddress address, String path) throws IOException {
        try (RawClient c = new RawClient(address)) {
            return c.send("GET " + path + " HTTP/1.1\r\n" + HOST + "\r\n").read();
        }
    }

    @Test
    void servesASocketBoundAndPassedByAParentProcess() throws Exception {
        Assumptions.assumeTrue(onPath("perl"), "SKIPPED: perl (Debian's perl-base) is not on PATH");
        // perl binds, prints the port, keeps the socket open across exec and execs the server.
        String perl = "use Socket; use Fcntl; socket(my $s, PF_INET, SOCK_STREAM, 0) or die;"
                + " bind($s, pack_sockaddr_in(0, inet_aton('127.0.0.1'))) or die; listen($s, 128) or die;"
                + " my ($port) = unpack_sockaddr_in(getsockname($s)); $| = 1; print \"port $port \\n\";"
                + " fcntl($s, F_SETFD, 0); exec @ARGV, '--fd', fileno($s);";
        List<String> cmd = new ArrayList<>(List.of("perl", "-e", perl));
        cmd.addAll(javaCommand("--accept", "acceptor", "--threads", "2"));
        ProcessLines out = start(cmd);
        int port = Integer.parseInt(out.await(Pattern.compile("^port (\\d+) ")));
        out.await(LISTENING);
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        for (int i = 0; i < 4; i++) {
            assertEquals("Hello, World!", get(address, "/plaintext").text());
        }
    }

    @Test
    void servesASocketFromSystemdSocketActivationInReusePortMode() throws Exception {
        Assumptions.assumeTrue(onPath("systemd-socket-activate"),
                "SKIPPED: systemd-socket-activate (Debian's systemd) is not on PATH");
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of("systemd-socket-activate", "-l", "127.0.0.1:" + port));
        cmd.addAll(javaCommand("--threads", "2"));
        ProcessLines out = start(cmd);
        out.await(Pattern.compile("Listening on"));
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        // The first connection starts the server, which finds its socket through LISTEN_FDS.
        assertEquals("{\"message\":\"Hello, World!\"}", get(address, "/json").text());
        assertEquals(String.valueOf(port), out.await(LISTENING));
        for (int i = 0; i < 8; i++) {
            assertEquals(200, get(address, "/plaintext").status());
        }
    }

    @Test
    void sigtermFinishesTheRequestInFlightRefusesNewConnectionsAndExits() throws Exception {
        drainsOn(List.of(), "TERM", 143); // 128 + SIGTERM, as the JVM's own shutdown exits
    }

    /**
     * SIGINT (Ctrl-C) and SIGHUP (the terminal hung up) drain as SIGTERM does, each exiting as
     * the JVM's own shutdown would (130, 129). Started with both at their default, whatever
     * this JVM has (under nohup it ignores SIGHUP, and a background job SIGINT).
     */
    @Test
    void sigintAndSighupDrainTheSameWay() throws Exception {
        Assumptions.assumeTrue(envSetsSignals(), "SKIPPED: env has no --default-signal (GNU coreutils 8.31+)");
        drainsOn(List.of("env", "--default-signal=HUP,INT"), "INT", 130);
        drainsOn(List.of("env", "--default-signal=HUP,INT"), "HUP", 129);
    }

    /**
     * A launcher started with SIGINT and SIGHUP ignored, as a non-interactive shell starts a
     * background job and nohup its program, keeps them ignored, as the JVM does: neither
     * stops it. SIGTERM still drains it.
     */
    @Test
    void signalsIgnoredAtStartStayIgnored() throws Exception {
        Assumptions.assumeTrue(envSetsSignals(), "SKIPPED: env has no --ignore-signal (GNU coreutils 8.31+)");
        List<String> cmd = new ArrayList<>(List.of("env", "--ignore-signal=HUP,INT"));
        cmd.addAll(javaCommand("--port", "0", "--threads", "1"));
        ProcessLines out = start(cmd);
        int port = Integer.parseInt(out.await(LISTENING));
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        Process server = processes.getFirst();
        assertTrue(ProcessLines.ignores(server.pid(), 2), "SIGINT is no longer ignored");
        assertTrue(ProcessLines.ignores(server.pid(), 1), "SIGHUP is no longer ignored");
        assertTrue(ProcessLines.catches(server.pid(), 15), "SIGTERM is not caught");
        // The kernel drops a signal that is ignored as it is sent, before kill returns.
        ProcessLines.signal("INT", server.pid());
        ProcessLines.signal("HUP", server.pid());
        assertEquals(200, get(address, "/plaintext").status());
        ProcessLines.signal("TERM", server.pid());
        out.await(Pattern.compile("shutting down"));
        assertTrue(server.waitFor(15, TimeUnit.SECONDS), "server did not exit after SIGTERM");
        assertEquals(143, server.exitValue());
    }

    /** Whether env(1) can set a program's signal dispositions (GNU coreutils 8.31 and later). */
    private static boolean envSetsSignals() throws Exception {
        Process p = new ProcessBuilder("env", "--default-signal=INT", "--ignore-signal=HUP", "true")
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    /**
     * Starts the launcher with {@code prefix}, sends it {@code signal} with a request in flight:
     * the request is answered (with Connection: close), new connections are refused, and the
     * launcher exits with {@code status}.
     */
    private void drainsOn(List<String> prefix, String signal, int status) throws Exception {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(javaCommand("--port", "0", "--threads", "1"));
        ProcessLines out = start(cmd);
        int port = Integer.parseInt(out.await(LISTENING));
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        Process server = processes.getLast();
        try (RawClient inFlight = new RawClient(address)) {
            inFlight.send("POST /echo HTTP/1.1\r\n" + HOST + "Content-Length: 14\r\n\r\nin-");
            // The server has the partial request once a request after it on another connection
            // is answered (one loop: --threads 1 below), so the signal finds it in flight.
            assertEquals(200, get(address, "/plaintext").status());
            ProcessLines.signal(signal, server.pid());
            out.await(Pattern.compile("shutting down"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            boolean refused = false;
            while (!refused && System.nanoTime() < deadline) {
                try (Socket s = new Socket()) {
                    s.connect(address, 30_000); // accepted until the listeners close, then refused
                } catch (ConnectException e) {
                    refused = true;
                } catch (java.net.SocketException reset) {
                    // The handshake completed into the backlog just as the listener closed: the
                    // kernel resets what was never accepted. Not accepted either; try again.
                }
            }
            assertTrue(refused, "new connections were still accepted during shutdown (SIG" + signal + ")");
            assertTrue(server.isAlive(), "exited before the request in flight was answered (SIG" + signal + ")");
            RawClient.Response r = inFlight.send("flight done").read();
            assertEquals(200, r.status());
            assertEquals("in-flight done", r.text());
            assertEquals("close", r.header("connection"));
        }
        assertTrue(server.waitFor(15, TimeUnit.SECONDS), "server did not exit after SIG" + signal);
        assertEquals(status, server.exitValue(), "exit status after SIG" + signal);
    }

    @Test
    void helpAndBadOptions() throws Exception {
        Process help = new ProcessBuilder(javaCommand("--help")).redirectErrorStream(true).start();
        String text = new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(help.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, help.exitValue());
        assertTrue(text.contains("--accept reuseport|acceptor"), text);
        assertTrue(text.contains("--tls-cert FILE") && text.contains("--tls-key FILE") && text.contains("--tls-port N")
                && text.contains("--tls-engine jdk|openssl|auto") && text.contains("--port N|off"), text);
        Process bad = new ProcessBuilder(javaCommand("--accept", "sometimes")).redirectErrorStream(true).start();
        String err = new String(bad.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(bad.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, bad.exitValue());
        assertTrue(err.contains("--accept takes reuseport or acceptor, not sometimes"), err);
    }

    /** A bad number or file names its option and says what it takes (a new user got "For input string: \"off\""). */
    @Test
    void badValuesAreRefusedNamingTheOption(@TempDir Path dir) {
        String[][] cases = {
            {"--tls-port", "off", "--tls-port takes a whole number from 0 to 65535, not 'off'"},
            {"--tls-port", "99999", "--tls-port takes a whole number from 0 to 65535, not '99999'"},
            {"--port", "http", "--port takes a whole number from 0 to 65535, not 'http'"},
            {"--threads", "0", "--threads takes a whole number of at least 1, not '0'"},
            {"--tls-cert", dir.toString(), "--tls-cert " + dir + ": a directory, not a file"},
        };
        for (String[] c : cases) {
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            String[] args = c[0].equals("--tls-cert") ? new String[] {c[0], c[1], "--tls-key", c[1]} : new String[] {c[0], c[1]};
            assertEquals(null, Main.parse(args, new java.io.PrintStream(err, true, StandardCharsets.UTF_8)));
            String text = err.toString(StandardCharsets.UTF_8);
            assertTrue(text.startsWith("http-lite: " + c[2] + "\n"), text.lines().findFirst().orElse(""));
        }
    }

    /** curl over HTTPS, trusting {@code ca}: the body, checked to come with a 200 and ALPN http/1.1. */
    private static String curlHttps(Path ca, int port, String path) throws Exception {
        Tool.Run r = Tool.run(List.of("/usr/bin/curl", "-sS", "-v", "--cacert", ca.toString(), "--resolve",
                "localhost:" + port + ":127.0.0.1", "-w", "\\n%{http_code}", "https://localhost:" + port + path), "");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.err().contains("ALPN: server accepted http/1.1"), r.err());
        assertTrue(r.out().endsWith("\n200"), r.out());
        return r.out().substring(0, r.out().length() - 4);
    }

    /**
     * {@code --metrics-path /metrics} serves the loops' metrics in the Prometheus text format,
     * and {@code --stats 1} logs a line of the same figures: both count the requests sent.
     */
    @Test
    void metricsPathAndStatsReportTheSameFigures() throws Exception {
        ProcessLines out = start(javaCommand("--port", "0", "--threads", "1", "--metrics-path", "/metrics", "--stats", "1"));
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(out.await(LISTENING)));
        for (int i = 0; i < 5; i++) {
            assertEquals("Hello, World!", get(address, "/plaintext").text());
        }
        RawClient.Response scrape = get(address, "/metrics");
        assertEquals(200, scrape.status());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", scrape.header("content-type"));
        java.util.Map<String, Double> samples = io.ffpoll.http.PrometheusFormat.parse(scrape.text());
        assertEquals(5.0, samples.get("ffpoll_http_requests_total{loop=\"0\"}"), scrape.text());
        assertEquals(6.0, samples.get("ffpoll_accepts_total{loop=\"0\"}"), "the scrape's connection too");
        // A stats line once the loop has counted the scrape too: 6 requests, 6 accepts.
        out.await(Pattern.compile("stats: rss=\\d+ fds=\\d+ connections=\\d+ requests=6 bytes_in=\\d+ bytes_out=\\d+ "
                + "accepts=6 accept_errors=0 paused=0 buffers_in_use=\\d+ buffers_free=\\d+ busy_ms=\\d+ idle_ms=\\d+()"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "auto", "epoll"})
    void theEngineOptionPicksTheLoopsEngine(String engine) throws Exception {
        io.ffpoll.multiplexer.testing.IoUringSupport.assumeAvailable();
        ProcessLines out = start(javaCommand("--port", "0", "--threads", "2", "--engine", engine));
        String expected = engine.equals("epoll") ? "epoll" : "io_uring";
        int port = Integer.parseInt(out.await(Pattern.compile("listening on .*:(\\d+) \\(.*, " + expected + " backend\\)")));
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        for (int i = 0; i < 4; i++) {
            assertEquals("Hello, World!", get(address, "/plaintext").text());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void servesHttpsBesidePlainHttpWithTlsCertAndKey(String engine) throws Exception {
        HttpsCertificates.engine(engine);
        HttpsCertificates certs = HttpsCertificates.create(dir, HttpsCertificates.KeyType.EC);
        ProcessLines out = start(javaCommand("--port", "0", "--threads", "1", "--tls-port", "0",
                "--tls-cert", certs.localhost().toString(), "--tls-key", certs.localhostKey().toString(),
                "--tls-engine", engine, "--tls-protocols", "TLSv1.3", "--tls-ciphers", "TLS_AES_256_GCM_SHA384",
                "--tls-groups", "x25519:secp256r1"));
        int port = Integer.parseInt(out.await(LISTENING));
        int tlsPort = Integer.parseInt(out.await(Pattern.compile("listening for HTTPS on .*:(\\d+) \\(" + engine + " engine")));
        assertEquals("Hello, World!", curlHttps(certs.ca(), tlsPort, "/plaintext"));
        assertEquals("Hello, World!", get(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), "/plaintext").text());
        Process server = processes.getLast();
        ProcessLines.signal("TERM", server.pid());
        assertTrue(server.waitFor(30, TimeUnit.SECONDS), "server did not exit after SIGTERM");
        assertEquals(143, server.exitValue());
    }

    /**
     * {@code --workers 2 --port off}: the supervisor binds the HTTPS port alone and hands it to
     * its workers at fd 6, each of which reads the certificate files itself; both answer over
     * TLS, and no plain port is open.
     */
    @Test
    void workersServeHttpsAloneWithPortOff() throws Exception {
        HttpsCertificates certs = HttpsCertificates.create(dir, HttpsCertificates.KeyType.EC);
        ProcessLines out = start(javaCommand("--workers", "2", "--threads", "1", "--port", "off", "--tls-port", "0",
                "--tls-cert", certs.localhost().toString(), "--tls-key", certs.localhostKey().toString(),
                "--tls-engine", "jdk"));
        int tlsPort = Integer.parseInt(out.await(Pattern.compile("supervisor listening for HTTPS on .*:(\\d+) ")));
        String pids = out.await(Pattern.compile("workers serving: pids \\[(\\d+, \\d+)\\]"));
        List<String> workerPids = List.of(pids.split(", "));
        assertTrue(workerPids.contains(curlHttps(certs.ca(), tlsPort, "/pid")), "a worker answers over HTTPS");
        // Sixteen requests at once, each on a connection of its own (HTTP/1.1), so that a worker
        // busy with a handshake leaves the next to the other: one idle worker could otherwise
        // take every connection of the one socket.
        java.util.Set<String> answered = new java.util.HashSet<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (answered.size() < 2 && System.nanoTime() < deadline) {
            try (java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().sslContext(certs.clientContext())
                    .version(java.net.http.HttpClient.Version.HTTP_1_1).build()) {
                List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>> all = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    all.add(client.sendAsync(java.net.http.HttpRequest.newBuilder(
                                    java.net.URI.create("https://localhost:" + tlsPort + "/pid")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString()));
                }
                for (var f : all) {
                    String pid = f.get(60, TimeUnit.SECONDS).body();
                    assertTrue(workerPids.contains(pid), "answered by " + pid + ", not a worker of " + workerPids);
                    answered.add(pid);
                }
            }
        }
        assertEquals(2, answered.size(), "both workers answered over HTTPS");
        Process supervisor = processes.getLast();
        ProcessLines.signal("TERM", supervisor.pid());
        assertTrue(supervisor.waitFor(60, TimeUnit.SECONDS), "the supervisor exits on SIGTERM");
        assertEquals(143, supervisor.exitValue());
    }

    /**
     * A TLS option at fault: exit 2 and one clear line, no stack trace. A launcher that took the
     * options would serve on (on 8080 and 8443): it is killed after 60 s and the test fails.
     */
    private String refused(String... args) throws Exception {
        Path output = Files.createTempFile(dir, "launcher", ".txt");
        Process p = new ProcessBuilder(javaCommand(args)).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        processes.add(p);
        boolean exited = p.waitFor(60, TimeUnit.SECONDS);
        String text = Files.readString(output);
        assertTrue(exited, "the launcher took " + List.of(args) + " and serves:\n" + text);
        assertEquals(2, p.exitValue(), text);
        assertFalse(text.contains("Exception") || text.contains("\tat "), "no stack trace:\n" + text);
        return text;
    }

    @Test
    void tlsMistakesExit2WithAClearMessage() throws Exception {
        HttpsCertificates certs = HttpsCertificates.create(dir, HttpsCertificates.KeyType.EC);
        String cert = certs.localhost().toString();
        String key = certs.localhostKey().toString();
        Path missing = dir.resolve("missing.pem");
        String text = refused("--tls-cert", missing.toString(), "--tls-key", key);
        assertTrue(text.contains("http-lite: --tls-cert " + missing + ": no such file"), text);
        Path notAKey = Files.writeString(dir.resolve("not-a-key.pem"), "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        text = refused("--tls-cert", cert, "--tls-key", notAKey.toString());
        assertTrue(text.contains("http-lite: --tls-cert " + cert + " with --tls-key " + notAKey + ": "), text);
        text = refused("--tls-cert", cert);
        assertTrue(text.contains("http-lite: HTTPS needs both --tls-cert and --tls-key"), text);
        text = refused("--port", "off");
        assertTrue(text.contains("http-lite: --port off leaves nothing to serve"), text);
        text = refused("--tls-cert", cert, "--tls-key", key, "--tls-engine", "boringssl");
        assertTrue(text.contains("http-lite: --tls-engine takes jdk, openssl or auto, not boringssl"), text);
        text = refused("--tls-cert", cert, "--tls-key", key, "--tls-ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256");
        assertTrue(text.contains("http-lite: --tls-ciphers: not a cipher suite's IANA name: ECDHE-ECDSA-AES128-GCM-SHA256"), text);
        text = refused("--tls-cert", cert, "--tls-key", key, "--tls-ciphers", "TLS_AES_128_GCM_SHA256");
        assertTrue(text.contains("http-lite: --tls-ciphers: TLSv1.2 is allowed but no TLS 1.2 cipher suite is"), text);
        text = refused("--tls-cert", cert, "--tls-key", key, "--tls-protocols", "TLSv1.3:TLSv1.1");
        assertTrue(text.contains("http-lite: --tls-protocols: unsupported TLS version TLSv1.1"), text);
        text = refused("--tls-cert", cert, "--tls-key", key, "--tls-ciphers", "TLS_AES_128_GCM_SHA256:TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assertTrue(text.contains("http-lite: --tls-ciphers: no TLS 1.2 cipher suite chosen fits this server's certificates"), text);
        text = refused("--tls-cert", cert, "--tls-key", key, "--tls-groups", "x25519:P-256");
        assertTrue(text.contains("http-lite: --tls-groups: unknown key exchange group P-256"), text);
        text = refused("--unix", dir.resolve("x.sock").toString(), "--tls-cert", cert, "--tls-key", key);
        assertTrue(text.contains("http-lite: --unix serves plain HTTP"), text);
    }

    /** A port in use is the user's to fix, as a bad option is: exit 2 and one line naming the option. */
    @Test
    void aPortInUseExits2NamingTheOption() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String text = refused("--host", "127.0.0.1", "--port", Integer.toString(taken.getLocalPort()), "--threads", "1");
            assertTrue(text.contains("http-lite: cannot listen: ") && text.contains("EADDRINUSE")
                    && text.contains("--host/--port 127.0.0.1:" + taken.getLocalPort()), text);
        }
    }

    /** The key of another certificate: TlsConfig.Builder.certificate refuses a key that does not match the leaf. */
    @Test
    void theKeyOfAnotherCertificateIsRefused() throws Exception {
        HttpsCertificates certs = HttpsCertificates.create(dir, HttpsCertificates.KeyType.EC);
        String text = refused("--tls-cert", certs.localhost().toString(), "--tls-key", certs.otherKey().toString());
        assertTrue(text.contains("http-lite: --tls-cert " + certs.localhost() + " with --tls-key " + certs.otherKey() + ": "), text);
    }
}
