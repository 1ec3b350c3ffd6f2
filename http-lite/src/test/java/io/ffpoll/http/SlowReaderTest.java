package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A client that reads a large response slowly but without stopping is never cut off by the
 * write timeout, which is for a client that takes nothing: the socket takes no byte for longer
 * than the timeout while the kernel's send buffer (grown to megabytes) drains to the point where
 * it is writable again, and the client's acknowledgements are what show it reads. Before, such
 * a client was reset mid-body (a new user's curl --limit-rate, on both engines).
 */
class SlowReaderTest extends HttpTestBase {
    private static final int SIZE = 3 << 20;

    @Test
    void aSlowButSteadyReaderGetsAWholeLargeBody() throws Exception {
        byte[] body = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            body[i] = (byte) ('a' + i % 23);
        }
        // A listening socket with a send buffer of 1 MiB, which its accepted sockets inherit
        // (the kernel makes it 2 MiB): a third of it is what the client must read before its
        // socket is writable again, at 0.4 MB/s well over a second and the sweep's 200 ms.
        int listening = io.ffpoll.multiplexer.net.Tcp.listen(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 128, false);
        io.ffpoll.multiplexer.net.Tcp.setSendBuffer(listening, 1 << 20);
        HttpServer s = start(builder().threads(1).inheritedFd(listening).writeTimeout(Duration.ofMillis(200))
                .route("GET", "/big", r -> Response.of(200, "application/octet-stream", body)));
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.connect(s.address(), 30_000);
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("GET /big HTTP/1.1\r\n" + HOST + "\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            byte[] chunk = new byte[16 * 1024];
            long got = 0;
            int headEnd = -1;
            java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
            while (headEnd < 0) {
                int b = in.read();
                if (b < 0) {
                    throw new AssertionError("EOF in the head: " + head);
                }
                head.write(b);
                String h = head.toString(StandardCharsets.ISO_8859_1);
                if (h.endsWith("\r\n\r\n")) {
                    headEnd = h.length();
                }
            }
            // 16 KiB every 40 ms: about 0.4 MB/s.
            while (got < SIZE) {
                int n = in.read(chunk, 0, (int) Math.min(chunk.length, SIZE - got));
                if (n < 0) {
                    throw new AssertionError("EOF after " + got + " of " + SIZE + " body bytes");
                }
                for (int k = 0; k < n; k++) {
                    if (chunk[k] != (byte) ('a' + (got + k) % 23)) {
                        throw new AssertionError("body byte " + (got + k) + " is wrong");
                    }
                }
                got += n;
                Thread.sleep(40);
            }
            assertEquals(SIZE, got);
        }
    }
}
