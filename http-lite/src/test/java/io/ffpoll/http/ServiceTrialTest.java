package io.ffpoll.http;

import io.ffpoll.http.example.UserService;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JSON-service trial program ({@link UserService}) through a standard client: path
 * parameters, a JSON POST, query parameters, a blocking route, a streamed export, custom
 * headers, and 404, 405 and 500 with custom bodies.
 */
class ServiceTrialTest extends HttpTestBase {

    private static HttpResponse<String> send(HttpClient client, HttpServer s, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.address().getPort() + path))
                .timeout(Duration.ofSeconds(30));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    @Test
    void theServiceAnswersLikeARealOne() throws Exception {
        HttpServer s = start(new UserService().routes(builder()).threads(2));
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpResponse<String> created = send(client, s, "POST", "/users", "{\"name\": \"Ada Lovelace\"}");
            assertEquals(201, created.statusCode());
            assertEquals("/users/1", created.headers().firstValue("location").orElseThrow());
            assertEquals("application/json", created.headers().firstValue("content-type").orElseThrow());
            assertEquals("{\"id\":1,\"name\":\"Ada Lovelace\"}", created.body());
            send(client, s, "POST", "/users", "{\"name\":\"Grace Hopper\"}");

            HttpResponse<String> one = send(client, s, "GET", "/users/2", null);
            assertEquals(200, one.statusCode());
            assertEquals("{\"id\":2,\"name\":\"Grace Hopper\"}", one.body());
            assertEquals("no-store", one.headers().firstValue("cache-control").orElseThrow());

            assertEquals(404, send(client, s, "GET", "/users/99", null).statusCode());
            assertEquals(400, send(client, s, "GET", "/users/abc", null).statusCode());
            assertEquals(422, send(client, s, "POST", "/users", "[]").statusCode());

            HttpResponse<String> byName = send(client, s, "GET", "/users?name=Grace%20Hopper&name=ignored", null);
            assertEquals("[{\"id\":2,\"name\":\"Grace Hopper\"}]", byName.body());

            HttpResponse<String> report = send(client, s, "GET", "/reports/daily%20users", null);
            assertEquals("{\"report\":\"daily users\",\"users\":2}", report.body());

            HttpResponse<String> export = send(client, s, "GET", "/export", null);
            assertEquals("1,Ada Lovelace\n2,Grace Hopper\n", export.body());
            assertEquals("chunked", export.headers().firstValue("transfer-encoding").orElseThrow());

            HttpResponse<String> missing = send(client, s, "GET", "/nothing/here", null);
            assertEquals(404, missing.statusCode());
            assertEquals("{\"error\":\"no such resource: /nothing/here\"}", missing.body());

            HttpResponse<String> wrongMethod = send(client, s, "DELETE", "/users/1", null);
            assertEquals(405, wrongMethod.statusCode());
            assertEquals(List.of("GET, HEAD"), wrongMethod.headers().allValues("allow"));
            HttpResponse<String> wrongOnCollection = send(client, s, "PUT", "/users", "{}");
            assertEquals(405, wrongOnCollection.statusCode());
            assertEquals("GET, HEAD, POST", wrongOnCollection.headers().firstValue("allow").orElseThrow());

            HttpResponse<String> boom = send(client, s, "GET", "/boom", null);
            assertEquals(500, boom.statusCode());
            assertEquals("{\"error\":\"internal error\"}", boom.body());
            // and the service goes on
            assertEquals(200, send(client, s, "GET", "/users/1", null).statusCode());
        }
    }

    @Test
    void routesMatchInTheDocumentedOrder() throws Exception {
        HttpServer s = start(builder().threads(1)
                .route("GET", "/files/{name}", r -> Response.text(200, "pattern " + r.pathParameter("name")))
                .route("GET", "/files/readme", r -> Response.text(200, "exact"))
                .route("GET", "/files/*", r -> Response.text(200, "prefix " + r.path()))
                .route("GET", "/files/deep/*", r -> Response.text(200, "longer prefix " + r.path()))
                .route("*", "/any", r -> Response.text(200, "any " + r.method()))
                .route("GET", "/q", r -> Response.text(200, r.queryParameters().toString() + " from "
                        + (r.remoteAddress().getAddress().isLoopbackAddress() ? "loopback" : "elsewhere"))));
        try (RawClient c = new RawClient(s.address())) {
            assertEquals("exact", c.send("GET /files/readme HTTP/1.1\r\n" + HOST + "\r\n").read().text());
            assertEquals("pattern a b", c.send("GET /files/a%20b HTTP/1.1\r\n" + HOST + "\r\n").read().text());
            assertEquals("prefix /files/a/b", c.send("GET /files/a/b HTTP/1.1\r\n" + HOST + "\r\n").read().text());
            assertEquals("longer prefix /files/deep/x", c.send("GET /files/deep/x HTTP/1.1\r\n" + HOST + "\r\n").read().text());
            assertEquals("prefix /files", c.send("GET /files HTTP/1.1\r\n" + HOST + "\r\n").read().text());
            assertEquals("any PATCH", c.send("PATCH /any HTTP/1.1\r\n" + HOST + "Content-Length: 0\r\n\r\n").read().text());
            assertEquals("{a=[1, 2], b=[x y], c=[], é=[ü]} from loopback", new String(
                    c.send("GET /q?a=1&b=x+y&a=2&c&%C3%A9=%C3%BC HTTP/1.1\r\n" + HOST + "\r\n").read().body(),
                    StandardCharsets.UTF_8));
            RawClient.Response head = c.send("HEAD /files/readme HTTP/1.1\r\n" + HOST + "\r\n").read(true);
            assertEquals(200, head.status());
            assertEquals("5", head.header("content-length"));
        }
    }

    @Test
    void bodiesComeAsBytesOrAsAStreamAndTextIsUtf8() throws Exception {
        HttpServer s = start(builder().threads(1)
                .route("POST", "/count", r -> {
                    try (var in = r.bodyStream()) {
                        return Response.text(200, String.valueOf(in.readAllBytes().length) + "/" + r.bodyLength());
                    }
                })
                .route("GET", "/greek", r -> Response.text(200, "Καλημέρα κόσμε")));
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            assertEquals("10000/10000", send(client, s, "POST", "/count", "x".repeat(10_000)).body());
            HttpResponse<String> greek = send(client, s, "GET", "/greek", null);
            assertEquals("Καλημέρα κόσμε", greek.body());
            assertEquals("text/plain; charset=utf-8", greek.headers().firstValue("content-type").orElseThrow());
        }
    }

    @Test
    void aStreamedBodyWaitsForASlowReaderAndPipelinedRequestsWaitForIt() throws Exception {
        // 16 MB: half of it is four times what the kernel holds on loopback here (tcp_wmem max
        // 4 MiB plus the client's receive buffer), which 2,000 pieces (4 MB at half) was not.
        int pieces = 4000;
        byte[] piece = new byte[4096];
        java.util.Arrays.fill(piece, (byte) 'x');
        java.util.concurrent.atomic.AtomicInteger produced = new java.util.concurrent.atomic.AtomicInteger();
        HttpServer s = start(builder().threads(1)
                .route("GET", "/big", r -> Response.stream(200, "application/octet-stream", (long) pieces * piece.length, () -> {
                    int[] left = {pieces};
                    return () -> {
                        if (left[0] == 0) {
                            return null;
                        }
                        left[0]--;
                        produced.incrementAndGet();
                        return piece;
                    };
                }))
                .route("GET", "/after", r -> Response.text(200, "after")));
        try (RawClient c = new RawClient(s.address())) {
            c.send("GET /big HTTP/1.1\r\n" + HOST + "\r\nGET /after HTTP/1.1\r\n" + HOST + "\r\n");
            // The client reads nothing yet: the producer is held back far short of the 16 MB.
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            int seen = -1;
            while (seen != produced.get()) { // until production stops: the back-pressure
                seen = produced.get();
                Thread.sleep(50);
                assertTrue(System.nanoTime() < deadline);
            }
            assertTrue(produced.get() < pieces / 2, produced.get() + " pieces produced for a client that reads nothing");
            RawClient.Response big = c.read();
            assertEquals(200, big.status());
            assertEquals((long) pieces * piece.length, big.body().length);
            assertEquals(pieces, produced.get());
            assertEquals("after", c.read().text(), "the pipelined request waited for the stream");
        }
    }

    @Test
    void aProducerThatFailsOrLiesAboutItsLengthAbortsOnlyItsConnection() throws Exception {
        HttpServer s = start(builder().threads(1)
                .route("GET", "/fails", r -> Response.stream(200, null, () -> {
                    int[] n = {0};
                    return () -> {
                        if (n[0]++ == 2) {
                            throw new IllegalStateException("expected by the test");
                        }
                        return "part".getBytes();
                    };
                }))
                .route("GET", "/short", r -> Response.stream(200, null, 100, () -> {
                    boolean[] done = {false};
                    return () -> {
                        if (done[0]) {
                            return null;
                        }
                        done[0] = true;
                        return "only ten b".getBytes();
                    };
                }))
                .route("GET", "/ok", r -> Response.text(200, "ok")));
        for (String path : new String[] {"/fails", "/short"}) {
            try (RawClient c = new RawClient(s.address())) {
                c.send("GET " + path + " HTTP/1.1\r\n" + HOST + "\r\n");
                assertFalse(readsAWholeResponse(c), path + " must not look complete");
            }
        }
        try (RawClient c = new RawClient(s.address())) {
            assertEquals("ok", c.send("GET /ok HTTP/1.1\r\n" + HOST + "\r\n").read().text());
        }
    }

    private static boolean readsAWholeResponse(RawClient c) {
        try {
            c.read();
            return true;
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }
}
