package io.ffpoll.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Streamed response bodies whose producer has nothing yet: pushed, resumed, cancelled. */
class StreamedBodyTest extends HttpTestBase {

    /** A push producer: pieces come from the test's thread, each followed by a resume. */
    static final class Pushed implements BodyProducer {
        private static final byte[] NOTHING_YET = new byte[0];
        final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
        final AtomicLong calls = new AtomicLong();
        final AtomicInteger cancels = new AtomicInteger();
        volatile Runnable resume;
        volatile boolean done;

        @Override
        public void start(Runnable resume) {
            this.resume = resume;
        }

        @Override
        public byte[] next() {
            calls.incrementAndGet();
            boolean complete = done; // read first: every piece pushed before the end is in the queue then
            byte[] piece = queue.poll();
            return piece != null ? piece : complete ? null : NOTHING_YET;
        }

        @Override
        public void onCancel() {
            cancels.incrementAndGet();
        }

        void push(String piece) {
            queue.add(piece.getBytes(StandardCharsets.US_ASCII));
            resume.run();
        }

        void end() {
            done = true;
            resume.run();
        }
    }

    private HttpServer server(Pushed producer) throws java.io.IOException {
        return start(builder().threads(1)
                .route("GET", "/ping", r -> Response.text(200, "pong"))
                .route("GET", "/stream", r -> Response.stream(200, "text/plain", () -> producer)));
    }

    @Test
    void aProducerWithNothingYetDoesNotSpinTheLoop() throws Exception {
        Pushed producer = new Pushed();
        HttpServer s = server(producer);
        try (RawClient streaming = new RawClient(s.address()); RawClient other = new RawClient(s.address())) {
            streaming.send("GET /stream HTTP/1.1\r\n" + HOST + "\r\n");
            await(() -> producer.calls.get() >= 1, "the producer was asked");
            assertTrue(producer.calls.get() <= 2, "next() was called " + producer.calls.get() + " times with nothing to give");
            assertEquals("pong", other.send("GET /ping HTTP/1.1\r\n" + HOST + "\r\n").read().text(),
                    "another connection on the loop is served while the stream waits");
            assertTrue(producer.calls.get() <= 2, "next() was called " + producer.calls.get() + " times with nothing to give");
            producer.push("hello, ");
            producer.push("world");
            producer.end();
            RawClient.Response r = streaming.read();
            assertEquals(200, r.status());
            assertEquals("hello, world", r.text());
            assertEquals(0, producer.cancels.get(), "a complete body is not cancelled");
            // The connection serves its next request.
            assertEquals("pong", streaming.send("GET /ping HTTP/1.1\r\n" + HOST + "\r\n").read().text());
        }
    }

    @Test
    void piecesPushedFromAnotherThreadArriveInOrder() throws Exception {
        Pushed producer = new Pushed();
        HttpServer s = server(producer);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            expected.append("piece-").append(i).append(';');
        }
        try (RawClient c = new RawClient(s.address())) {
            c.send("GET /stream HTTP/1.1\r\n" + HOST + "\r\n");
            await(() -> producer.resume != null, "the producer was started");
            Thread pusher = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 500; i++) {
                    producer.push("piece-" + i + ";");
                }
                producer.end();
            });
            RawClient.Response r = c.read();
            pusher.join();
            assertEquals(200, r.status());
            assertEquals(expected.toString(), r.text());
            assertTrue(producer.calls.get() <= 2 * 500 + 2, "next() was called " + producer.calls.get() + " times for 500 pieces");
        }
    }

    @Test
    void aClientThatLeavesMidStreamGetsItsProducerCancelledOnce() throws Exception {
        Pushed producer = new Pushed();
        HttpServer s = server(producer);
        Socket socket = new Socket();
        try {
            socket.connect(s.address(), 30_000);
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("GET /stream HTTP/1.1\r\n" + HOST + "\r\n").getBytes(StandardCharsets.US_ASCII));
            await(() -> producer.resume != null, "the producer was started");
            producer.push("first-piece");
            readUntil(socket.getInputStream(), "first-piece");
            socket.setSoLinger(true, 0); // leave with a reset, as a killed client does
        } finally {
            socket.close();
        }
        // The server notices when it next writes: pieces go on until the producer hears.
        await(() -> {
            if (producer.cancels.get() == 0) {
                producer.push("more");
            }
            return producer.cancels.get() == 1;
        }, "the producer was cancelled");
        await(() -> s.openConnections() == 0, "the connection closed");
        long calls = producer.calls.get();
        producer.push("after");
        producer.end();
        assertEquals(1, producer.cancels.get(), "cancelled once");
        // A resume after the end is harmless and asks nothing: the loop is still serving.
        try (RawClient c = new RawClient(s.address())) {
            assertEquals("pong", c.send("GET /ping HTTP/1.1\r\n" + HOST + "\r\n").read().text());
        }
        assertEquals(calls, producer.calls.get(), "next() after the cancel");
        assertEquals(1, producer.cancels.get(), "cancelled once");
    }

    /** Pulls {@code total} bytes in 40,000-byte pieces, each there at once. */
    private static BodyProducer pulled(int total) {
        return new BodyProducer() {
            private int made;

            @Override
            public byte[] next() {
                if (made == total) {
                    return null;
                }
                byte[] piece = new byte[Math.min(40_000, total - made)];
                for (int i = 0; i < piece.length; i++) {
                    piece[i] = (byte) ('a' + (made + i) % 26);
                }
                made += piece.length;
                return piece;
            }
        };
    }

    /**
     * A body pulled faster than the socket takes it, answered with Connection: close, arrives
     * whole before the close: its last pieces are written as the connection becomes writable
     * again, right before it closes (on io_uring they were lost: the close went ahead of them).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fixed", "chunked"})
    void aLargeBodyEndingInAConnectionCloseArrivesWhole(String framing) throws Exception {
        int total = 5_000_000;
        HttpServer s = start(builder().threads(1)
                .route("GET", "/fixed", r -> Response.stream(200, "text/plain", total, () -> pulled(total)))
                .route("GET", "/chunked", r -> Response.stream(200, "text/plain", () -> pulled(total))));
        for (int round = 0; round < 3; round++) {
            try (RawClient c = new RawClient(s.address())) {
                RawClient.Response r = c.send("GET /" + framing + " HTTP/1.1\r\n" + HOST + "Connection: close\r\n\r\n").read();
                assertEquals(200, r.status());
                byte[] body = r.body();
                assertEquals(total, body.length, "round " + round + ": the body's length");
                for (int i = 0; i < total; i++) {
                    if (body[i] != (byte) ('a' + i % 26)) {
                        throw new AssertionError("round " + round + ": byte " + i + " is wrong");
                    }
                }
                assertTrue(c.closedByPeer(), "round " + round + ": closed after the body");
            }
        }
    }

    private static void readUntil(InputStream in, String text) throws java.io.IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        while (!seen.toString(StandardCharsets.ISO_8859_1).contains(text)) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("EOF before '" + text + "' in: " + seen);
            }
            seen.write(b);
        }
    }
}
