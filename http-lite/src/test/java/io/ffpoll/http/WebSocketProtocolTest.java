package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 6455 on the wire, with a raw client: the handshake's answers (101 with the accept
 * hash of 1.3's example, 426, 400), and every protocol error closing with its code (1002,
 * 1007, 1009) before anything reaches the handler; a peer that sends and never reads holds
 * the server's memory to its limits.
 */
class WebSocketProtocolTest extends HttpTestBase {
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ=="; // RFC 6455 1.3

    /** A raw WebSocket client: frames in and out of one socket, masked as a client's must be. */
    static final class Raw implements AutoCloseable {
        final Socket socket;
        final DataInputStream in;
        final OutputStream out;

        final String head;

        Raw(HttpServer s, String path) throws IOException {
            this(s, path, "");
        }

        Raw(HttpServer s, String path, String extraFields) throws IOException {
            socket = new Socket(s.address().getAddress(), s.address().getPort());
            socket.setSoTimeout(30_000);
            in = new DataInputStream(socket.getInputStream());
            out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + KEY + "\r\nSec-WebSocket-Version: 13\r\n" + extraFields + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                head.append((char) in.readUnsignedByte());
            }
            assertTrue(head.toString().startsWith("HTTP/1.1 101 Switching Protocols\r\n"), head.toString());
            assertTrue(head.toString().contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), head.toString());
            this.head = head.toString();
        }

        void send(int b0, byte[] payload, boolean mask) throws IOException {
            out.write(frame(b0, payload, mask, payload.length));
        }

        static byte[] frame(int b0, byte[] payload, boolean mask, long claimedLength) {
            java.io.ByteArrayOutputStream f = new java.io.ByteArrayOutputStream();
            f.write(b0);
            int m = mask ? 0x80 : 0;
            if (claimedLength < 126) {
                f.write(m | (int) claimedLength);
            } else if (claimedLength <= 0xFFFF) {
                f.write(m | 126);
                f.write((int) (claimedLength >>> 8));
                f.write((int) claimedLength);
            } else {
                f.write(m | 127);
                for (int i = 7; i >= 0; i--) {
                    f.write((int) (claimedLength >>> (8 * i)));
                }
            }
            byte[] key = {0x11, 0x22, 0x33, 0x44};
            if (mask) {
                f.writeBytes(key);
            }
            for (int i = 0; i < payload.length; i++) {
                f.write(mask ? payload[i] ^ key[i & 3] : payload[i]);
            }
            return f.toByteArray();
        }

        /** The next frame: {opcode, payload}. */
        Object[] read() throws IOException {
            int b0 = in.readUnsignedByte();
            int b1 = in.readUnsignedByte();
            assertEquals(0, b1 & 0x80, "a server's frames are not masked");
            long length = b1 & 0x7F;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            byte[] p = new byte[(int) length];
            in.readFully(p);
            return new Object[] {b0 & 0x0F, p};
        }

        /** The close frame the server sends next: its code. */
        int closeCode() throws IOException {
            Object[] f = read();
            assertEquals(8, f[0], "a close frame");
            byte[] p = (byte[]) f[1];
            return (p[0] & 0xFF) << 8 | p[1] & 0xFF;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static final class Recorder implements WebSocketHandler {
        final CompletableFuture<String> closed = new CompletableFuture<>();
        final AtomicLong messages = new AtomicLong();

        @Override
        public void onText(WebSocket socket, String text) {
            messages.incrementAndGet();
            socket.sendText(text);
        }

        @Override
        public void onBinary(WebSocket socket, byte[] data) {
            messages.incrementAndGet();
            socket.sendBinary(data);
        }

        @Override
        public void onClose(WebSocket socket, int code, String reason) {
            closed.complete(code + " " + reason);
        }
    }

    private HttpServer server(Recorder r) throws IOException {
        return start(builder().threads(1).webSocketLimits(64 * 1024, 100 * 1024).webSocket("/ws", r));
    }

    private void expectClose(int b0, byte[] payload, boolean mask, int code) throws Exception {
        Recorder r = new Recorder();
        HttpServer s = server(r);
        try (Raw c = new Raw(s, "/ws")) {
            c.send(b0, payload, mask);
            assertEquals(code, c.closeCode());
            assertEquals(-1, c.in.read(), "then the server closes the connection");
        }
        assertTrue(r.closed.get(30, TimeUnit.SECONDS).startsWith(code + " "), r.closed.get());
        assertEquals(0, r.messages.get(), "nothing reached the handler");
        s.close();
    }

    @Test
    void protocolErrorsCloseWithTheirCodes() throws Exception {
        expectClose(0x81, "unmasked".getBytes(StandardCharsets.US_ASCII), false, 1002);
        expectClose(0x81 | 0x40, "rsv1".getBytes(StandardCharsets.US_ASCII), true, 1002);
        expectClose(0x83, new byte[0], true, 1002);                 // reserved opcode 3
        expectClose(0x8B, new byte[0], true, 1002);                 // reserved control opcode 0xB
        expectClose(0x09, new byte[0], true, 1002);                 // a fragmented ping
        expectClose(0x89, new byte[126], true, 1002);               // a ping of 126 bytes
        expectClose(0x80, "x".getBytes(StandardCharsets.US_ASCII), true, 1002); // a continuation of nothing
        expectClose(0x81, new byte[] {(byte) 0xC3, 0x28}, true, 1007); // not UTF-8
        expectClose(0x88, new byte[] {0x03}, true, 1002);           // a close of one byte
        expectClose(0x88, new byte[] {0x03, (byte) 0xED}, true, 1002); // close code 1005 on the wire
        expectClose(0x88, new byte[] {0x03, (byte) 0xE8, (byte) 0xFF}, true, 1007); // a reason that is not UTF-8
    }

    @Test
    void aFrameOverTheLimitIsRefusedFromItsHeaderAndAMessageOverItsLimitToo() throws Exception {
        Recorder r = new Recorder();
        HttpServer s = server(r);
        try (Raw c = new Raw(s, "/ws")) {
            // The header claims 1 GiB; nothing more is sent, and the answer comes at once.
            c.out.write(Raw.frame(0x82, new byte[0], true, 1L << 30));
            assertEquals(1009, c.closeCode());
        }
        assertTrue(r.closed.get(30, TimeUnit.SECONDS).startsWith("1009"));
        Recorder r2 = new Recorder();
        HttpServer s2 = server(r2);
        try (Raw c = new Raw(s2, "/ws")) {
            c.send(0x02, new byte[60 * 1024], true);  // frames under the frame limit,
            c.send(0x00, new byte[60 * 1024], true);  // a message over the message limit
            assertEquals(1009, c.closeCode());
        }
        assertEquals(0, r2.messages.get());
    }

    @Test
    void aCloseIsAnsweredAndPingsGetPongsAndInterleavedControlFramesAreFine() throws Exception {
        Recorder r = new Recorder();
        HttpServer s = server(r);
        try (Raw c = new Raw(s, "/ws")) {
            c.send(0x01, "Hel".getBytes(StandardCharsets.US_ASCII), true);
            c.send(0x89, "p".getBytes(StandardCharsets.US_ASCII), true); // a ping between fragments
            c.send(0x80, "lo".getBytes(StandardCharsets.US_ASCII), true);
            Object[] pong = c.read();
            assertEquals(0xA, pong[0]);
            assertArrayEquals("p".getBytes(StandardCharsets.US_ASCII), (byte[]) pong[1]);
            Object[] echo = c.read();
            assertEquals(1, echo[0]);
            assertEquals("Hello", new String((byte[]) echo[1], StandardCharsets.US_ASCII));
            c.send(0x88, new byte[] {0x0F, (byte) 0xA0, 'o', 'k'}, true); // 4000 "ok"
            assertEquals(4000, c.closeCode());
            assertEquals(-1, c.in.read());
        }
        assertEquals("4000 ok", r.closed.get(30, TimeUnit.SECONDS));
    }

    @Test
    void handshakesThatAreNotValidGet426Or400AndStayHttp() throws Exception {
        HttpServer s = server(new Recorder());
        try (RawClient c = new RawClient(s.address())) {
            RawClient.Response plain = c.send("GET /ws HTTP/1.1\r\n" + HOST + "\r\n").read();
            assertEquals(426, plain.status());
            assertEquals("websocket", plain.header("upgrade"));
            assertEquals("13", plain.header("sec-websocket-version"));
            // A sender of Upgrade sends Connection: upgrade with it (RFC 9110 7.8).
            assertTrue(plain.header("connection").toLowerCase(java.util.Locale.ROOT).contains("upgrade"), plain.headers().toString());
            // HEAD is answered as GET would be, without the body (RFC 9110 9.3.2).
            RawClient.Response head = c.send("HEAD /ws HTTP/1.1\r\n" + HOST + "\r\n").read(true);
            assertEquals(426, head.status());
            assertEquals("websocket", head.header("upgrade"));
            RawClient.Response v8 = c.send("GET /ws HTTP/1.1\r\n" + HOST + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + KEY + "\r\nSec-WebSocket-Version: 8\r\n\r\n").read();
            assertEquals(426, v8.status());
            RawClient.Response badKey = c.send("GET /ws HTTP/1.1\r\n" + HOST + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n").read();
            assertEquals(400, badKey.status());
            RawClient.Response post = c.send("POST /ws HTTP/1.1\r\n" + HOST + "Content-Length: 0\r\n\r\n").read();
            assertEquals(405, post.status());
        }
    }

    @Test
    void aPeerThatSendsAndNeverReadsIsPausedAndItsMemoryStaysBounded() throws Exception {
        Recorder r = new Recorder();
        HttpServer s = server(r);
        try (Raw c = new Raw(s, "/ws")) {
            byte[] message = new byte[32 * 1024];
            CompletableFuture<Long> sent = new CompletableFuture<>();
            // A platform thread: a virtual thread's first blocking socket call would open the
            // JDK's pollers' descriptors for the JVM's life, which the leak check would count.
            Thread writer = Thread.ofPlatform().daemon().start(() -> {
                long n = 0;
                try {
                    for (int i = 0; i < 4096; i++) { // 128 MiB of echo requests, never reading an echo
                        c.send(0x82, message, true);
                        n++;
                    }
                    sent.complete(n);
                } catch (IOException closed) {
                    sent.complete(n);
                }
            });
            // The server stops reading once its echoes fill the socket, so the writer blocks
            // long before its 128 MiB are out, and the server's memory stays bounded meanwhile.
            await(() -> r.messages.get() > 16, "echoes started");
            for (int i = 0; i < 200; i++) {
                long held = s.stats().get(30, TimeUnit.SECONDS).bufferBytesInUse();
                assertTrue(held < (8 << 20), "the server holds " + held + " bytes for one peer");
            }
            assertTrue(r.messages.get() < 4096 && !sent.isDone(), "the server stopped reading: "
                    + r.messages.get() + " messages handled");
            // Now the client reads: the echoes come, whole.
            long got = 0;
            while (got < 64) {
                Object[] f = c.read();
                assertEquals(2, f[0]);
                assertEquals(message.length, ((byte[]) f[1]).length);
                got++;
            }
        }

        r.closed.get(30, TimeUnit.SECONDS);
    }

    @Test
    void theHandlerDecidesOnTheOriginOnceAndTheServerPicksTheSubprotocolItPrefers() throws Exception {
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        WebSocketHandler picky = new WebSocketHandler() {
            @Override
            public boolean accepts(Request upgrade) {
                asked.incrementAndGet();
                return "https://good.example".equals(upgrade.header("Origin"));
            }
        };
        HttpServer s = start(builder().threads(1).webSocket("/ws", picky, "chat.v2", "chat.v1"));
        try (RawClient c = new RawClient(s.address())) {
            RawClient.Response r = c.send("GET /ws HTTP/1.1\r\n" + HOST + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + KEY + "\r\nSec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n\r\n").read();
            assertEquals(403, r.status(), "another site's page is refused before the 101");
            assertEquals(1, asked.get(), "accepts() is asked once a handshake");
        }
        try (Raw c = new Raw(s, "/ws", "Origin: https://good.example\r\nSec-WebSocket-Protocol: chat.v1, chat.v2\r\n")) {
            assertTrue(c.head.contains("Sec-WebSocket-Protocol: chat.v2\r\n"), "the server's first choice: " + c.head);
            c.send(0x88, new byte[] {0x03, (byte) 0xE8}, true);
            assertEquals(1000, c.closeCode());
        }
    }

    @Test
    void aBlockingHandlerThatFloodsAPeerThatDoesNotReadWaitsInsteadOfFillingTheQueue() throws Exception {
        byte[] message = new byte[32 * 1024];
        CompletableFuture<Boolean> allSent = new CompletableFuture<>();
        WebSocketHandler flood = new WebSocketHandler() {
            @Override
            public void onText(WebSocket socket, String text) {
                boolean ok = true;
                for (int i = 0; i < 4096 && ok; i++) { // 128 MiB: twice the queue's cap
                    message[0] = (byte) i;
                    ok = socket.sendBinary(message);
                }
                allSent.complete(ok);
            }
        };
        HttpServer s = start(builder().threads(1).blockingWebSocket("/ws", flood));
        try (Raw c = new Raw(s, "/ws")) {
            c.send(0x81, "go".getBytes(StandardCharsets.US_ASCII), true);
            for (int i = 0; i < 100; i++) {
                long held = s.stats().get(30, TimeUnit.SECONDS).bufferBytesInUse();
                assertTrue(held < (8 << 20), "the server holds " + held + " bytes for one peer");
            }
            for (int i = 0; i < 4096; i++) {
                Object[] f = c.read();
                assertEquals(2, f[0]);
                byte[] p = (byte[]) f[1];
                assertEquals(message.length, p.length);
                assertEquals((byte) i, p[0], "in order");
            }
            assertTrue(allSent.get(30, TimeUnit.SECONDS), "every send was taken");
            c.send(0x88, new byte[] {0x03, (byte) 0xE8}, true);
            assertEquals(1000, c.closeCode());
        }
    }

    @Test
    void aFloodOfEmptyPingsFromAPeerThatReadsNoPongsIsBounded() throws Exception {
        HttpServer s = start(builder().threads(1).blockingWebSocket("/ws", new WebSocketHandler() {}));
        try (Raw c = new Raw(s, "/ws")) {
            byte[] ping = Raw.frame(0x89, new byte[0], true, 0);
            byte[] burst = new byte[ping.length * 4096];
            for (int i = 0; i < 4096; i++) {
                System.arraycopy(ping, 0, burst, i * ping.length, ping.length);
            }
            CompletableFuture<Integer> writer = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().daemon().start(() -> {
                int bursts = 0;
                try {
                    for (; bursts < 2048; bursts++) { // 8 million pings, 48 MiB of frames, 16 MiB of pongs
                        c.out.write(burst);
                    }
                } catch (IOException closed) {
                    // the test closed the socket
                }
                writer.complete(bursts);
            });
            await(() -> s.requestsServed() > 0, "the upgrade");
            for (int i = 0; i < 200; i++) {
                long held = s.stats().get(30, TimeUnit.SECONDS).bufferBytesInUse();
                assertTrue(held < (8 << 20), "the server holds " + held + " bytes for one peer");
            }
            assertTrue(!writer.isDone(), "the writer is held back: the server stopped reading");
            c.close();
            t.join(30_000);
        }
    }

    @Test
    void aHandlerThatClosesInOnOpenHearsOnClose() throws Exception {
        CompletableFuture<String> closed = new CompletableFuture<>();
        HttpServer s = start(builder().threads(1).webSocket("/ws", new WebSocketHandler() {
            @Override
            public void onOpen(WebSocket socket) {
                socket.close(4001, "not today");
            }

            @Override
            public void onClose(WebSocket socket, int code, String reason) {
                closed.complete(code + " " + reason);
            }
        }));
        try (Raw c = new Raw(s, "/ws")) {
            assertEquals(4001, c.closeCode());
        }
        assertEquals("4001 not today", closed.get(30, TimeUnit.SECONDS));
    }
}
