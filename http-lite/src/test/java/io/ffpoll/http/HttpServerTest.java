package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import io.ffpoll.http.serve.ServerSockets;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static io.ffpoll.http.ServerProbe.partialRequests;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** http-lite end to end over loopback with raw sockets and java.net.http. */
class HttpServerTest extends HttpTestBase {

    @Test
    void servesTheBenchmarkRoutesToAStandardClient() throws Exception {
        HttpServer s = standard(2);
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            standardClient(client, s);
        }
    }

    private static void standardClient(HttpClient client, HttpServer s) throws Exception {
        URI base = URI.create("http://127.0.0.1:" + s.address().getPort());
        HttpResponse<String> plain = client.send(HttpRequest.newBuilder(base.resolve("/plaintext")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, plain.statusCode());
        assertEquals("Hello, World!", plain.body());
        assertEquals("text/plain", plain.headers().firstValue("content-type").orElseThrow());
        assertTrue(plain.headers().firstValue("date").orElseThrow().endsWith(" GMT"));
        assertEquals("ffpoll", plain.headers().firstValue("server").orElseThrow());
        HttpResponse<String> json = client.send(HttpRequest.newBuilder(base.resolve("/json")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("{\"message\":\"Hello, World!\"}", json.body());
        assertEquals("application/json", json.headers().firstValue("content-type").orElseThrow());
        HttpResponse<String> echo = client.send(HttpRequest.newBuilder(base.resolve("/echo"))
                .POST(HttpRequest.BodyPublishers.ofString("round trip")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("round trip", echo.body());
        HttpResponse<String> missing = client.send(HttpRequest.newBuilder(base.resolve("/missing")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, missing.statusCode());
    }

    @Test
    void keepAliveServesManyRequestsOnOneConnection() throws Exception {
        HttpServer s = standard(1);
        try (RawClient c = new RawClient(s.address())) {
            for (int i = 0; i < 5; i++) {
                RawClient.Response r = c.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read();
                assertEquals(200, r.status());
                assertEquals("Hello, World!", r.text());
                assertNull(r.header("connection"));
            }
        }
    }

    @Test
    void sixteenPipelinedRequestsAreAnsweredInOrder() throws Exception {
        HttpServer s = standard(1);
        StringBuilder pipeline = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            String body = "request-" + i;
            pipeline.append(i % 3 == 0 ? "GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n"
                    : "POST /echo HTTP/1.1\r\n" + HOST + "Content-Length: " + body.length() + "\r\n\r\n" + body);
        }
        try (RawClient c = new RawClient(s.address())) {
            c.send(pipeline.toString());
            for (int i = 0; i < 16; i++) {
                RawClient.Response r = c.read();
                assertEquals(200, r.status());
                assertEquals(i % 3 == 0 ? "Hello, World!" : "request-" + i, r.text(), "response " + i);
            }
        }
    }

    @Test
    void chunkedRequestBodiesAreDecoded() throws Exception {
        HttpServer s = standard(1);
        try (RawClient c = new RawClient(s.address())) {
            c.send("POST /echo HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n");
            c.send("4;ext=1\r\nWiki\r\n");
            await(() -> partialRequests(s) == 1, "the server has the first chunk");
            c.send("5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals("Wikipedia", r.text());
            assertEquals("9", r.header("content-length"));
        }
    }

    @Test
    void chunkedResponsesAreStreamedAndSentWholeToHttp10() throws Exception {
        HttpServer s = start(builder().threads(1).route("GET", "/stream",
                r -> Response.chunked(200, "text/plain", List.of("one,".getBytes(), "two,".getBytes(), "three".getBytes()))));
        try (RawClient c = new RawClient(s.address())) {
            RawClient.Response r = c.send("GET /stream HTTP/1.1\r\n" + HOST + "\r\n").read();
            assertEquals("chunked", r.header("transfer-encoding"));
            assertEquals("one,two,three", r.text());
        }
        try (RawClient c = new RawClient(s.address())) {
            RawClient.Response r = c.send("GET /stream HTTP/1.0\r\n\r\n").read();
            assertNull(r.header("transfer-encoding"));
            assertEquals("close", r.header("connection"));
            assertEquals("one,two,three", r.text());
        }
    }

    @Test
    void absoluteFormTargetsAreRoutedByTheirPath() throws Exception {
        HttpServer s = standard(1);
        try (RawClient c = new RawClient(s.address())) {
            RawClient.Response r = c.send("GET http://test/plaintext?x=1 HTTP/1.1\r\n" + HOST + "\r\n").read();
            assertEquals(200, r.status());
            assertEquals("Hello, World!", r.text());
        }
    }

    @Test
    void aFailingHandlerGets500AndTheConnectionServesOn() throws Exception {
        HttpServer s = start(Main.withBuiltInRoutes(builder()).threads(1)
                .route("GET", "/throws", r -> {
                    throw new IllegalStateException("handler failure, expected by the test");
                })
                .route("GET", "/null", r -> null)
                .blockingRoute("GET", "/throws-blocking", r -> {
                    throw new java.io.IOException("blocking handler failure, expected by the test");
                }));
        try (RawClient c = new RawClient(s.address())) {
            for (String path : List.of("/throws", "/null", "/throws-blocking")) {
                assertEquals(500, c.send("GET " + path + " HTTP/1.1\r\n" + HOST + "\r\n").read().status(), path);
            }
            assertEquals("Hello, World!", c.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().text());
        }
    }

    @Test
    void headGetsTheHeadersWithoutTheBody() throws Exception {
        HttpServer s = standard(1);
        try (RawClient c = new RawClient(s.address())) {
            RawClient.Response head = c.send("HEAD /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read(true);
            assertEquals(200, head.status());
            assertEquals("13", head.header("content-length"));
            // The next response starts right after the head's empty line: no body was sent.
            RawClient.Response next = c.send("GET /json HTTP/1.1\r\n" + HOST + "\r\n").read();
            assertEquals("{\"message\":\"Hello, World!\"}", next.text());
        }
    }

    @Test
    void http10ClosesUnlessKeepAliveIsAsked() throws Exception {
        HttpServer s = standard(1);
        try (RawClient c = new RawClient(s.address())) {
            RawClient.Response r = c.send("GET /plaintext HTTP/1.0\r\n\r\n").read();
            assertEquals("close", r.header("connection"));
            assertTrue(c.closedByPeer());
        }
        try (RawClient c = new RawClient(s.address())) {
            RawClient.Response r = c.send("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
            assertEquals("keep-alive", r.header("connection"));
            assertEquals(200, c.send("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read().status());
        }
    }

    @Test
    void expectContinueGetsA100BeforeTheBody() throws Exception {
        HttpServer s = standard(1);
        try (RawClient c = new RawClient(s.address())) {
            c.send("PUT /echo HTTP/1.1\r\n" + HOST + "Expect: 100-continue\r\nContent-Length: 7\r\n\r\n");
            RawClient.Response cont = c.read();
            assertEquals(100, cont.status());
            RawClient.Response r = c.send("payload").read();
            assertEquals(200, r.status());
            assertEquals("payload", r.text());
        }
    }

    @Test
    void eachInvalidClassGetsItsStatusAndACloseAndTheServerServesOn() throws Exception {
        HttpServer s = standard(2);
        Map<String, Integer> invalid = Map.ofEntries(
                Map.entry("POST /echo HTTP/1.1\r\n" + HOST + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
                Map.entry("POST /echo HTTP/1.1\r\n" + HOST + "Content-Length: 3\r\nContent-Length: 4\r\n\r\n", 400),
                Map.entry("POST /echo HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\nxyz\r\n", 400),
                Map.entry("POST /echo HTTP/1.1\r\n" + HOST + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
                Map.entry("GET / HTTP/1.1\r\n\r\n", 400),
                Map.entry("GET / HTTP/1.1\r\n" + HOST + "Bad Name: x\r\n\r\n", 400),
                Map.entry("GET /" + "x".repeat(2000) + " HTTP/1.1\r\n" + HOST + "\r\n", 414),
                Map.entry("GET / HTTP/1.1\r\n" + HOST + ("X-Long: " + "y".repeat(500) + "\r\n").repeat(10) + "\r\n", 431),
                Map.entry("POST /echo HTTP/1.1\r\n" + HOST + "Content-Length: 100000\r\n\r\n", 413),
                Map.entry("GET / HTTP/3.0\r\n" + HOST + "\r\n", 505));
        for (Map.Entry<String, Integer> e : invalid.entrySet()) {
            String request = e.getKey();
            String name = request.substring(0, Math.min(60, request.length()));
            // Whole, split in two, and a byte at a time: the same status and close each way.
            for (String way : List.of("whole", "split", "slow")) {
                try (RawClient c = new RawClient(s.address())) {
                    try {
                        switch (way) {
                            case "whole" -> c.send(request);
                            case "split" -> c.send(request.substring(0, request.length() / 2))
                                    .send(request.substring(request.length() / 2));
                            default -> {
                                for (int i = 0; i < request.length(); i++) {
                                    c.send(request.substring(i, i + 1));
                                }
                            }
                        }
                    } catch (java.net.SocketException answeredEarly) {
                        // the server answered and closed before the rest was sent: read its answer
                    }
                    RawClient.Response r = c.read();
                    assertEquals(e.getValue(), r.status(), way + " " + name);
                    assertEquals("close", r.header("connection"), way + " " + name);
                    assertTrue(c.closedByPeer(), "connection left open after " + r.status());
                }
            }
            try (RawClient ok = new RawClient(s.address())) {
                assertEquals(200, ok.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().status());
            }
        }
    }

    @Test
    void aBlockingHandlerDoesNotHoldUpTheLoop() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HttpServer s = start(Main.withBuiltInRoutes(builder()).threads(1)
                .blockingRoute("GET", "/slow", r -> {
                    running.countDown();
                    // Released only after the other connection got its answer from the (only) loop:
                    // a loop held by this handler would never give it, and the test would time out.
                    assertTrue(release.await(30, TimeUnit.SECONDS));
                    return Response.text(200, "slept");
                }));
        try (RawClient slow = new RawClient(s.address()); RawClient fast = new RawClient(s.address())) {
            // Pipelined behind the slow request on its connection: answered after it, in order.
            slow.send("GET /slow HTTP/1.1\r\n" + HOST + "\r\nGET /json HTTP/1.1\r\n" + HOST + "\r\n");
            assertTrue(running.await(30, TimeUnit.SECONDS));
            RawClient.Response r = fast.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read();
            assertEquals(200, r.status());
            release.countDown();
            assertEquals("slept", slow.read().text());
            assertEquals("{\"message\":\"Hello, World!\"}", slow.read().text());
        }
    }

    @Test
    void reusePortWithTwoLoopsSpreadsConnectionsOverBoth() throws Exception {
        HttpServer s = start(Main.withBuiltInRoutes(builder()).threads(2)
                .acceptMode(HttpServer.AcceptMode.REUSEPORT));
        for (int i = 0; i < 40; i++) {
            try (RawClient c = new RawClient(s.address())) {
                assertEquals(200, c.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().status());
            }
        }
        assertTrue(s.accepted(0) > 0 && s.accepted(1) > 0,
                "connections landed on loops: " + s.accepted(0) + " and " + s.accepted(1));
        assertEquals(40, s.accepted(0) + s.accepted(1));
    }

    @Test
    void acceptorModeHandsConnectionsToTheLoopsRoundRobin() throws Exception {
        HttpServer s = start(Main.withBuiltInRoutes(builder()).threads(2)
                .acceptMode(HttpServer.AcceptMode.ACCEPTOR));
        for (int i = 0; i < 4; i++) {
            try (RawClient c = new RawClient(s.address())) {
                assertEquals(200, c.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().status());
            }
        }
        assertEquals(2, s.accepted(0));
        assertEquals(2, s.accepted(1));
    }

    @Test
    void atTheConnectionLimitNewConnectionsWaitInTheBacklogUntilOneCloses() throws Exception {
        HttpServer s = start(Main.withBuiltInRoutes(builder()).threads(1).maxConnections(2));
        RawClient a = new RawClient(s.address());
        RawClient b = new RawClient(s.address());
        assertEquals(200, a.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().status());
        assertEquals(200, b.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().status());
        await(s::acceptingSuspended, "accepting is suspended at the limit");
        try (RawClient waiting = new RawClient(s.address())) {
            // The kernel completes the handshake; the request waits in the backlog, unread.
            waiting.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n");
            assertEquals(2, s.accepted(0), "accepted beyond the limit");
            a.close();
            b.close();
            // A place is free: the waiting connection is accepted and answered, not dropped.
            RawClient.Response r = waiting.read();
            assertEquals(200, r.status());
            assertEquals(3, s.accepted(0));
        }
    }

    @Test
    void theDefaultConnectionLimitIsTheDescriptorLimitLessAReserve() throws Exception {
        long softLimit = -1;
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                softLimit = Long.parseLong(line.substring("Max open files".length()).trim().split("\\s+")[0]);
            }
        }
        HttpServer s = standard(1);
        assertEquals(softLimit - ServerSockets.RESERVED_FDS, s.maxConnections());
        HttpServer.Builder b = Main.parse(new String[] {"--port", "0", "--max-connections", "15000", "--threads", "1"},
                System.err);
        HttpServer configured = start(b);
        assertEquals(15000, configured.maxConnections());
        assertThrows(IllegalArgumentException.class, () -> HttpServer.builder().maxConnections(0));
    }

    @Test
    void slowRequestsGet408AndIdleConnectionsAreClosed() throws Exception {
        HttpServer s = start(Main.withBuiltInRoutes(builder()).threads(1)
                .timeouts(Duration.ofMillis(1500), Duration.ofMillis(1500)));
        try (RawClient partial = new RawClient(s.address()); RawClient idle = new RawClient(s.address())) {
            partial.send("GET /plaintext HTTP/1.1\r\nHo");
            assertEquals(200, idle.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().status());
            RawClient.Response r = partial.read();
            assertEquals(408, r.status());
            assertTrue(partial.closedByPeer());
            assertTrue(idle.closedByPeer(), "idle keep-alive connection not closed");
        }
    }

    @Test
    void largeBodiesEchoIntact() throws Exception {
        HttpServer s = standard(1);
        byte[] big = new byte[60 * 1024];
        new java.util.Random(5).nextBytes(big);
        try (RawClient c = new RawClient(s.address())) {
            c.send("POST /echo HTTP/1.1\r\n" + HOST + "Content-Length: " + big.length + "\r\n\r\n");
            c.send(new String(big, java.nio.charset.StandardCharsets.ISO_8859_1));
            assertArrayEquals(big, c.read().body());
        }
    }
}
