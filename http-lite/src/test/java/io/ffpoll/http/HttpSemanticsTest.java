package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 9110 / 9112 semantics end to end: framing per status and version, expectations, prompt errors. */
class HttpSemanticsTest extends HttpTestBase {

    private HttpServer server() throws IOException {
        return start(Main.withBuiltInRoutes(builder()).threads(1).limits(1024, 4096, 64 * 1024)
                .route("GET", "/no-content", r -> Response.of(204, "text/plain", "dropped".getBytes()))
                .route("GET", "/not-modified", r -> Response.of(304, "text/plain", "dropped".getBytes()))
                .route("GET", "/stream", r -> Response.chunked(200, "text/csv", List.of("a,".getBytes(), "b".getBytes()))
                        .withHeader("X-Extra", "kept"))
                .route("GET", "/content-type", r -> Response.text(200, String.valueOf(r.header("Content-Type"))))
                .route("GET", "/error", r -> {
                    throw new StackOverflowError("handler Error, expected by the test");
                })
                .blockingRoute("GET", "/error-blocking", r -> {
                    throw new AssertionError("blocking handler Error, expected by the test");
                }));
    }

    @Test
    void noContentAndNotModifiedCarryNoBodyAndNoLengthAndTheNextResponseIsIntact() throws Exception {
        HttpServer s = server();
        for (String path : List.of("/no-content", "/not-modified")) {
            try (RawClient c = new RawClient(s.address())) {
                // Pipelined: a body sent after the 204/304 would be read as the next response.
                c.send("GET " + path + " HTTP/1.1\r\n" + HOST + "\r\nGET /plaintext HTTP/1.1\r\n" + HOST + "\r\n");
                RawClient.Response r = c.read();
                assertNull(r.header("content-length"), path + " has a Content-Length (RFC 9110 8.6)");
                assertNull(r.header("transfer-encoding"), path);
                RawClient.Response next = c.read();
                assertEquals(200, next.status(), "the response after " + path);
                assertEquals("Hello, World!", next.text());
            }
        }
    }

