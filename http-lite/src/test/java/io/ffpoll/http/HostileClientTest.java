package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Peers that do not read, keep sending after an error, or never finish: bounded, answered, released. */
class HostileClientTest extends HttpTestBase {
    private static final int BODY = 60 * 1024;

    private static byte[] echoRequest(byte[] body) {
        byte[] head = ("POST /echo HTTP/1.1\r\n" + HOST + "Content-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] r = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, r, head.length, body.length);
        return r;
    }

    /** The loop's view of its one connection: {reading, writable, queued bytes}; null if none. */
    private static long[] connectionState(HttpServer s) throws Exception {
        return s.onLoop(0, () -> s.loopState(0).connections().stream().findFirst()
                .map(c -> new long[] {c.readingPaused() ? 0 : 1, c.connection().isWritable() ? 1 : 0,
                        c.connection().queuedBytes()})
                .orElse(null));
    }

    @Test
    void aClientThatPipelinesAndNeverReadsStopsTheParserAtTheHighWatermarkAndLosesNothing() throws Exception {
        HttpServer s = start(Main.withBuiltInRoutes(builder()).threads(1).limits(1024, 4096, 64 * 1024));
        final int requests = 400; // 24 MB of responses: far more than the kernel's socket buffers hold
        byte[][] bodies = new byte[requests][];
        Random random = new Random(1);
        try (Socket socket = new Socket()) {
            socket.connect(s.address(), 30_000);
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < requests; i++) {
                        bodies[i] = new byte[BODY];
                        random.nextBytes(bodies[i]);
                        out.write(echoRequest(bodies[i]));
                    }
                    out.flush();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            // The client reads nothing: the server must stop parsing once its queue is past the
            // high watermark (it then stops reading, and TCP stops the client).
            // (It may pause and resume a few times while the kernel's buffers still take bytes.)
            long[][] seen = new long[1][];
            await(() -> {
                try {
                    long[] st = connectionState(s);
                    seen[0] = st;
                    return st != null && st[0] == 0 && st[1] == 0;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }, "the server stops reading from a client that does not read");
            long[] paused = seen[0];
            // One response over the watermark at most: the parser stopped at the first that crossed it.
            assertTrue(paused[2] <= io.ffpoll.multiplexer.net.Connection.DEFAULT_HIGH_WATERMARK + BODY + 4096,
                    "queued " + paused[2] + " bytes");
            long served = s.requestsServed();
            assertTrue(served < requests, "served all " + served + " while the client read nothing");
            // Now read: every response arrives, in order, byte for byte, and the rest is served.
            InputStream in = socket.getInputStream();
            RawClient reader = new RawClient(socket, in);
            for (int i = 0; i < requests; i++) {
                RawClient.Response r = reader.read();
                assertEquals(200, r.status());
                assertArrayEquals(bodies[i], r.body(), "response " + i);
            }
            sending.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aClientThatNeverReadsIsReleasedByTheWriteTimeout() throws Exception {
        HttpServer s = start(Main.withBuiltInRoutes(builder()).threads(1).limits(1024, 4096, 64 * 1024)
                .writeTimeout(Duration.ofSeconds(1)));
        try (Socket socket = new Socket()) {
            socket.connect(s.address(), 30_000);
            socket.setReceiveBufferSize(4096);
            OutputStream out = socket.getOutputStream();
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    byte[] body = new byte[BODY];
                    while (true) {
                        out.write(echoRequest(body));
                    }
                } catch (IOException closedByServer) {
                    // the server gave up on us: that is the point
                }
            });
            await(() -> s.openConnections() == 0, "the server closes a connection whose peer never reads");
            sender.join(30_000);
        }
    }

    @Test
    void aClientStillSendingATooLargeBodyReadsTheErrorResponse() throws Exception {
        HttpServer s = standard(1); // body limit 64 KiB
        byte[] body = new byte[8 << 20];
        try (Socket socket = new Socket()) {
            socket.connect(s.address(), 30_000);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            // One blocking write of head and body: it completes only if the server keeps reading
            // (and discarding) after its answer instead of resetting the connection.
            out.write(echoRequest(body));
            out.flush();
            RawClient.Response r = new RawClient(socket, socket.getInputStream()).read();
            assertEquals(413, r.status());
            assertEquals("close", r.header("connection"));
            assertEquals(-1, socket.getInputStream().read(), "EOF after the response");
        }
    }

    @Test
    void aClientStillSendingAfterABadRequestReadsThe400() throws Exception {
        HttpServer s = standard(1);
        try (Socket socket = new Socket()) {
            socket.connect(s.address(), 30_000);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            byte[] junk = new byte[4 << 20];
            Arrays.fill(junk, (byte) 'x');
            byte[] bad = "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
            byte[] all = Arrays.copyOf(bad, bad.length + junk.length);
            System.arraycopy(junk, 0, all, bad.length, junk.length);
            try {
                out.write(all);
            } catch (SocketException reset) {
                throw new AssertionError("the server reset the connection while the client was sending", reset);
            }
            RawClient.Response r = new RawClient(socket, socket.getInputStream()).read();
            assertEquals(400, r.status());
        }
    }
}
