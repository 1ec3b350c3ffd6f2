package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A peer that half-closes (FIN) after its last message: every complete message before the end
 * of the stream is processed and answered; only an incomplete tail is dropped.
 */
class EndOfStreamTest extends LoopTestBase {

    /**
     * Answers each complete {@code \n}-terminated line with {@code +line\n}; stops reading while
     * the connection is not writable (back-pressure) and resumes when it is again.
     */
    private static final class LineAnswers implements ConnectionHandler {
        final CompletableFuture<IOException> closed = new CompletableFuture<>();
        int answered;

        @Override
        public long onData(Connection c, MemorySegment data) {
            long used = 0;
            long size = data.byteSize();
            for (long i = 0; i < size; i++) {
                if (data.get(ValueLayout.JAVA_BYTE, i) != '\n') {
                    continue;
                }
                if (!c.isWritable()) {
                    c.pauseReading();
                    return used;
                }
                byte[] line = data.asSlice(used, i + 1 - used).toArray(ValueLayout.JAVA_BYTE);
                c.write(new byte[] {'+'});
                c.write(line);
                answered++;
                used = i + 1;
            }
            return used;
        }

        @Override
        public void onWritabilityChanged(Connection c, boolean writable) {
            if (writable) {
                c.resumeReading();
            }
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
            closed.complete(cause);
        }
    }

    private static byte[] readToEnd(Socket s) throws IOException {
        s.setSoTimeout(30_000);
        try (InputStream in = s.getInputStream()) {
            return in.readAllBytes();
        }
    }

    @Test
    void aCompleteMessageBeforeAnIncompleteOneAndTheFinIsAnswered() throws Exception {
        LineAnswers handler = new LineAnswers();
        serveConnections(() -> handler);
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            OutputStream out = s.getOutputStream();
            out.write("PING\r\nPIN".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.shutdownOutput();
            assertEquals("+PING\r\n", new String(readToEnd(s), StandardCharsets.US_ASCII));
        }
        IOException cause = handler.closed.get(30, TimeUnit.SECONDS);
        assertInstanceOf(EOFException.class, cause, "the incomplete tail is reported");
        assertEquals(1, onLoop(() -> handler.answered));
    }

    @Test
    void withoutAnIncompleteTailTheHandlerHearsOfTheEndAndTheAnswersArrive() throws Exception {
        LineAnswers handler = new LineAnswers();
        serveConnections(() -> handler);
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            OutputStream out = s.getOutputStream();
            out.write("A\nB\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.shutdownOutput();
            assertEquals("+A\n+B\n", new String(readToEnd(s), StandardCharsets.US_ASCII));
        }
        assertNull(handler.closed.get(30, TimeUnit.SECONDS), "closed by onReadClosed's default close");
    }

    @Test
    void messagesKeptWhileReadingIsPausedAreAllAnsweredAfterTheFin() throws Exception {
        final int lines = 5_000;
        LineAnswers handler = new LineAnswers();
        serve((fd, peer) -> Connection.open(loop, fd, peer, handler).join().setWriteWatermarks(256, 1024));
        StringBuilder expected = new StringBuilder();
        byte[] all;
        {
            StringBuilder sent = new StringBuilder();
            for (int i = 0; i < lines; i++) {
                sent.append("PING ").append(i).append('\n');
                expected.append("+PING ").append(i).append('\n');
            }
            all = sent.toString().getBytes(StandardCharsets.US_ASCII);
        }
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            OutputStream out = s.getOutputStream();
            out.write(all); // fits the socket buffers: the server pauses, the bytes wait
            out.flush();
            s.shutdownOutput();
            assertEquals(expected.toString(), new String(readToEnd(s), StandardCharsets.US_ASCII));
        }
        assertNull(handler.closed.get(30, TimeUnit.SECONDS));
        assertEquals(lines, onLoop(() -> handler.answered));
    }

    @Test
    void theEndOfTheStreamIsReportedOnceWhateverComesAfter() throws Exception {
        java.util.concurrent.atomic.AtomicInteger reports = new java.util.concurrent.atomic.AtomicInteger();
        CompletableFuture<Connection> ended = new CompletableFuture<>();
        serveConnections(() -> new ConnectionHandler() {
            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onReadClosed(Connection c) {
                reports.incrementAndGet(); // a half-close protocol: it writes on, with back-pressure
                ended.complete(c);
            }
        });
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.shutdownOutput();
            Connection c = ended.get(30, TimeUnit.SECONDS);
            onLoop(() -> {
                c.pauseReading();
                c.resumeReading();
            });
            onLoop(() -> null); // the resume's task ran
            assertEquals(1, reports.get());
            assertFalse(onLoop(c::closeNotifyReceived), "a plain connection has no close_notify");
            onLoop(() -> {
                c.write("bye".getBytes());
                c.close();
            });
            assertEquals("bye", new String(readToEnd(s), StandardCharsets.US_ASCII));
        }
    }

    /**
     * Answers each line later, as a server answers from another thread or a streamed body:
     * reading is paused until the answer is written. The FIN that comes meanwhile waits for the
     * resume, like the kept bytes do; heard at once, the default close would end the connection
     * before the answer exists.
     */
    private static final class LateAnswers implements ConnectionHandler {
        final CompletableFuture<IOException> closed = new CompletableFuture<>();
        final java.util.List<String> events = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

        @Override
        public long onData(Connection c, MemorySegment data) {
            long size = data.byteSize();
            for (long i = 0; i < size; i++) {
                if (data.get(ValueLayout.JAVA_BYTE, i) == '\n') {
                    byte[] line = data.asSlice(0, i + 1).toArray(ValueLayout.JAVA_BYTE);
                    c.pauseReading();
                    c.loop().schedule(java.time.Duration.ofMillis(20), () -> {
                        events.add("answer " + new String(line, StandardCharsets.US_ASCII).trim());
                        c.write(new byte[] {'+'});
                        c.write(line);
                        c.resumeReading();
                    });
                    return i + 1;
                }
            }
            return 0;
        }

        @Override
        public void onReadClosed(Connection c) {
            events.add("end");
            c.close();
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
            closed.complete(cause);
        }
    }

    @Test
    void aFinWhileReadingIsPausedWaitsForTheResumeEvenWithNothingKept() throws Exception {
        java.util.concurrent.BlockingQueue<LateAnswers> handlers = new java.util.concurrent.LinkedBlockingQueue<>();
        serveConnections(() -> {
            LateAnswers h = new LateAnswers();
            handlers.add(h);
            return h;
        });
        for (String sent : new String[] {"A\n", "A\nB\n"}) {
            try (Socket s = new Socket(address.getAddress(), address.getPort())) {
                OutputStream out = s.getOutputStream();
                out.write(sent.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                s.shutdownOutput();
                assertEquals(sent.replaceAll("(?m)^(.)", "+$1"), new String(readToEnd(s), StandardCharsets.US_ASCII));
            }
            LateAnswers handler = handlers.poll(30, TimeUnit.SECONDS);
            assertNull(handler.closed.get(30, TimeUnit.SECONDS));
            java.util.List<String> expected = new java.util.ArrayList<>();
            for (String line : sent.split("\n")) {
                expected.add("answer " + line);
            }
            expected.add("end");
            assertEquals(expected, handler.events);
        }
    }
}