    @Test
    void http10GetsAChunkedResponseWholeWithItsLengthAndFields() throws Exception {
        HttpServer s = server();
        try (RawClient c = new RawClient(s.address())) {
            RawClient.Response r = c.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
            assertEquals("a,b", r.text());
            assertEquals("3", r.header("content-length"));
            assertEquals("text/csv", r.header("content-type"));
            assertEquals("kept", r.header("x-extra"));
            assertNull(r.header("transfer-encoding"));
            // keep-alive survives: the length frames the body
            assertEquals(200, c.send("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read().status());
        }
    }

    @Test
    void expectContinueIsAnsweredWithTheFinalStatusWhenThereIsNoRoute() throws Exception {
        HttpServer s = server();
        try (RawClient c = new RawClient(s.address())) {
            RawClient.Response r = c.send("PUT /missing HTTP/1.1\r\n" + HOST
                    + "Expect: 100-continue\r\nContent-Length: 10\r\n\r\n").read();
            assertEquals(404, r.status(), "100 Continue for a request that will get 404");
            assertEquals("close", r.header("connection"));
        }
    }

    @Test
    void anUnknownExpectationGets417() throws Exception {
        HttpServer s = server();
        try (RawClient c = new RawClient(s.address())) {
            RawClient.Response r = c.send("PUT /echo HTTP/1.1\r\n" + HOST
                    + "Expect: 100-continue, x-fancy\r\nContent-Length: 2\r\n\r\nhi").read();
            assertEquals(417, r.status());
        }
        try (RawClient c = new RawClient(s.address())) { // HTTP/1.0: expectations are ignored
            RawClient.Response r = c.send("PUT /echo HTTP/1.0\r\nExpect: x-fancy\r\nContent-Length: 2\r\n\r\nhi").read();
            assertEquals(200, r.status());
            assertEquals("hi", r.text());
        }
    }

    @Test
    void garbageThatCannotBeHttpGetsAPrompt400WithoutAWait() throws Exception {
        HttpServer s = server();
        byte[] clientHello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03};
        byte[] random = new byte[64];
        new java.util.Random(4).nextBytes(random);
        random[0] = (byte) 0x85;
        for (byte[] junk : List.of(clientHello, random, "GET /a\u0001".getBytes(StandardCharsets.ISO_8859_1),
                "GET / HTTP/1.1\r\nHost: x\r\nBad\u0000Name".getBytes(StandardCharsets.ISO_8859_1))) {
            try (Socket socket = new Socket()) {
                socket.connect(s.address(), 30_000);
                socket.setSoTimeout(30_000); // no head end ever comes: only an early rejection answers
                OutputStream out = socket.getOutputStream();
                out.write(junk);
                out.flush();
                RawClient.Response r = new RawClient(socket, socket.getInputStream()).read();
                assertEquals(400, r.status());
                InputStream in = socket.getInputStream();
                assertEquals(-1, in.read(), "closed after the 400");
            }
        }
    }

    @Test
    void headerLookupIgnoresCaseOnBothSides() throws Exception {
        HttpServer s = server();
        try (RawClient c = new RawClient(s.address())) {
            RawClient.Response r = c.send("GET /content-type HTTP/1.1\r\n" + HOST + "content-TYPE: application/json\r\n\r\n").read();
            assertEquals("application/json", r.text());
        }
    }

    @Test
    void handlersThatThrowAnErrorGet500AndTheConnectionServesOn() throws Exception {
        HttpServer s = server();
        try (RawClient c = new RawClient(s.address())) {
            for (String path : List.of("/error", "/error-blocking", "/error-blocking")) {
                assertEquals(500, c.send("GET " + path + " HTTP/1.1\r\n" + HOST + "\r\n").read().status(), path);
            }
            assertEquals("Hello, World!", c.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().text());
        }
    }

    @Test
    void limitsOutOfRangeAreRefusedByTheBuilder() {
        HttpServer.Builder b = HttpServer.builder();
        assertThrows(IllegalArgumentException.class, () -> b.limits(8192, 16384, 1L << 40)); // body over 16 MiB
        assertThrows(IllegalArgumentException.class, () -> b.limits(8192, 16384, -1));
        assertThrows(IllegalArgumentException.class, () -> b.limits(8, 16384, 1024)); // request line under 16
        assertThrows(IllegalArgumentException.class, () -> b.limits(32768, 16384, 1024)); // line beyond the head
        assertThrows(IllegalArgumentException.class, () -> b.limits(8192, 2 << 20, 1024)); // head over 1 MiB
        assertThrows(IllegalArgumentException.class, () -> b.timeouts(java.time.Duration.ZERO, java.time.Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> b.writeTimeout(java.time.Duration.ofSeconds(-1)));
    }

    @Test
    void handlersCannotSetFramingOrServerFieldsOrControlCharacters() {
        Response r = Response.text(200, "x");
        for (String name : List.of("Content-Length", "transfer-encoding", "Connection", "Date", "Server", "Upgrade")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.withHeader(name, "5"));
            assertTrue(e.getMessage().contains("set by the server"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> r.withHeader("X-A", "a\r\nX-B: b"));
        assertThrows(IllegalArgumentException.class, () -> r.withHeader("X-A", "a\u0000"));
        assertThrows(IllegalArgumentException.class, () -> r.withHeader("X A", "a"));
        assertThrows(IllegalArgumentException.class, () -> Response.text(100, "interim"));
    }

    @Test
    void aMethodNoRouteKnowsGets501AndAKnownOneAtAnotherMethodsPathStill405() throws Exception {
        HttpServer s = start(Main.withBuiltInRoutes(builder()).threads(1)
                .route("PURGE", "/cache", r -> Response.text(200, "purged\n")));
        try (RawClient c = new RawClient(s.address())) {
            // RFC 9110 9.1: an unrecognized method is 501, wherever it is sent.
            for (String m : List.of("BREW", "FROB", "get")) {
                RawClient.Response r = c.send(m + " /missing HTTP/1.1\r\n" + HOST + "\r\n").read();
                assertEquals(501, r.status(), m + " on a missing path");
                r = c.send(m + " /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read();
                assertEquals(501, r.status(), m + " on a GET route's path");
            }
            // A method some route knows, and the standard ones, stay 404 and 405.
            assertEquals(404, c.send("PURGE /missing HTTP/1.1\r\n" + HOST + "\r\n").read().status());
            assertEquals(404, c.send("DELETE /missing HTTP/1.1\r\n" + HOST + "\r\n").read().status());
            RawClient.Response r = c.send("PURGE /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read();
            assertEquals(405, r.status());
            assertEquals("GET, HEAD", r.header("allow"));
            assertEquals(405, c.send("PATCH /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().status());
            assertEquals("purged\n", c.send("PURGE /cache HTTP/1.1\r\n" + HOST + "\r\n").read().text());
        }
        // A fallback handler takes whatever no route took, unknown methods too: it is the user's.
        HttpServer f = start(builder().threads(1).fallback(r -> Response.text(200, r.method())));
        try (RawClient c = new RawClient(f.address())) {
            assertEquals("BREW", c.send("BREW /pot HTTP/1.1\r\n" + HOST + "\r\n").read().text());
        }
    }

    @Test
    void routesThatCouldNeverRunAreRefusedAndContentTypeIsReplaced() throws Exception {
        HttpServer.Builder b = builder().route("GET", "/page", r -> Response.text(200, "page"));
        assertThrows(IllegalArgumentException.class, () -> b.route("GET", "/page", r -> Response.text(200, "again")));
        assertThrows(IllegalArgumentException.class, () -> b.webSocket("/page", new WebSocketHandler() {}));
        assertThrows(IllegalArgumentException.class, () -> b.route("GET", "/a*b", r -> Response.text(200, "")));
        assertThrows(IllegalArgumentException.class, () -> b.files("/static/*", java.nio.file.Path.of(".")));
        assertThrows(IllegalArgumentException.class, () -> b.webSocketLimits(2000, 1000));
        b.route("GET", "/u/{id}", r -> Response.text(200, "u"));
        assertThrows(IllegalArgumentException.class, () -> b.route("GET", "/u/{name}", r -> Response.text(200, "")),
                "a parameter's name changes nothing the route matches");
        b.route("*", "/any", r -> Response.text(200, "any"));
        assertThrows(IllegalArgumentException.class, () -> b.webSocket("/any", new WebSocketHandler() {}),
                "a route for every method takes the handshake's GET");
        b.route("POST", "/page", r -> Response.text(200, "posted")); // another method: fine
        HttpServer s = start(b.threads(1).route("GET", "/html", r -> Response.text(200, "<p>x</p>").withHeader("Content-Type", "text/html")));
        try (Socket raw = new Socket(s.address().getAddress(), s.address().getPort())) {
            raw.getOutputStream().write(("GET /html HTTP/1.1\r\n" + HOST + "Connection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String all = new String(raw.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertEquals(1, all.split("Content-Type: ", -1).length - 1, "one Content-Type: " + all);
            assertTrue(all.contains("Content-Type: text/html\r\n"), all);
        }
    }
}
