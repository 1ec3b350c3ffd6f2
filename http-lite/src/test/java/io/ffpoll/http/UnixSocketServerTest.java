package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import io.ffpoll.multiplexer.net.UnixAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * http-lite on a Unix-domain socket: the launcher's {@code --unix PATH} in a child JVM, as
 * {@code curl --unix-socket PATH http://x/plaintext} talks to it, and the builder's
 * {@code address(UnixAddress)} in process; the launcher's refusals of what it cannot do.
 */
class UnixSocketServerTest {
    @TempDir
    Path dir;

    /** Sends {@code requests} on one connection and reads until {@code responses} bodies ended. */
    private static String exchange(Path path, String requests, String lastBodyEnd) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            ch.write(ByteBuffer.wrap(requests.getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (!got.toString(StandardCharsets.US_ASCII).endsWith(lastBodyEnd)) {
                buf.clear();
                if (ch.read(buf) < 0) {
                    break;
                }
                got.write(buf.array(), 0, buf.position());
            }
            return got.toString(StandardCharsets.US_ASCII);
        }
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void theLauncherAnswersOnUnixAndRemovesItsSocketOnSigterm() throws Exception {
        Path path = dir.resolve("x.sock");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.ffpoll.http.launcher.Main", "--unix", path.toString(), "--threads", "2"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            ProcessLines out = new ProcessLines(p);
            out.await(Pattern.compile("listening on " + Pattern.quote(path.toString()) + " "));
            for (int c = 0; c < 4; c++) { // connections spread over both loops
                String twoRequests = "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
                String answer = exchange(path, twoRequests, "hello");
                assertEquals(2, count(answer, "HTTP/1.1 200 OK\r\n"), answer);
                assertTrue(answer.contains("\r\n\r\nHello, World!"), answer);
            }
            ProcessLines.signal("TERM", p.pid());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher exits on SIGTERM");
            assertEquals(143, p.exitValue()); // 128 + SIGTERM, after the shutdown hook ran
            assertFalse(Files.exists(path), "the socket file is removed at shutdown");
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theBuilderServesAUnixAddressWithNoRemoteAddress() throws Exception {
        Path path = dir.resolve("b.sock");
        HttpServer server = HttpServer.builder()
                .route("GET", "/who", r -> Response.text(200, "remote=" + r.remoteAddress()))
                .address(UnixDomainSocketAddress.of(path))
                .threads(2)
                .start();
        try {
            assertEquals(UnixAddress.path(path), server.localAddress());
            assertNull(server.address(), "no IP address");
            String answer = exchange(path, "GET /who HTTP/1.1\r\nHost: x\r\n\r\n", "remote=null");
            assertTrue(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer);
        } finally {
            server.close();
        }
        assertFalse(Files.exists(path), "the socket file is removed when the server closes");
    }

    @Test
    void theLauncherRefusesUnixWithWorkersOrAPort() {
        for (String[] args : new String[][] {
                {"--unix", dir.resolve("w.sock").toString(), "--workers", "2"},
                {"--unix", dir.resolve("p.sock").toString(), "--port", "9000"},
                {"--unix", dir.resolve("f.sock").toString(), "--fd", "3"}}) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertNull(Main.parse(args, new PrintStream(err, true, StandardCharsets.UTF_8)), String.join(" ", args));
            String message = err.toString(StandardCharsets.UTF_8);
            assertTrue(message.startsWith("http-lite: ") && message.contains("--"), message);
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String tooLong = dir.resolve("y".repeat(200)).toString();
        HttpServer.Builder b = Main.parse(new String[] {"--unix", tooLong}, new PrintStream(err, true, StandardCharsets.UTF_8));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                b::start);
        assertTrue(e.getMessage().contains("ENAMETOOLONG"), e.getMessage());
    }
}
