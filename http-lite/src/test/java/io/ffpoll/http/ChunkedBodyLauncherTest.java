package io.ffpoll.http;

import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launcher, with its small heap, under many unfinished chunked uploads (issue 19). */
class ChunkedBodyLauncherTest {
    private static final String HOST = HttpTestBase.HOST;
    private static final byte[] LAST = "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private static byte[] data(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'x');
        return b;
    }

    @Test
    void theLauncherWithItsSmallHeapRefusesUnfinishedChunkedBodiesPastItsBudgetInsteadOfRunningOut() throws Exception {
        // Issue 19's figures: 80 connections each holding 900,000 bytes of an unfinished chunked
        // body made the launcher (-Xmx64m) answer 500, out of memory. Now the bodies within the
        // default budget (a quarter of the heap) are held and answered, the rest refused (503).
        int connections = 80;
        int size = 900_000;
        HttpTestBase.warmUpJavaNet();
        long fdsBefore = Loopback.openFds();
        try (ServerProcess server = new ServerProcess("--port", "0", "--threads", "1")) {
            List<Socket> all = new ArrayList<>();
            List<java.util.concurrent.CompletableFuture<RawClient.Response>> responses = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) {
                    Socket c = new Socket();
                    all.add(c);
                    c.connect(server.address, 30_000);
                    c.setSoTimeout(30_000);
                    RawClient reader = new RawClient(c, c.getInputStream());
                    // Read as soon as it comes: a refused client must see its 503 before it sends on.
                    java.util.concurrent.CompletableFuture<RawClient.Response> r = new java.util.concurrent.CompletableFuture<>();
                    // A platform thread: a virtual one blocked on a socket makes the JDK open its
                    // pollers for the rest of the JVM's life, which would count as leaked fds.
                    Thread.ofPlatform().daemon().start(() -> {
                        try {
                            r.complete(reader.read());
                        } catch (Throwable t) {
                            r.completeExceptionally(t);
                        }
                    });
                    responses.add(r);
                    OutputStream out = c.getOutputStream();
                    out.write(("POST /echo HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n"
                            + Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(data(size));
                    out.flush();
                }
                try (RawClient other = new RawClient(server.address)) {
                    assertEquals(200, other.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().status(),
                            "another client is served while the bodies wait");
                }
                for (Socket c : all) {
                    try {
                        c.getOutputStream().write(LAST);
                    } catch (IOException refusedAndClosed) {
                        // a refused body's connection may be gone: its 503 was read already
                    }
                }
                int served = 0;
                int refused = 0;
                for (int i = 0; i < connections; i++) {
                    RawClient.Response r = responses.get(i).get(60, java.util.concurrent.TimeUnit.SECONDS);
                    if (r.status() == 200) {
                        assertEquals(size, r.body().length, "connection " + i + "'s echo");
                        served++;
                    } else {
                        assertEquals(503, r.status(), "connection " + i + ": " + r.text());
                        refused++;
                    }
                }
                assertTrue(served > 0 && refused > 0, served + " served, " + refused + " refused");
            } finally {
                for (Socket c : all) {
                    c.close();
                }
                server.process.getOutputStream().close(); // the child's stdin pipe
            }
        }
        Loopback.awaitOpenFdsAtMost(fdsBefore, "file descriptors leaked");
    }

}
