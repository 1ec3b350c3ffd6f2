package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.ffpoll.http.ServerProbe.partialRequests;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The heap that decoded chunked request bodies take: none once a request is done (an idle
 * connection keeps no decode buffer), and, while bodies are in flight, at most the loop's
 * budget over all its connections; a body that would pass it is refused with 503.
 */
class ChunkedBodyMemoryTest extends HttpTestBase {

    private HttpServer server(long maxBody) throws IOException {
        return start(builder().threads(1).limits(1024, 4096, maxBody)
                .route("POST", "/size", r -> Response.text(200, "got " + r.bodyLength() + " bytes."))
                .route("GET", "/plaintext", r -> Response.text(200, "Hello, World!")));
    }

    private static byte[] chunkedHead(int chunk) {
        return ("POST /size HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(chunk) + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] data(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'x');
        return b;
    }

    private static final byte[] LAST = "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    @Test
    void anIdleConnectionHoldsNoDecodeBufferAfterAChunkedPost() throws Exception {
        long perConnection = IdleHeapProbe.measure("chunked", 300)[0];
        assertTrue(perConnection <= 1024, "an idle connection holds " + perConnection
                + " bytes of heap after one 60,000-byte chunked POST");
    }

    @Test
    void unfinishedChunkedBodiesPastTheLoopsBudgetAreRefusedAndTheOthersServed() throws Exception {
        // A budget of five bodies at the limit: each client declares a 200,000-byte chunk and
        // sends half of it; the sixth and later would pass the budget.
        System.setProperty("ffpoll.http.chunkedBodyBudget", "1000000");
        HttpServer s;
        try {
            s = server(200_000);
        } finally {
            System.clearProperty("ffpoll.http.chunkedBodyBudget");
        }
        List<Socket> admitted = new ArrayList<>();
        List<Socket> all = new ArrayList<>();
        try {
            int refused = 0;
            for (int i = 0; i < 8; i++) {
                Socket c = new Socket();
                all.add(c);
                c.connect(s.address(), 30_000);
                c.setSoTimeout(30_000);
                OutputStream out = c.getOutputStream();
                out.write(chunkedHead(200_000));
                out.write(data(100_000));
                out.flush();
                int before = admitted.size();
                await(() -> partialRequests(s) == before + 1 || available(c), "connection " + i + " held or answered");
                if (partialRequests(s) == before + 1) {
                    admitted.add(c);
                    continue;
                }
                refused++;
                RawClient.Response r = new RawClient(c, c.getInputStream()).read();
                assertEquals(503, r.status(), "connection " + i + ": " + r.text());
                assertEquals("1", r.header("retry-after"));
                assertEquals("close", r.header("connection"));
            }
            assertEquals(5, admitted.size(), "bodies held within the budget");
            assertEquals(3, refused, "bodies refused past the budget");
            // The loop serves others meanwhile.
            try (RawClient other = new RawClient(s.address())) {
                assertEquals("Hello, World!", other.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().text());
            }
            // A client that leaves mid-body gives its share back: a whole body fits again.
            Socket gone = admitted.remove(0);
            gone.setSoLinger(true, 0);
            gone.close();
            await(() -> partialRequests(s) == 4, "the server closed the connection that left");
            try (RawClient again = new RawClient(s.address())) {
                again.send(new String(chunkedHead(200_000), StandardCharsets.ISO_8859_1) + "x".repeat(200_000) + "\r\n0\r\n\r\n");
                RawClient.Response r = again.read();
                assertEquals(200, r.status(), r.text());
                assertEquals("got 200000 bytes.", r.text());
            }
            for (Socket c : admitted) {
                OutputStream out = c.getOutputStream();
                out.write(data(100_000));
                out.write(LAST);
                out.flush();
                RawClient.Response r = new RawClient(c, c.getInputStream()).read();
                assertEquals(200, r.status(), r.text());
                assertEquals("got 200000 bytes.", r.text());
            }
        } finally {
            for (Socket c : all) {
                c.close();
            }
        }
    }

    private static boolean available(Socket c) {
        try {
            return c.getInputStream().available() > 0;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aMalformedBudgetFailsTheStartAndLeavesNoLoopRunning() throws Exception {
        System.setProperty("ffpoll.http.chunkedBodyBudget", "1G");
        try {
            assertThrows(RuntimeException.class, () -> server(64 * 1024));
        } finally {
            System.clearProperty("ffpoll.http.chunkedBodyBudget");
        }
        await(() -> Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("http-lite-")),
                "the loops it started have ended");
    }
}
