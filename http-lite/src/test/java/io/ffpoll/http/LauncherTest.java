package io.ffpoll.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher as a separate process: inherited listening sockets (a parent that binds and
 * execs with {@code --fd}, and systemd socket activation) and graceful shutdown on SIGTERM.
 */
class LauncherTest {
    private static final Pattern LISTENING = Pattern.compile("listening on .*:(\\d+) ");
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
                "io.ffpoll.http.Main"));
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
        Process bad = new ProcessBuilder(javaCommand("--accept", "sometimes")).redirectErrorStream(true).start();
        String err = new String(bad.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(bad.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, bad.exitValue());
        assertTrue(err.contains("--accept takes reuseport or acceptor, not sometimes"), err);
    }
}
