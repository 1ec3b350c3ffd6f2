package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import io.ffpoll.http.serve.Compression;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gzip: for text bodies at or above the threshold whose client accepts it, with Vary either
 * way; never for small, binary, already encoded or ranged responses, and HEAD as GET, nor when the client
 * refuses it (q=0); off with noGzip. Static files too, with a tag of their own.
 */
class CompressionTest extends HttpTestBase {
    private static final String TEXT = "All work and no play makes Jack a dull boy.\n".repeat(200);
    private static final Response CONSTANT = Response.text(200, TEXT);

    @TempDir
    Path dir;

    private HttpServer server(HttpServer.Builder b) throws Exception {
        Path root = Files.createDirectories(dir.resolve("www"));
        Files.writeString(root.resolve("page.html"), "<p>" + TEXT + "</p>");
        Files.write(root.resolve("blob.bin"), TEXT.getBytes(StandardCharsets.US_ASCII));
        return start(Main.withBuiltInRoutes(b).threads(1).files("/files", root)
                .route("GET", "/text", r -> CONSTANT)
                .route("GET", "/fresh", r -> Response.json(200, "[\"" + TEXT.replace("\n", " ") + "\"]"))
                .route("GET", "/binary", r -> Response.of(200, "application/octet-stream", TEXT.getBytes(StandardCharsets.US_ASCII)))
                .route("GET", "/encoded", r -> Response.of(200, "text/plain", TEXT.getBytes(StandardCharsets.US_ASCII))
                        .withHeader("Content-Encoding", "identity"))
                .route("GET", "/small", r -> Response.text(200, "short"))
                .route("GET", "/partial", r -> Response.text(206, TEXT).withHeader("Content-Range", "bytes 0-" + (TEXT.length() - 1) + "/99999"))
                .route("GET", "/tagged", r -> Response.text(200, TEXT).withHeader("ETag", "\"v1\""))
                .route("GET", "/no-transform", r -> Response.text(200, TEXT).withHeader("Cache-Control", "public, no-transform")));
    }

    private static RawClient.Response get(HttpServer s, String path, String... headers) throws Exception {
        try (RawClient c = new RawClient(s.address())) {
            StringBuilder req = new StringBuilder(path.startsWith("HEAD ") ? path : "GET " + path).append(" HTTP/1.1\r\n").append(HOST);
            for (String h : headers) {
                req.append(h).append("\r\n");
            }
            return c.send(req.append("\r\n").toString()).read(path.startsWith("HEAD "));
        }
    }

