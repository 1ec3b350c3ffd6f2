package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.ffpoll.http.ServerProbe.partialRequests;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Routes whose response is a stage that any thread completes later. */
class AsyncRouteTest extends HttpTestBase {
    record Pending(Request request, CompletableFuture<Response> response) {}

    private final BlockingQueue<Pending> pending = new LinkedBlockingQueue<>();
    private final AtomicInteger quickCalls = new AtomicInteger();

    private HttpServer server(HttpServer.Builder b) throws java.io.IOException {
        return start(b.threads(1)
                .asyncRoute("POST", "/async/{id}", r -> {
                    CompletableFuture<Response> f = new CompletableFuture<>();
                    pending.add(new Pending(r, f));
                    return f;
                })
                .asyncRoute("GET", "/throws", r -> {
                    throw new IllegalStateException("async handler failure, expected by the test");
                })
                .asyncRoute("GET", "/null", r -> null)
                .route("GET", "/quick", r -> Response.text(200, "quick " + quickCalls.incrementAndGet())));
    }

    private Pending next() throws InterruptedException {
        Pending p = pending.poll(30, TimeUnit.SECONDS);
        assertNotNull(p, "the async handler ran");
        return p;
    }

    private static String post(String id, String body) {
        return "POST /async/" + id + " HTTP/1.1\r\n" + HOST + "Content-Length: " + body.length() + "\r\n\r\n" + body;
    }

    @Test
    void aResponseCompletedByAnotherThreadIsWrittenOnTheConnection() throws Exception {
        HttpServer s = server(builder());
        try (RawClient c = new RawClient(s.address()); RawClient other = new RawClient(s.address())) {
            c.send(post("7", "payload"));
            Pending p = next();
            // The loop serves another connection meanwhile, and its shared request with it:
            // the async handler's request is a copy of its own.
            assertEquals("quick 1", other.send("GET /quick HTTP/1.1\r\n" + HOST + "\r\n").read().text());
            Thread completer = Thread.ofPlatform().start(() -> p.response().complete(Response.text(200,
                    p.request().pathParameter("id") + ":" + new String(p.request().body(), StandardCharsets.UTF_8)
                            + ":" + p.request().remoteAddress().getPort())));
            RawClient.Response r = c.read();
            completer.join();
            assertEquals(200, r.status());
            assertTrue(r.text().startsWith("7:payload:"), r.text());
            // The connection goes on with its next request.
            assertEquals("quick 2", c.send("GET /quick HTTP/1.1\r\n" + HOST + "\r\n").read().text());
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderAfterAnAsyncOne() throws Exception {
        HttpServer s = server(builder());
        try (RawClient c = new RawClient(s.address())) {
            c.send(post("1", "first") + "GET /quick HTTP/1.1\r\n" + HOST + "\r\n" + post("3", "third"));
            Pending first = next();
            // The rest of the pipeline is on the server (one write, read with the first
            // request), kept unanswered while the first waits.
            await(() -> partialRequests(s) == 1, "the server holds the rest of the pipeline");
            assertEquals(0, quickCalls.get(), "a request after a pending async one was handled");
            first.response().completeAsync(() -> Response.text(200, "first done"));
            assertEquals("first done", c.read().text());
            assertEquals("quick 1", c.read().text());
            Pending third = next();
            third.response().complete(Response.text(201, "third done"));
            RawClient.Response r = c.read();
            assertEquals(201, r.status());
            assertEquals("third done", r.text());
        }
    }

    @Test
    void anExceptionalStageAThrowingHandlerOrANullStageAnswer500() throws Exception {
        HttpServer s = server(builder());
        try (RawClient c = new RawClient(s.address())) {
            c.send(post("9", "x"));
            next().response().completeExceptionally(new java.io.IOException("backend gone, expected by the test"));
            assertEquals(500, c.read().status());
            assertEquals(500, c.send("GET /throws HTTP/1.1\r\n" + HOST + "\r\n").read().status());
            assertEquals(500, c.send("GET /null HTTP/1.1\r\n" + HOST + "\r\n").read().status());
            assertEquals("quick 1", c.send("GET /quick HTTP/1.1\r\n" + HOST + "\r\n").read().text());
        }
    }

    @Test
    void theErrorHandlerAnswersAnExceptionalStageWithItsCause() throws Exception {
        HttpServer s = server(builder().onError((r, t) -> Response.text(502, "upstream: " + t.getMessage())));
        try (RawClient c = new RawClient(s.address())) {
            c.send(post("9", "x"));
            next().response().completeAsync(() -> {
                throw new IllegalStateException("refused, expected by the test");
            });
            RawClient.Response r = c.read();
            assertEquals(502, r.status());
            assertEquals("upstream: refused, expected by the test", r.text());
        }
    }

    @Test
    void aClientThatLeavesBeforeCompletionLeavesNothingBehind() throws Exception {
        HttpServer s = server(builder());
        Socket socket = new Socket();
        Pending p;
        try {
            socket.connect(s.address(), 30_000);
            socket.getOutputStream().write(post("5", "bye").getBytes(StandardCharsets.US_ASCII));
            p = next();
            socket.setSoLinger(true, 0);
        } finally {
            socket.close();
        }
        // Completing it afterwards is harmless: the server writes, finds the client gone, closes.
        p.response().complete(Response.text(200, "too late"));
        await(() -> s.openConnections() == 0, "the connection closed");
        p.response().complete(Response.text(200, "twice")); // no effect on a completed stage
        try (RawClient c = new RawClient(s.address())) {
            assertEquals("quick 1", c.send("GET /quick HTTP/1.1\r\n" + HOST + "\r\n").read().text());
        }
    }

    @Test
    void aStageThatNeverCompletesIsBoundedByTheRequestTimeout() throws Exception {
        HttpServer s = server(builder().timeouts(Duration.ofSeconds(1), Duration.ofSeconds(60)));
        try (RawClient c = new RawClient(s.address())) {
            c.send(post("4", "never"));
            Pending p = next();
            RawClient.Response r = c.read();
            assertEquals(503, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(c.closedByPeer());
            p.response().complete(Response.text(200, "late")); // dropped: harmless
        }
        await(() -> s.openConnections() == 0, "the connection closed");
    }
}
