package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A client that sends its requests and then half-closes (FIN) gets an answer to every complete
 * request it sent, however far ahead of the server it was; an incomplete last one is dropped.
 */
class HalfCloseTest extends HttpTestBase {
    private static final String GET = "GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n";

    private static String sendAllThenFin(HttpServer server, String requests) throws Exception {
        try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(requests.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.shutdownOutput();
            try (InputStream in = s.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            }
        }
    }

    private static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void aCompleteRequestThenAPartialOneThenFinGetsItsResponse() throws Exception {
        HttpServer server = standard(1);
        String got = sendAllThenFin(server, GET + "GET /plain");
        assertEquals(1, count(got, "HTTP/1.1 200 OK\r\n"), got);
        assertEquals(1, count(got, "Hello, World!"), got);
    }

    @Test
    void fiveThousandPipelinedRequestsThenFinGetFiveThousandResponses() throws Exception {
        final int requests = 5_000;
        HttpServer server = standard(1);
        String got = sendAllThenFin(server, GET.repeat(requests));
        assertEquals(requests, count(got, "HTTP/1.1 200 OK\r\n"));
        assertEquals(requests, count(got, "Hello, World!"));
    }

    /** A body of {@code pieces} pieces of 64 KiB, each {@code 'a' + i}. */
    private static BodyProducer pieces(int pieces) {
        return new BodyProducer() {
            int next;

            @Override
            public byte[] next() {
                if (next == pieces) {
                    return null;
                }
                byte[] piece = new byte[64 * 1024];
                java.util.Arrays.fill(piece, (byte) ('a' + next++));
                return piece;
            }
        };
    }

    /**
     * Answers that are not complete when the request has been read (a blocking or an async
     * handler's, a streamed body) reach a client that half-closed right after its requests.
     * The server heard of the FIN at once while it had paused reading for them, and its close
     * lost them: one response of two, or the second cut after its first 64 KiB piece.
     */
    @Test
    void answersStillUnderWayWhenTheFinComesAreAllSent() throws Exception {
        HttpServer server = start(builder().threads(1)
                .blockingRoute("GET", "/blocking", r -> Response.text(200, "blocking done\n"))
                .asyncRoute("GET", "/async", r -> java.util.concurrent.CompletableFuture.supplyAsync(
                        () -> Response.text(200, "async done\n"), java.util.concurrent.CompletableFuture.delayedExecutor(
                                20, java.util.concurrent.TimeUnit.MILLISECONDS)))
                .route("GET", "/stream", r -> Response.stream(200, "text/plain", 16L * 64 * 1024, () -> pieces(16))));
        for (String path : new String[] {"/blocking", "/async", "/stream"}) {
            String request = "GET " + path + " HTTP/1.1\r\n" + HOST + "\r\n";
            String got = sendAllThenFin(server, request + request);
            assertEquals(2, count(got, "HTTP/1.1 200 OK\r\n"), path + ": " + got.substring(0, Math.min(300, got.length())));
            if (path.equals("/stream")) {
                int body = got.indexOf("\r\n\r\n", got.indexOf("\r\n\r\n") + 4); // the second response's head ends
                String second = got.substring(body + 4);
                assertEquals(16 * 64 * 1024, second.length(), "the second body");
                assertEquals(64 * 1024, count(second, "p"), "its last piece");
            } else {
                assertEquals(2, count(got, path.substring(1) + " done"), got);
            }
        }
    }
}
