package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WebSocket routes with the JDK's own client ({@code java.net.http.WebSocket}): text and binary
 * echo, fragmented messages put together, pings both ways, the closing handshake from either
 * side, subprotocols, a blocking handler, and a handler that throws.
 */
class WebSocketTest extends HttpTestBase {

    /** Echoes text and binary; "close" makes the server close with 4000; "throw" throws. */
    static final class Echo implements WebSocketHandler {
        final CompletableFuture<String> closed = new CompletableFuture<>();
        final List<String> events = new CopyOnWriteArrayList<>();
        final BlockingQueue<byte[]> pongs = new LinkedBlockingQueue<>();

        @Override
        public void onOpen(WebSocket socket) {
            events.add("open " + socket.request().path());
        }

        @Override
        public void onText(WebSocket socket, String text) {
            switch (text) {
                case "close" -> socket.close(4000, "asked to");
                case "throw" -> throw new IllegalStateException("thrown by the test's handler");
                case "ping" -> socket.ping("are you there".getBytes(StandardCharsets.US_ASCII));
                default -> socket.sendText(text);
            }
        }

        @Override
        public void onBinary(WebSocket socket, byte[] data) {
            socket.sendBinary(data);
        }

        @Override
        public void onPong(WebSocket socket, byte[] data) {
            pongs.add(data);
        }

        @Override
        public void onClose(WebSocket socket, int code, String reason) {
            closed.complete(code + " " + reason);
        }
    }

    /** The client's side: what it receives, in order. */
    static final class Client implements java.net.http.WebSocket.Listener {
        final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();
        private StringBuilder text = new StringBuilder();
        private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onText(java.net.http.WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                received.add(text.toString());
                text = new StringBuilder();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(java.net.http.WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            binary.writeBytes(b);
            if (last) {
                received.add(binary.toByteArray());
                binary = new java.io.ByteArrayOutputStream();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(java.net.http.WebSocket ws, ByteBuffer message) {
            received.add("ping:" + StandardCharsets.US_ASCII.decode(message));
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(java.net.http.WebSocket ws, int code, String reason) {
            closed.complete(code + " " + reason);
            return null;
        }

        @Override
        public void onError(java.net.http.WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
        }

        Object next() throws InterruptedException {
            Object o = received.poll(30, TimeUnit.SECONDS);
            assertNotNull(o, "a message within 30 s");
            return o;
        }
    }

    private static java.net.http.WebSocket connect(HttpClient http, HttpServer s, String path, Client client) {
        try {
            return http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + s.address().getPort() + path), client).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof java.net.http.WebSocketHandshakeException h) {
                throw new AssertionError("handshake refused: " + h.getResponse().statusCode() + " " + h.getResponse().headers()
                        + " " + h.getResponse().body(), e);
            }
            throw e;
        }
    }

    @Test
    void textBinaryAndFragmentedMessagesAreEchoedWhole() throws Exception {
        Echo echo = new Echo();
        HttpServer s = start(Main.withBuiltInRoutes(builder()).threads(1).webSocket("/ws", echo));
        try (HttpClient http = HttpClient.newHttpClient()) {
            Client client = new Client();
            java.net.http.WebSocket ws = connect(http, s, "/ws", client);
            ws.sendText("hello, ünïcödé ✓", true).join();
            assertEquals("hello, ünïcödé ✓", client.next());
            byte[] big = new byte[700_000];
            new Random(1).nextBytes(big);
            ws.sendBinary(ByteBuffer.wrap(big), true).join();
            assertArrayEquals(big, (byte[]) client.next());
            ws.sendText("frag", false).join();
            ws.sendText("men", false).join();
            ws.sendText("ted", true).join();
            assertEquals("fragmented", client.next(), "three frames, one message");
            ws.sendClose(1000, "bye").join();
            assertEquals("1000 bye", echo.closed.get(30, TimeUnit.SECONDS));
            assertEquals("1000 ", client.closed.get(30, TimeUnit.SECONDS), "the server echoes the code");
            assertEquals(List.of("open /ws"), echo.events);
        }
        assertEquals("Hello, World!", get(s, "/plaintext"), "plain HTTP beside it");
    }

