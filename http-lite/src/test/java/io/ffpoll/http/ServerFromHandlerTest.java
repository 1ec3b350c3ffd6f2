package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A handler that asks the server about itself, or stops it: on a loop thread nothing may wait
 * for the loops, so these calls return futures or start and return.
 */
class ServerFromHandlerTest extends HttpTestBase {

    @Test
    void aRouteAskingForTheServersFiguresOnTwoLoopsAnswersEveryRequest() throws Exception {
        AtomicReference<HttpServer> self = new AtomicReference<>();
        HttpServer server = start(builder().threads(2).asyncRoute("GET", "/stats", request -> self.get().stats()
                .thenApply(s -> Response.text(200, "open " + s.openConnections() + "\n"))));
        self.set(server);
        final int clients = 8;
        final int each = 30;
        List<CompletableFuture<Integer>> answered = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            answered.add(CompletableFuture.supplyAsync(() -> {
                int ok = 0;
                try (RawClient client = new RawClient(server.address())) {
                    for (int i = 0; i < each; i++) {
                        RawClient.Response r = client.send("GET /stats HTTP/1.1\r\n" + HOST + "\r\n").read();
                        if (r.status() == 200 && r.text().startsWith("open ")) {
                            ok++;
                        }
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                return ok;
            }));
        }
        int total = 0;
        for (CompletableFuture<Integer> a : answered) {
            total += a.get(60, TimeUnit.SECONDS);
        }
        assertEquals(clients * each, total, "answered with the figures");
    }

    @Test
    void closingTheServerFromAHandlerStopsItAndTheHandlerReturns() throws Exception {
        AtomicReference<HttpServer> self = new AtomicReference<>();
        AtomicBoolean closeReturned = new AtomicBoolean();
        HttpServer server = start(builder().threads(2).route("POST", "/stop", request -> {
            self.get().close(); // starts the shutdown; cannot wait here, on a loop
            closeReturned.set(true);
            return Response.text(200, "stopping\n");
        }));
        self.set(server);
        InetSocketAddress address = server.address();
        try (RawClient client = new RawClient(address)) {
            client.send("POST /stop HTTP/1.1\r\n" + HOST + "Content-Length: 0\r\n\r\n");
            // With no grace the server may close the connection before the response leaves.
            await(closeReturned::get, "close() returned in the handler");
        }
        server.shutdownAsync(Duration.ZERO).get(30, TimeUnit.SECONDS); // the handler's shutdown, done
        assertTrue(server.isStopped());
        assertEquals(0, server.openConnections());
        assertThrowsConnectException(address);
    }

    @Test
    void aGracefulShutdownFromAHandlerLetsItsResponseOut() throws Exception {
        AtomicReference<HttpServer> self = new AtomicReference<>();
        AtomicReference<CompletableFuture<Boolean>> stopping = new AtomicReference<>();
        HttpServer server = start(builder().threads(1).route("POST", "/stop", request -> {
            stopping.set(self.get().shutdownAsync(Duration.ofSeconds(30)));
            return Response.text(200, "stopping\n");
        }));
        self.set(server);
        try (RawClient client = new RawClient(server.address())) {
            RawClient.Response r = client.send("POST /stop HTTP/1.1\r\n" + HOST + "Content-Length: 0\r\n\r\n").read();
            assertEquals(200, r.status());
            assertEquals("stopping\n", r.text());
            assertEquals("close", r.header("connection"), "draining: the connection ends with this response");
            assertTrue(client.closedByPeer());
        }
        assertTrue(stopping.get().get(30, TimeUnit.SECONDS), "everything finished within the grace period");
        assertTrue(server.isStopped());
    }

    @Test
    void quickRoutesOnTwoLoopsWaitingForTheFiguresAtOnceGet500sInsteadOfStoppingTheLoops() throws Exception {
        AtomicReference<HttpServer> self = new AtomicReference<>();
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
        HttpServer server = start(builder().threads(2).acceptMode(HttpServer.AcceptMode.ACCEPTOR)
                .route("GET", "/stats", request -> {
                    // Both loops here at once, each then waiting for the other's part of the
                    // figures: two loops that waited for each other would stop for good. join()
                    // on a loop thread is refused instead, and the handler's failure is a 500.
                    together.await(30, TimeUnit.SECONDS);
                    return Response.text(200, self.get().stats().join() + "\n");
                })
                .route("GET", "/ping", request -> Response.text(200, "pong\n")));
        self.set(server);
        // ACCEPTOR hands connections out round-robin: one client on each loop.
        try (RawClient first = new RawClient(server.address()); RawClient second = new RawClient(server.address())) {
            first.send("GET /stats HTTP/1.1\r\n" + HOST + "\r\n");
            second.send("GET /stats HTTP/1.1\r\n" + HOST + "\r\n");
            assertEquals(500, first.read().status());
            assertEquals(500, second.read().status());
            assertEquals(200, first.send("GET /ping HTTP/1.1\r\n" + HOST + "\r\n").read().status());
            assertEquals(200, second.send("GET /ping HTTP/1.1\r\n" + HOST + "\r\n").read().status());
        }
    }

    @Test
    void aResponseLargerThanTheWriteQueuesCapIsSentWhole() throws Exception {
        byte[] body = new byte[(64 << 20) + 1]; // one byte over the connection's default cap
        HttpServer server = start(builder().threads(1)
                .route("GET", "/big", request -> Response.of(200, "application/octet-stream", body))
                .route("POST", "/after", request -> Response.text(200, "after\n")));
        try (RawClient c = new RawClient(server.address())) {
            c.send("GET /big HTTP/1.1\r\n" + HOST + "\r\n" + "POST /after HTTP/1.1\r\n" + HOST
                    + "Content-Length: 0\r\n\r\n");
            RawClient.Response big = c.read();
            assertEquals(200, big.status());
            assertEquals(body.length, big.body().length);
            assertEquals("after\n", c.read().text());
        }
    }

    private static void assertThrowsConnectException(InetSocketAddress address) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(address, 30_000);
            throw new AssertionError("the stopped server still accepts on " + address);
        } catch (java.net.ConnectException refused) {
            // stopped: nothing listens
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