    static byte[] gunzip(byte[] gz) throws Exception {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    @Test
    void textIsGzippedForAClientThatTakesItAndVaryIsSaidEitherWay() throws Exception {
        HttpServer s = server(builder());
        for (String path : List.of("/text", "/fresh", "/files/page.html")) {
            RawClient.Response plain = get(s, path);
            assertNull(plain.header("content-encoding"), path);
            assertEquals("Accept-Encoding", plain.header("vary"), path);
            RawClient.Response gz = get(s, path, "Accept-Encoding: br;q=1.0, gzip;q=0.5");
            assertEquals("gzip", gz.header("content-encoding"), path);
            assertEquals("Accept-Encoding", gz.header("vary"), path);
            assertEquals(String.valueOf(gz.body().length), gz.header("content-length"));
            assertTrue(gz.body().length < plain.body().length / 5, path + ": " + gz.body().length + " bytes");
            assertArrayEquals(plain.body(), gunzip(gz.body()), path);
        }
        // Accept-Encoding forms: x-gzip, *, case; refusals: q=0, another coding only.
        assertEquals("gzip", get(s, "/text", "Accept-Encoding: X-GZIP").header("content-encoding"));
        assertEquals("gzip", get(s, "/text", "Accept-Encoding: *").header("content-encoding"));
        assertNull(get(s, "/text", "Accept-Encoding: gzip;q=0").header("content-encoding"));
        assertNull(get(s, "/text", "Accept-Encoding: gzip; q=0.000, *").header("content-encoding"));
        assertNull(get(s, "/text", "Accept-Encoding: br").header("content-encoding"));
        assertEquals("gzip", get(s, "/text", "Accept-Encoding: br", "Accept-Encoding: gzip").header("content-encoding"),
                "one list on two lines (RFC 9110 5.3)");
        // A q-value is 0 to 1 with at most three decimals (12.4.2): an element with another is not one.
        assertNull(get(s, "/text", "Accept-Encoding: gzip;q=1.5").header("content-encoding"));
        assertNull(get(s, "/text", "Accept-Encoding: gzip;q=abc").header("content-encoding"));
        assertEquals("gzip", get(s, "/text", "Accept-Encoding: gzip;q=0.001").header("content-encoding"));
        assertEquals("gzip", get(s, "/text", "Accept-Encoding: gzip;q=1.000").header("content-encoding"));
    }

    @Test
    void smallBinaryEncodedAndRangedResponsesGoAsTheyAre() throws Exception {
        HttpServer s = server(builder());
        String ae = "Accept-Encoding: gzip";
        RawClient.Response small = get(s, "/small", ae);
        assertNull(small.header("content-encoding"));
        assertNull(small.header("vary"), "below the threshold: one representation");
        assertNull(get(s, "/binary", ae).header("content-encoding"));
        assertNull(get(s, "/files/blob.bin", ae).header("content-encoding"));
        assertEquals("identity", get(s, "/encoded", ae).header("content-encoding"));
        RawClient.Response ranged = get(s, "/files/page.html", ae, "Range: bytes=0-9");
        assertEquals(206, ranged.status());
        assertNull(ranged.header("content-encoding"));
        assertEquals("<p>All wor", ranged.text());
    }

    /**
     * RFC 9110 9.3.2: HEAD's fields are those GET would send, bar the content; 8.6 and 8.8.3:
     * its Content-Length and ETag are those of the representation GET would choose.
     */
    @Test
    void aHeadGetsTheFieldsTheSameGetWould() throws Exception {
        HttpServer s = server(builder());
        for (String path : List.of("/text", "/fresh", "/files/page.html")) {
            for (String[] headers : List.of(new String[0], new String[] {"Accept-Encoding: gzip"},
                    new String[] {"Accept-Encoding: gzip;q=0"})) {
                RawClient.Response get = get(s, path, headers);
                RawClient.Response head = get(s, "HEAD " + path, headers);
                String what = path + " " + List.of(headers);
                assertEquals(get.status(), head.status(), what);
                for (String field : List.of("content-encoding", "content-length", "etag", "vary", "accept-ranges", "content-type")) {
                    assertEquals(get.header(field), head.header(field), what + ": " + field);
                }
                assertEquals(String.valueOf(get.body().length), head.header("content-length"), what);
            }
        }
        String gzipTag = get(s, "HEAD /files/page.html", "Accept-Encoding: gzip").header("etag");
        assertEquals(304, get(s, "HEAD /files/page.html", "Accept-Encoding: gzip", "If-None-Match: " + gzipTag).status());
    }

    @Test
    void aConstantResponseIsCompressedOnceAndTheGzipFileHasATagOfItsOwn() throws Exception {
        Compression k = Compression.DEFAULT;
        assertSame(CONSTANT.gzipped(k.gzip()), CONSTANT.gzipped(k.gzip()), "cached on the response");
        HttpServer s = server(builder());
        String plainTag = get(s, "/files/page.html").header("etag");
        String gzipTag = get(s, "/files/page.html", "Accept-Encoding: gzip").header("etag");
        assertNotEquals(plainTag, gzipTag);
        RawClient.Response notModified = get(s, "/files/page.html", "Accept-Encoding: gzip", "If-None-Match: " + gzipTag);
        assertEquals(304, notModified.status());
        assertEquals("Accept-Encoding", notModified.header("vary"));
        assertEquals(200, get(s, "/files/page.html", "Accept-Encoding: gzip", "If-None-Match: " + plainTag).status());
    }

    @Test
    void noGzipSendsEveryResponseAsItWasMadeAndLevelsAreChecked() throws Exception {
        HttpServer s = server(builder().noGzip());
        RawClient.Response r = get(s, "/text", "Accept-Encoding: gzip");
        assertNull(r.header("content-encoding"));
        assertNull(r.header("vary"));
        assertEquals(TEXT, r.text());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> builder().gzip(0, 10, 100));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> builder().gzip(6, 100, 10));
        HttpServer fast = server(builder().gzip(1, 16, 1 << 20));
        assertNull(get(fast, "/small", "Accept-Encoding: gzip").header("content-encoding"), "'short' is 5 bytes: under 16");
        assertArrayEquals(TEXT.getBytes(StandardCharsets.UTF_8), gunzip(get(fast, "/text", "Accept-Encoding: gzip").body()));
    }

    @Test
    void curlCompressedGetsTheSameBytes() throws Exception {
        Assumptions.assumeTrue(new File("/usr/bin/curl").canExecute(), "SKIPPED: curl is not installed");
        HttpServer s = server(builder());
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/curl", "-sS", "--compressed", "-D", "-",
                "http://127.0.0.1:" + s.address().getPort() + "/files/page.html"));
        Tool.Run r = Tool.run(cmd, "");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().contains("Content-Encoding: gzip"), r.out());
        assertTrue(r.out().endsWith("<p>" + TEXT + "</p>"), "curl decoded the body");
    }

    @Test
    void aHandlersRangeTaggedOrNoTransformResponseIsNeverCompressed() throws Exception {
        HttpServer s = server(builder());
        for (String path : List.of("/partial", "/tagged", "/no-transform")) {
            RawClient.Response r = get(s, path, "Accept-Encoding: gzip");
            assertNull(r.header("content-encoding"), path + ": its range, tag or Cache-Control names the identity bytes");
            assertEquals(TEXT, r.text(), path);
        }
        RawClient.Response gz = get(s, "/files/page.html", "Accept-Encoding: gzip");
        assertEquals("gzip", gz.header("content-encoding"));
        assertNull(gz.header("accept-ranges"), "the gzip bytes are not served in ranges");
    }

    @Test
    void aStaticFileIsCompressedOnceAndAgainWhenItChanges() throws Exception {
        HttpServer s = server(builder());
        long preads = io.ffpoll.bindings.internal.Syscalls.count("pread");
        byte[] first = get(s, "/files/page.html", "Accept-Encoding: gzip").body();
        long afterFirst = io.ffpoll.bindings.internal.Syscalls.count("pread");
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(first, get(s, "/files/page.html", "Accept-Encoding: gzip").body());
        }
        if (io.ffpoll.bindings.internal.Syscalls.COUNTING) {
            assertTrue(afterFirst > preads, "read once");
            assertEquals(afterFirst, io.ffpoll.bindings.internal.Syscalls.count("pread"), "then served from the cache");
        }
        Files.writeString(dir.resolve("www/page.html"), "<p>" + TEXT + TEXT + "</p>");
        assertEquals("<p>" + TEXT + TEXT + "</p>",
                new String(gunzip(get(s, "/files/page.html", "Accept-Encoding: gzip").body()), StandardCharsets.UTF_8),
                "a changed file is compressed again");
    }
}
