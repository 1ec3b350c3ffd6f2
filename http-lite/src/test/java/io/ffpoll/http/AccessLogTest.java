package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The access log: one line per response, the server's own error responses included, in order;
 * CLF and JSON that a client's bytes cannot forge; a writer that stops writing costs lines,
 * counted exactly, and never a response; shutting the server down writes every line.
 */
class AccessLogTest extends HttpTestBase {
    private static final Pattern CLF = Pattern.compile(
            "127\\.0\\.0\\.1 - - \\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}] \"(.*)\" (\\d{3}) (\\d+)");
    private static final Pattern ISO_TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2})");

    /** What the log writes, kept; with a gate, each write waits until the test opens it. */
    static final class Sink extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch gate;

        Sink(boolean gated) {
            gate = new CountDownLatch(gated ? 1 : 0);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            entered.countDown();
            try {
                if (!gate.await(60, TimeUnit.SECONDS)) {
                    throw new IOException("the test never opened the gate");
                }
            } catch (InterruptedException e) {
                throw new InterruptedIOException();
            }
            synchronized (this) {
                bytes.write(b, off, len);
            }
        }

        synchronized List<String> lines() {
            String text = bytes.toString(StandardCharsets.UTF_8);
            assertTrue(text.isEmpty() || text.endsWith("\n"), "the log ends with a whole line: " + text);
            return text.isEmpty() ? List.of() : List.of(text.split("\n", -1)).subList(0, (int) text.chars().filter(c -> c == '\n').count());
        }
    }

    /** A streamed body of three pieces. */
    private static BodyProducer pieces() {
        return new BodyProducer() {
            private final List<String> left = new ArrayList<>(List.of("ab", "cde", "f"));

            @Override
            public byte[] next() {
                return left.isEmpty() ? null : left.remove(0).getBytes(StandardCharsets.US_ASCII);
            }
        };
    }

    private HttpServer server(AccessLog log, int threads) throws IOException {
        return start(builder().threads(threads).accessLog(log)
                .route("GET", "/hello", r -> Response.text(200, "hello\n"))
                .route("GET", "/users/{id}", r -> Response.text(200, "user " + r.pathParameter("id") + "\n"))
                .blockingRoute("POST", "/block", r -> Response.text(201, new String(r.body(), StandardCharsets.UTF_8)))
                .asyncRoute("GET", "/async", r -> CompletableFuture.completedFuture(Response.text(202, "later\n")))
                .route("GET", "/stream", r -> Response.stream(200, "text/plain", AccessLogTest::pieces)));
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\n" + HOST + "\r\n";
    }

    /** {@code [request line, status, bytes]} of each CLF line, checking the rest of it. */
    private static List<String> clf(List<String> lines) {
        List<String> parsed = new ArrayList<>();
        for (String l : lines) {
            Matcher m = CLF.matcher(l);
            assertTrue(m.matches(), "a CLF line: " + l);
            parsed.add(m.group(1) + " | " + m.group(2) + " | " + m.group(3));
        }
        return parsed;
    }

    @Test
    void everyResponseHasItsLineInOrderTheServersOwnErrorsToo() throws Exception {
        Sink sink = new Sink(false);
        AccessLog log = AccessLog.of(sink, AccessLog.Format.CLF, 1024);
        HttpServer s = server(log, 1);
        try (RawClient c = new RawClient(s.address())) {
            assertEquals(200, c.send(get("/hello")).read().status());
            assertEquals("user 7\n", c.send(get("/users/7?full=1")).read().text());
            assertEquals(200, c.send("HEAD /hello HTTP/1.1\r\n" + HOST + "\r\n").read(true).status());
            assertEquals(404, c.send(get("/missing")).read().status());
            assertEquals(405, c.send("POST /hello HTTP/1.1\r\n" + HOST + "Content-Length: 0\r\n\r\n").read().status());
            assertEquals("xyz", c.send("POST /block HTTP/1.1\r\n" + HOST + "Content-Length: 3\r\n\r\nxyz").read().text());
            assertEquals(202, c.send(get("/async")).read().status());
            assertEquals("abcdef", c.send(get("/stream")).read().text());
            assertEquals(501, c.send("BREW /hello HTTP/1.1\r\n" + HOST + "\r\n").read().status());
        }
        try (RawClient c = new RawClient(s.address())) {
            assertEquals("hello\n", c.send("GET /hello HTTP/1.0\r\n\r\n").read().text());
        }
        try (RawClient c = new RawClient(s.address())) {
            assertEquals(400, c.send("GET /a\u0001b HTTP/1.1\r\n" + HOST + "\r\n").read().status());
            assertTrue(c.closedByPeer());
        }
        assertTrue(s.shutdown(Duration.ofSeconds(30)));
        // Written and flushed by the time the shutdown returns: no waiting for the writer.
        assertEquals(List.of(
                "GET /hello HTTP/1.1 | 200 | 6",
                "GET /users/7?full=1 HTTP/1.1 | 200 | 7",
                "HEAD /hello HTTP/1.1 | 200 | 0",
                "GET /missing HTTP/1.1 | 404 | 10",
                "POST /hello HTTP/1.1 | 405 | 19",
                "POST /block HTTP/1.1 | 201 | 3",
                "GET /async HTTP/1.1 | 202 | 6",
                "GET /stream HTTP/1.1 | 200 | 6",
                "BREW /hello HTTP/1.1 | 501 | 16",
                "GET /hello HTTP/1.0 | 200 | 6",
                "- | 400 | 16"), clf(sink.lines()));
        assertEquals(0, log.dropped());
    }

    @Test
    void jsonLinesParseAndKeepEachConnectionsOrder() throws Exception {
        Sink sink = new Sink(false);
        AccessLog log = AccessLog.of(sink, AccessLog.Format.JSON, 1024);
        HttpServer s = server(log, 2);
        int n = 50;
        try (RawClient a = new RawClient(s.address()); RawClient b = new RawClient(s.address())) {
            for (int i = 0; i < n; i++) {
                assertEquals("user a" + i + "\n", a.send(get("/users/a" + i)).read().text());
                assertEquals(200, b.send(get("/hello?n=" + i)).read().status());
            }
        }
        assertTrue(s.shutdown(Duration.ofSeconds(30)));
        List<String> lines = sink.lines();
        assertEquals(2 * n, lines.size());
        List<String> usersSeen = new ArrayList<>();
        List<String> helloSeen = new ArrayList<>();
        for (String line : lines) {
            Map<String, Object> f = JsonLine.parse(line);
            assertEquals(List.of("time", "remote", "method", "path", "protocol", "status", "bytes", "duration_us", "route"),
                    List.copyOf(f.keySet()), line);
            assertTrue(ISO_TIME.matcher((String) f.get("time")).matches(), line);
            assertEquals("127.0.0.1", f.get("remote"));
            assertEquals("GET", f.get("method"));
            assertEquals("HTTP/1.1", f.get("protocol"));
            assertEquals(200L, f.get("status"));
            assertTrue((Long) f.get("duration_us") >= 0, line);
            String path = (String) f.get("path");
            if (path.startsWith("/users/")) {
                usersSeen.add(path);
                assertEquals("/users/{id}", f.get("route"));
                assertEquals((long) ("user " + path.substring(7) + "\n").length(), f.get("bytes"));
            } else {
                helloSeen.add(path);
                assertEquals("/hello", f.get("route"));
                assertEquals(6L, f.get("bytes"));
            }
        }
        List<String> users = new ArrayList<>();
        List<String> hellos = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            users.add("/users/a" + i);
            hellos.add("/hello?n=" + i);
        }
        assertEquals(users, usersSeen);
        assertEquals(hellos, helloSeen);
    }

    @ParameterizedTest
    @EnumSource(AccessLog.Format.class)
    void aHostileTargetCannotForgeALine(AccessLog.Format format) throws Exception {
        Sink sink = new Sink(false);
        AccessLog log = AccessLog.of(sink, format, 1024);
        HttpServer s = server(log, 1);
        // Quotes and backslashes are visible ASCII, and obs-text bytes are allowed in a target:
        // \u00e9 is the byte 0xE9 (not UTF-8), \u00c3\u00a9 the UTF-8 of é.
        String target = "/q\"x\\y\u00e9\u00c3\u00a9?\"a\"=1";
        try (RawClient c = new RawClient(s.address())) {
            assertEquals(404, c.send(get(target)).read().status());
        }
        try (RawClient c = new RawClient(s.address())) {
            // A line break in the target would start a line of the client's: the parser refuses it.
            assertEquals(400, c.send("GET /x\n127.0.0.1 - - [01/Jan/2000:00:00:00 +0000] \"GET /admin HTTP/1.1\r\n" + HOST + "\r\n")
                    .read().status());
        }
        assertTrue(s.shutdown(Duration.ofSeconds(30)));
        List<String> lines = sink.lines();
        assertEquals(2, lines.size(), String.join("\n", lines));
        for (String line : lines) {
            assertTrue(line.chars().allMatch(ch -> ch >= 0x20), "no control character: " + line);
        }
        if (format == AccessLog.Format.CLF) {
            assertTrue(lines.stream().allMatch(l -> l.chars().allMatch(ch -> ch < 0x7F)), "CLF lines are ASCII");
            assertEquals(List.of("GET /q\\x22x\\x5Cy\\xE9\\xC3\\xA9?\\x22a\\x22=1 HTTP/1.1 | 404 | 10", "- | 400 | 16"), clf(lines));
        } else {
            Map<String, Object> hostile = JsonLine.parse(lines.get(0));
            assertEquals("/q\"x\\y\uFFFD\u00e9?\"a\"=1", hostile.get("path")); // decoded as UTF-8
            assertEquals(404L, hostile.get("status"));
            assertNull(hostile.get("route"));
            Map<String, Object> refused = JsonLine.parse(lines.get(1));
            assertNull(refused.get("method"));
            assertNull(refused.get("path"));
            assertEquals(400L, refused.get("status"));
        }
    }

    @Test
    void aWriterThatBlocksCostsLinesCountedExactlyNeverAResponse() throws Exception {
        int capacity = 4;
        int more = 10;
        Sink sink = new Sink(true);
        AccessLog log = AccessLog.of(sink, AccessLog.Format.CLF, capacity);
        HttpServer s = server(log, 1);
        try (RawClient c = new RawClient(s.address())) {
            assertEquals(200, c.send(get("/hello?first")).read().status());
            // The writer has the first line and is stuck writing it: the queue is empty.
            assertTrue(sink.entered.await(30, TimeUnit.SECONDS), "the writer began writing");
            for (int i = 0; i < more; i++) {
                assertEquals(200, c.send(get("/hello?" + i)).read().status(), "answered while the log is stuck");
            }
            // Each record is offered before its response is sent: the count is complete.
            assertEquals(more - capacity, log.dropped());
        }
        sink.gate.countDown();
        assertTrue(s.shutdown(Duration.ofSeconds(30)));
        List<String> expected = new ArrayList<>(List.of("GET /hello?first HTTP/1.1 | 200 | 6"));
        for (int i = 0; i < capacity; i++) {
            expected.add("GET /hello?" + i + " HTTP/1.1 | 200 | 6");
        }
        assertEquals(expected, clf(sink.lines()));
        assertEquals(more - capacity, log.dropped());
    }

    @Test
    void theLaunchersOptionsLogToAFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        HttpServer.Builder b = Main.parse(new String[] {"--port", "0", "--threads", "1", "--access-log", file.toString(),
                "--access-log-format", "json"}, new PrintStream(err, true, StandardCharsets.UTF_8));
        HttpServer s = start(b);
        try (RawClient c = new RawClient(s.address())) {
            for (int i = 0; i < 3; i++) {
                assertEquals("Hello, World!", c.send(get("/plaintext")).read().text());
            }
        }
        assertTrue(s.shutdown(Duration.ofSeconds(30)));
        List<String> lines = Files.readAllLines(file);
        assertEquals(3, lines.size());
        for (String line : lines) {
            Map<String, Object> f = JsonLine.parse(line);
            assertEquals("/plaintext", f.get("path"));
            assertEquals(13L, f.get("bytes"));
        }

        assertNull(Main.parse(new String[] {"--access-log", "-", "--access-log-format", "xml"},
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--access-log-format takes clf or json, not xml"), err.toString());
        err.reset();
        assertNull(Main.parse(new String[] {"--access-log", dir.toString()}, new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--access-log " + dir + ": cannot be opened"), err.toString());
    }
}
