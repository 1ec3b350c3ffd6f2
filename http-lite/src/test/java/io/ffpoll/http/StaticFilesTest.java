package io.ffpoll.http;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.http.launcher.Main;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code files(prefix, dir)}: bodies by sendfile, validators and their preconditions, one
 * range, directories, and every way out of the directory refused. Runs on both Linux engines.
 */
class StaticFilesTest extends HttpTestBase {
    private static final String SECRET = "the secret outside the root";
    private static final Instant MODIFIED = Instant.parse("2025-03-04T05:06:07Z");

    @TempDir
    Path tmp;
    Path root;
    byte[] big;

    @BeforeEach
    void files() throws Exception {
        root = Files.createDirectories(tmp.resolve("www"));
        Files.writeString(tmp.resolve("secret.txt"), SECRET);
        Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(tmp.resolve("outside/passwd"), SECRET);
        Files.writeString(root.resolve("hello.txt"), "Hello, files!\n");
        Files.setLastModifiedTime(root.resolve("hello.txt"), FileTime.from(MODIFIED));
        Files.writeString(root.resolve("page.html"), "<p>page</p>\n");
        Files.writeString(root.resolve("%2e%2e"), "a file named with a percent\n");
        big = new byte[3 << 20];
        new Random(11).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("sub/index.html"), "<h1>index</h1>\n");
        Files.createDirectories(root.resolve("empty"));
        Files.createSymbolicLink(root.resolve("outlink.txt"), tmp.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("linkdir"), tmp.resolve("outside"));
        Files.createSymbolicLink(root.resolve("inlink.txt"), root.resolve("hello.txt"));
    }

    private HttpServer server() throws Exception {
        return start(Main.withBuiltInRoutes(builder()).threads(1).files("/static", root, java.util.Map.of("bin", "application/x-test")));
    }

    private static RawClient.Response get(HttpServer s, String request) throws Exception {
        try (RawClient c = new RawClient(s.address())) {
            return c.send(request).read(request.startsWith("HEAD"));
        }
    }

    private static String req(String method, String path, String... headers) {
        return method + " " + path + " HTTP/1.1\r\n" + HOST + String.join("", Arrays.stream(headers).map(h -> h + "\r\n").toList()) + "\r\n";
    }

    @Test
    void aFileComesWholeBySendfileWithItsTypeAndValidators() throws Exception {
        HttpServer s = server();
        long sendfiles = Syscalls.count("sendfile");
        long preads = Syscalls.count("pread");
        RawClient.Response r = get(s, req("GET", "/static/big.bin"));
        assertEquals(200, r.status());
        assertEquals(String.valueOf(big.length), r.header("content-length"));
        assertEquals("application/x-test", r.header("content-type"), "the user's type overrides");
        assertEquals("bytes", r.header("accept-ranges"));
        assertArrayEquals(big, r.body());
        if (Syscalls.COUNTING) {
            assertTrue(Syscalls.count("sendfile") > sendfiles, "the body went by sendfile");
            assertEquals(preads, Syscalls.count("pread"), "no byte of the body was read into Java");
        }
        RawClient.Response hello = get(s, req("GET", "/static/hello.txt"));
        assertEquals("Hello, files!\n", hello.text());
        assertEquals("text/plain; charset=utf-8", hello.header("content-type"));
        assertEquals("Tue, 04 Mar 2025 05:06:07 GMT", hello.header("last-modified"));
        String etag = hello.header("etag");
        assertNotNull(etag);
        assertTrue(etag.startsWith("\"") && etag.endsWith("\"") && !etag.startsWith("W/"), "a strong tag: " + etag);
        assertEquals("text/html; charset=utf-8", get(s, req("GET", "/static/page.html")).header("content-type"));
        assertEquals("Hello, files!\n", get(s, req("GET", "/static/inlink.txt")).text(), "a link inside the root is followed");
    }

    @Test
    void headGetsTheFieldsWithoutTheBodyAndTheConnectionGoesOn() throws Exception {
        HttpServer s = server();
        try (RawClient c = new RawClient(s.address())) {
            RawClient.Response head = c.send(req("HEAD", "/static/big.bin")).read(true);
            assertEquals(200, head.status());
            assertEquals(String.valueOf(big.length), head.header("content-length"));
            assertEquals(0, head.body().length);
            // Pipelined after a file: each response in its place.
            c.send(req("GET", "/static/hello.txt") + req("GET", "/plaintext") + req("GET", "/static/hello.txt"));
            assertEquals("Hello, files!\n", c.read().text());
            assertEquals("Hello, World!", c.read().text());
            assertEquals("Hello, files!\n", c.read().text());
        }
    }

    @Test
    void preconditionsAnswer304And412() throws Exception {
        HttpServer s = server();
        String etag = get(s, req("GET", "/static/hello.txt")).header("etag");
        String date = "Tue, 04 Mar 2025 05:06:07 GMT";
        RawClient.Response r = get(s, req("GET", "/static/hello.txt", "If-None-Match: \"x\", " + etag));
        assertEquals(304, r.status());
        assertEquals(etag, r.header("etag"));
        assertEquals(date, r.header("last-modified"));
        assertNull(r.header("content-length"));
        assertEquals(0, r.body().length);
        assertEquals(304, get(s, req("GET", "/static/hello.txt", "If-None-Match: W/" + etag)).status(), "weak comparison");
        assertEquals(304, get(s, req("GET", "/static/hello.txt", "If-None-Match: *")).status());
        assertEquals(200, get(s, req("GET", "/static/hello.txt", "If-None-Match: \"other\"")).status());
        assertEquals(304, get(s, req("GET", "/static/hello.txt", "If-Modified-Since: " + date)).status());
        assertEquals(304, get(s, req("GET", "/static/hello.txt", "If-Modified-Since: Tuesday, 04-Mar-25 05:06:08 GMT")).status(),
                "RFC 850 form");
        assertEquals(304, get(s, req("GET", "/static/hello.txt", "If-Modified-Since: Tue Mar  4 05:06:07 2025")).status(),
                "asctime form");
        assertEquals(200, get(s, req("GET", "/static/hello.txt", "If-Modified-Since: Tue, 04 Mar 2025 05:06:06 GMT")).status());
        assertEquals(200, get(s, req("GET", "/static/hello.txt", "If-Modified-Since: yesterday")).status(), "not a date: ignored");
        // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
        assertEquals(200, get(s, req("GET", "/static/hello.txt", "If-None-Match: \"other\"", "If-Modified-Since: " + date)).status());
        assertEquals(412, get(s, req("GET", "/static/hello.txt", "If-Match: \"other\"")).status());
        assertEquals(412, get(s, req("GET", "/static/hello.txt", "If-Match: W/" + etag)).status(), "strong comparison");
        assertEquals(200, get(s, req("GET", "/static/hello.txt", "If-Match: " + etag)).status());
        assertEquals(412, get(s, req("GET", "/static/hello.txt", "If-Unmodified-Since: Mon, 03 Mar 2025 00:00:00 GMT")).status());
    }

    /** RFC 9110 5.3: a list field's lines are one list, as if joined with commas. */
    @Test
    void aListFieldSentOnSeveralLinesIsOneList() throws Exception {
        HttpServer s = server();
        String etag = get(s, req("GET", "/static/hello.txt")).header("etag");
        assertEquals(304, get(s, req("GET", "/static/hello.txt", "If-None-Match: \"a\"", "If-None-Match: " + etag)).status());
        assertEquals(200, get(s, req("GET", "/static/hello.txt", "If-Match: \"a\"", "If-Match: " + etag)).status());
        assertEquals(412, get(s, req("GET", "/static/hello.txt", "If-Match: \"a\"", "If-Match: \"b\"")).status());
        // Two dates are no date (13.1.3): the field is ignored.
        assertEquals(200, get(s, req("GET", "/static/hello.txt", "If-Modified-Since: Tue, 04 Mar 2025 05:06:07 GMT",
                "If-Modified-Since: Tue, 04 Mar 2025 05:06:07 GMT")).status());
    }

    @Test
    void oneRangeGets206AndAnUnsatisfiableOne416() throws Exception {
        HttpServer s = server();
        RawClient.Response r = get(s, req("GET", "/static/big.bin", "Range: bytes=1000-1999"));
        assertEquals(206, r.status());
        assertEquals("bytes 1000-1999/" + big.length, r.header("content-range"));
        assertEquals("1000", r.header("content-length"));
        assertArrayEquals(Arrays.copyOfRange(big, 1000, 2000), r.body());
        r = get(s, req("GET", "/static/big.bin", "Range: bytes=-10"));
        assertArrayEquals(Arrays.copyOfRange(big, big.length - 10, big.length), r.body());
        r = get(s, req("GET", "/static/big.bin", "Range: bytes=" + (big.length - 3) + "-"));
        assertEquals("bytes " + (big.length - 3) + "-" + (big.length - 1) + "/" + big.length, r.header("content-range"));
        r = get(s, req("GET", "/static/big.bin", "Range: bytes=5-99999999999999999999"));
        assertEquals(206, r.status(), "a last byte past the end is the end");
        assertEquals(big.length - 5, r.body().length);
        r = get(s, req("GET", "/static/big.bin", "Range: bytes=" + big.length + "-"));
        assertEquals(416, r.status());
        assertEquals("bytes */" + big.length, r.header("content-range"));
        assertEquals(416, get(s, req("GET", "/static/big.bin", "Range: bytes=-0")).status());
        for (String ignored : List.of("bytes=0-1,5-6", "bytes=9-3", "lines=1-2", "bytes=abc")) {
            r = get(s, req("GET", "/static/hello.txt", "Range: " + ignored));
            assertEquals(200, r.status(), ignored + " is answered with the whole file");
            assertEquals("Hello, files!\n", r.text());
        }
        String etag = get(s, req("GET", "/static/hello.txt")).header("etag");
        assertEquals(206, get(s, req("GET", "/static/hello.txt", "Range: bytes=0-4", "If-Range: " + etag)).status());
        assertEquals(200, get(s, req("GET", "/static/hello.txt", "Range: bytes=0-4", "If-Range: \"stale\"")).status());
        assertEquals(206, get(s, req("GET", "/static/hello.txt", "Range: bytes=0-4",
                "If-Range: Tue, 04 Mar 2025 05:06:07 GMT")).status());
        assertEquals(200, get(s, req("HEAD", "/static/hello.txt", "Range: bytes=0-4")).status(), "Range is for GET");
        // Empty list elements are ignored (5.6.1.2); Range is no list field, so two lines are invalid: ignored.
        r = get(s, req("GET", "/static/hello.txt", "Range: bytes=,1-2, "));
        assertEquals(206, r.status());
        assertEquals("el", r.text());
        assertEquals(200, get(s, req("GET", "/static/hello.txt", "Range: bytes=0-1", "Range: bytes=3-4")).status());
    }

    @Test
    void directoriesServeTheirIndexAndAreNeverListed() throws Exception {
        HttpServer s = server();
        RawClient.Response r = get(s, req("GET", "/static/sub?x=1"));
        assertEquals(301, r.status());
        assertEquals("/static/sub/?x=1", r.header("location"));
        assertEquals("<h1>index</h1>\n", get(s, req("GET", "/static/sub/")).text());
        assertEquals("text/html; charset=utf-8", get(s, req("GET", "/static/sub/")).header("content-type"));
        assertEquals(404, get(s, req("GET", "/static/empty/")).status());
        assertEquals(301, get(s, req("GET", "/static")).status());
        assertEquals(404, get(s, req("GET", "/static/missing.txt")).status());
        assertEquals(404, get(s, req("GET", "/static/hello.txt/more")).status());
        RawClient.Response post = get(s, req("POST", "/static/hello.txt", "Content-Length: 0"));
        assertEquals(405, post.status());
        assertEquals("GET, HEAD", post.header("allow"));
    }

    @Test
    void everyWayOutOfTheDirectoryIsRefused() throws Exception {
        HttpServer s = server();
        List<String> attempts = List.of(
                "/static/../secret.txt",
                "/static/%2e%2e/secret.txt",
                "/static/%2E%2E/secret.txt",
                "/static/.%2e/secret.txt",
                "/static/sub/../../secret.txt",
                "/static/sub/..%2f..%2fsecret.txt",
                "/static/%2e%2e%2fsecret.txt",
                "/static/..%5csecret.txt",
                "/static/%2fetc%2fpasswd",
                "/static//etc/passwd",
                "/static/hello.txt%00.html",
                "/static/%00",
                "/static/%c0%ae%c0%ae/secret.txt", // overlong UTF-8 for '.'
                "/static/%zz",
                "/static/%2",
                "/static/./hello.txt",
                "/static/outlink.txt",            // a link to a file outside
                "/static/linkdir/passwd",          // through a link to a directory outside
                "/static/linkdir/");
        for (String path : attempts) {
            RawClient.Response r;
            try (RawClient c = new RawClient(s.address())) {
                r = c.send("GET " + path + " HTTP/1.1\r\n" + HOST + "\r\n").read();
            }
            assertTrue(r.status() == 400 || r.status() == 404, path + " got " + r.status());
            assertFalse(r.text().contains(SECRET), path + " leaked the secret");
        }
        // A name longer than the file system takes names no file: 404, not a server error.
        assertEquals(404, get(s, req("GET", "/static/" + "a".repeat(300))).status());
        // Double encoding decodes once: a file whose name is "%2e%2e", inside.
        assertEquals("a file named with a percent\n", get(s, req("GET", "/static/%252e%252e")).text());
    }

    private static long buffersInUse(HttpServer s) {
        try {
            return s.pooledBuffersInUse(0);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aClientThatDoesNotReadHoldsNoBufferAndTheJdkClientGetsTheFile() throws Exception {
        HttpServer s = server();
        byte[] huge = new byte[32 << 20];
        new Random(12).nextBytes(huge);
        Files.write(root.resolve("huge.bin"), huge);
        try (RawClient c = new RawClient(s.address())) {
            c.send(req("GET", "/static/huge.bin"));
            await(() -> s.requestsServed() == 1, "the request was answered");
            // The server's socket fills (32 MiB is more than loopback buffers hold) and the rest
            // waits in the file, not in memory: only the loop's read buffer is in use.
            await(() -> buffersInUse(s) <= 1, "the loop holds no buffer for the unread response");
            assertArrayEquals(huge, c.read().body());
        }
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try {
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + s.address().getPort() + "/static/big.bin")).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            assertArrayEquals(big, r.body());
            HttpResponse<String> ranged = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + s.address().getPort() + "/static/hello.txt"))
                    .header("Range", "bytes=7-11").build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            assertEquals(206, ranged.statusCode());
            assertEquals("files", ranged.body());
        } finally {
            client.close();
        }
    }

    @Test
    void aFifoInTheDirectoryIsNotServedAndDoesNotStopTheLoop() throws Exception {
        Process mkfifo = new ProcessBuilder("mkfifo", root.resolve("pipe").toString()).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mkfifo.waitFor() == 0, "SKIPPED: mkfifo failed");
        HttpServer s = server();
        // open(2) of a FIFO with no writer blocks, unless O_NONBLOCK: the one loop would hang.
        assertEquals(404, get(s, req("GET", "/static/pipe")).status());
        assertEquals("Hello, files!\n", get(s, req("GET", "/static/hello.txt")).text());
    }
}