    private static String get(HttpServer s, String path) throws Exception {
        try (RawClient c = new RawClient(s.address())) {
            return c.send("GET " + path + " HTTP/1.1\r\n" + HOST + "\r\n").read().text();
        }
    }

    @Test
    void pingsAreAnsweredBothWaysAndTheServerCanClose() throws Exception {
        Echo echo = new Echo();
        HttpServer s = start(builder().threads(1).webSocket("/echo", echo));
        try (HttpClient http = HttpClient.newHttpClient()) {
            Client client = new Client();
            java.net.http.WebSocket ws = connect(http, s, "/echo", client);
            ws.sendText("ping", true).join();
            assertEquals("ping:are you there", client.next());
            assertEquals("are you there", new String(echo.pongs.poll(30, TimeUnit.SECONDS), StandardCharsets.US_ASCII),
                    "the JDK client's pong came back");
            ws.sendText("close", true).join();
            assertEquals("4000 asked to", client.closed.get(30, TimeUnit.SECONDS));
            assertEquals("4000 asked to", echo.closed.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aThrowingHandlerClosesItsSocketWith1011AndOthersGoOn() throws Exception {
        Echo echo = new Echo();
        HttpServer s = start(builder().threads(1).webSocket("/echo", echo));
        try (HttpClient http = HttpClient.newHttpClient()) {
            Client bad = new Client();
            Client good = new Client();
            java.net.http.WebSocket b = connect(http, s, "/echo", bad);
            java.net.http.WebSocket g = connect(http, s, "/echo", good);
            b.sendText("throw", true).join();
            assertTrue(bad.closed.get(30, TimeUnit.SECONDS).startsWith("1011"), "internal error");
            g.sendText("still here", true).join();
            assertEquals("still here", good.next());
            g.sendClose(1000, "").join();
            good.closed.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aBlockingHandlerRunsInOrderOffTheLoopAndTheSubprotocolIsChosen() throws Exception {
        List<String> threads = new CopyOnWriteArrayList<>();
        WebSocketHandler slow = new WebSocketHandler() {
            @Override
            public void onText(WebSocket socket, String text) throws Exception {
                threads.add(Thread.currentThread().isVirtual() ? "virtual" : Thread.currentThread().getName());
                Thread.sleep(2); // may block
                socket.sendText(text.toUpperCase(java.util.Locale.ROOT) + " via " + socket.subprotocol());
            }
        };
        HttpServer s = start(builder().threads(1).blockingWebSocket("/slow", slow, "chat.v2", "chat.v1"));
        try (HttpClient http = HttpClient.newHttpClient()) {
            Client client = new Client();
            java.net.http.WebSocket ws = http.newWebSocketBuilder().subprotocols("other", "chat.v1")
                    .buildAsync(URI.create("ws://127.0.0.1:" + s.address().getPort() + "/slow"), client).join();
            assertEquals("chat.v1", ws.getSubprotocol());
            for (int i = 0; i < 50; i++) {
                ws.sendText("m" + i, true).join();
            }
            for (int i = 0; i < 50; i++) {
                assertEquals("M" + i + " via chat.v1", client.next());
            }
            assertTrue(threads.stream().allMatch("virtual"::equals), threads.toString());
            ws.sendClose(1000, "").join();
            client.closed.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theServerSaysGoingAwayWhenItStops() throws Exception {
        Echo echo = new Echo();
        HttpServer s = start(builder().threads(1).webSocket("/echo", echo));
        try (HttpClient http = HttpClient.newHttpClient()) {
            Client client = new Client();
            java.net.http.WebSocket ws = connect(http, s, "/echo", client);
            ws.sendText("x", true).join();
            assertEquals("x", client.next());
            s.shutdown(java.time.Duration.ofSeconds(10));
            assertTrue(client.closed.get(30, TimeUnit.SECONDS).startsWith("1001"), "going away");
            assertTrue(echo.closed.get(30, TimeUnit.SECONDS).startsWith("1001"));
        }
    }
}
