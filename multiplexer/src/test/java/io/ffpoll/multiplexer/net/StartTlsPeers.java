package io.ffpoll.multiplexer.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The two ends of the STARTTLS tests: a line-based server and a client that upgrades. */
final class StartTlsPeers {
    private StartTlsPeers() {}

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Where a {@link Server} calls startTls: in onData, in onData followed by a flush, or from a loop task. */
    enum Start { IN_ON_DATA, IN_ON_DATA_THEN_FLUSH, FROM_A_LOOP_TASK }

    /**
     * A line-based server: an optional greeting, EHLO answered with STARTTLS among its
     * extensions, and STARTTLS answered with {@code answer} before TLS begins; over TLS it
     * echoes.
     */
    static final class Server implements ConnectionHandler {
        final TlsConfig config;
        final byte[] greeting;
        final byte[] answer;
        final List<String> plainLines = new ArrayList<>();
        private final ByteArrayOutputStream overTls = new ByteArrayOutputStream();
        final CompletableFuture<CompletableFuture<Connection>> started = new CompletableFuture<>();
        final CompletableFuture<IOException> closed = new CompletableFuture<>();
        final AtomicInteger opens = new AtomicInteger();
        boolean tls; // loop thread: STARTTLS was answered

        /** Where the server begins TLS once it has answered STARTTLS. */
        volatile Start start = Start.IN_ON_DATA;

        Server(TlsConfig config, byte[] greeting, byte[] answer) {
            this.config = config;
            this.greeting = greeting;
            this.answer = answer;
        }

        @Override
        public void onOpen(Connection c) {
            opens.incrementAndGet();
            if (greeting != null) {
                c.write(greeting);
            }
        }

        @Override
        public long onData(Connection c, MemorySegment data) {
            byte[] bytes = data.toArray(ValueLayout.JAVA_BYTE);
            if (tls) {
                synchronized (this) {
                    overTls.writeBytes(bytes);
                }
                c.write(data);
                return bytes.length;
            }
            int at = 0;
            for (int nl; (nl = indexOf(bytes, (byte) '\n', at)) >= 0; ) {
                String line = new String(bytes, at, nl - at, StandardCharsets.US_ASCII).strip();
                at = nl + 1;
                synchronized (this) {
                    plainLines.add(line);
                }
                if (line.startsWith("EHLO")) {
                    c.write(ascii("250-ffpoll\r\n250 STARTTLS\r\n"));
                } else if (line.equals("STARTTLS")) {
                    c.write(answer);
                    tls = true;
                    switch (start) {
                        case IN_ON_DATA -> started.complete(c.startTls(config));
                        case IN_ON_DATA_THEN_FLUSH -> {
                            started.complete(c.startTls(config));
                            c.flush();
                        }
                        case FROM_A_LOOP_TASK -> c.loop().execute(() -> started.complete(c.startTls(config)));
                    }
                    return at; // what follows the command is the peer's TLS
                } else {
                    c.write(ascii("500 unknown command\r\n"));
                }
            }
            return at;
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
            closed.complete(cause == null ? TlsTestBase.Recorder.NO_CAUSE : cause);
        }

        synchronized List<String> plainLines() {
            return List.copyOf(plainLines);
        }

        synchronized byte[] overTls() {
            return overTls.toByteArray();
        }
    }

    /**
     * A client that writes STARTTLS, waits for {@code expectPlain} bytes of plaintext (or
     * none, pipelining its ClientHello behind the command), starts TLS, then sends
     * {@code payload} and reads its echo.
     */
    static final class Client implements ConnectionHandler {
        final TlsConfig config;
        final String serverName;
        final byte[] expectPlain;
        final byte[] payload;
        private final ByteArrayOutputStream plain = new ByteArrayOutputStream();
        private final ByteArrayOutputStream echo = new ByteArrayOutputStream();
        final CompletableFuture<Connection> tlsUp = new CompletableFuture<>();
        final CompletableFuture<byte[]> echoed = new CompletableFuture<>();
        final AtomicInteger opens = new AtomicInteger();
        volatile boolean paused; // reads nothing until the test resumes it
        volatile byte[] command = ascii("STARTTLS\r\n"); // null: the server begins TLS unasked
        private boolean tls;

        Client(TlsConfig config, String serverName, byte[] expectPlain, byte[] payload) {
            this.config = config;
            this.serverName = serverName;
            this.expectPlain = expectPlain;
            this.payload = payload;
        }

        @Override
        public void onOpen(Connection c) {
            opens.incrementAndGet();
            if (paused) {
                c.pauseReading();
            }
            if (command != null) {
                c.write(command);
            }
            if (expectPlain.length == 0) {
                start(c);
            }
        }

        private void start(Connection c) {
            tls = true;
            c.startTls(config, serverName).whenCompleteAsync((done, failure) -> {
                if (failure != null) {
                    tlsUp.completeExceptionally(failure);
                    return;
                }
                tlsUp.complete(done);
                done.write(payload);
            });
        }

        @Override
        public long onData(Connection c, MemorySegment data) {
            byte[] bytes = data.toArray(ValueLayout.JAVA_BYTE);
            if (tls) {
                echo.writeBytes(bytes);
                if (echo.size() >= payload.length) {
                    echoed.complete(echo.toByteArray());
                }
                return bytes.length;
            }
            int take = Math.min(bytes.length, expectPlain.length - plain.size());
            plain.write(bytes, 0, take);
            if (plain.size() == expectPlain.length) {
                assertArrayEquals(expectPlain, plain.toByteArray(), "the plaintext before TLS");
                start(c);
            }
            return take;
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
            tlsUp.completeExceptionally(cause != null ? cause : new IOException("closed"));
            echoed.completeExceptionally(cause != null ? cause : new IOException("closed"));
        }
    }

    static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
