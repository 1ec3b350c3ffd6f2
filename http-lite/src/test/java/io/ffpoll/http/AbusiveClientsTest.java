package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Slow and hostile peers, each while a probe client keeps being answered on the same loop;
 * afterwards the descriptors and the pool are back to their baseline (HttpTestBase checks).
 * Latency is measured by bench/hostile, not asserted here.
 */
class AbusiveClientsTest extends HttpTestBase {

    /** A client that keeps asking for /plaintext on one connection until stopped; counts answers. */
    private static final class Probe implements AutoCloseable {
        final AtomicInteger answered = new AtomicInteger();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;
        private volatile Throwable failure;

        Probe(HttpServer s) {
            thread = Thread.ofPlatform().start(() -> {
                try (RawClient c = new RawClient(s.address())) {
                    while (running.get()) {
                        assertEquals(200, c.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().status());
                        answered.incrementAndGet();
                        Thread.sleep(2);
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            });
        }

        /** Waits until the probe got {@code more} answers beyond {@code now}. */
        void awaitAnswers(int now, int more) throws InterruptedException {
            await(() -> answered.get() >= now + more || failure != null, "the probe is answered");
            if (failure != null) {
                throw new AssertionError("the probe failed", failure);
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(30_000);
            if (failure != null) {
                throw new AssertionError("the probe failed", failure);
            }
        }
    }

    /** Reads until EOF or reset; the bytes read. */
    private static String drain(Socket s) {
        StringBuilder got = new StringBuilder();
        try {
            InputStream in = s.getInputStream();
            byte[] b = new byte[4096];
            int n;
            while ((n = in.read(b)) > 0) {
                got.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (IOException reset) {
            got.append("<reset>");
        }
        return got.toString();
    }

    @Test
    void aThousandSlowlorisConnectionsAreClosedByTheRequestTimeout() throws Exception {
        HttpServer s = start(Main.withBuiltInRoutes(builder()).threads(1)
                .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(60)));
        List<Socket> slow = new ArrayList<>();
        try (Probe probe = new Probe(s)) {
            byte[] head = ("GET /plaintext HTTP/1.1\r\n" + HOST).getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 1000; i++) {
                Socket c = new Socket(s.address().getAddress(), s.address().getPort());
                c.setSoTimeout(30_000);
                c.getOutputStream().write(head, 0, 1 + i % 8); // a few bytes of a head, then a trickle
                slow.add(c);
            }
            await(() -> s.openConnections() >= 1000, "all slow connections are open");
            int before = probe.answered.get();
            for (int round = 0; round < 2; round++) {
                for (Socket c : slow) {
                    try {
                        c.getOutputStream().write('X'); // a header byte now and then: never a complete head
                    } catch (SocketException closed) {
                        // already answered and closed
                    }
                }
                probe.awaitAnswers(probe.answered.get(), 5);
            }
            for (Socket c : slow) {
                String answer = drain(c);
                assertTrue(answer.startsWith("HTTP/1.1 408 ") || answer.startsWith("HTTP/1.1 400 "),
                        "a slowloris connection got: " + answer.lines().findFirst().orElse(answer));
            }
            await(() -> s.openConnections() == 1, "every slow connection closed (the probe's is left)");
            probe.awaitAnswers(before, 10);
        } finally {
            for (Socket c : slow) {
                c.close();
            }
        }
    }

    @Test
    void resetsHalfClosesGarbageAndTlsGetAnAnswerOrACloseAtOnce() throws Exception {
        HttpServer s = start(Main.withBuiltInRoutes(builder()).threads(1)
                .route("GET", "/big", r -> Response.stream(200, "application/octet-stream", () -> {
                    int[] left = {2000};
                    return () -> left[0]-- > 0 ? new byte[16 * 1024] : null;
                })));
        try (Probe probe = new Probe(s)) {
            int before = probe.answered.get();
            // Reset in the middle of a request.
            try (Socket c = new Socket(s.address().getAddress(), s.address().getPort())) {
                c.getOutputStream().write(("POST /echo HTTP/1.1\r\n" + HOST + "Content-Length: 100\r\n\r\nhalf")
                        .getBytes(StandardCharsets.US_ASCII));
                c.setSoLinger(true, 0);
            }
            // Reset in the middle of a 32 MB streamed response.
            try (Socket c = new Socket(s.address().getAddress(), s.address().getPort())) {
                c.getOutputStream().write(("GET /big HTTP/1.1\r\n" + HOST + "\r\n").getBytes(StandardCharsets.US_ASCII));
                c.getInputStream().readNBytes(64 * 1024);
                c.setSoLinger(true, 0);
            }
            // Half-close after a complete request: the answer comes, then the close.
            try (Socket c = new Socket(s.address().getAddress(), s.address().getPort())) {
                c.setSoTimeout(30_000);
                c.getOutputStream().write(("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").getBytes(StandardCharsets.US_ASCII));
                c.shutdownOutput();
                String answer = drain(c);
                assertTrue(answer.startsWith("HTTP/1.1 200 ") && answer.endsWith("Hello, World!"), answer);
            }
            // 1 MiB of random bytes: a 400 and a close, however much follows.
            try (Socket c = new Socket(s.address().getAddress(), s.address().getPort())) {
                c.setSoTimeout(30_000);
                byte[] junk = new byte[1 << 20];
                new Random(3).nextBytes(junk);
                Thread writer = Thread.ofPlatform().start(() -> {
                    try {
                        c.getOutputStream().write(junk);
                    } catch (IOException closedEarly) {
                        // the server answered and closed before taking it all
                    }
                });
                String answer = drain(c);
                writer.join(30_000);
                assertTrue(answer.startsWith("HTTP/1.1 400 "), answer.lines().findFirst().orElse(answer));
            }
            // A TLS ClientHello to the plaintext port: 400 on its first byte.
            try (Socket c = new Socket(s.address().getAddress(), s.address().getPort())) {
                c.setSoTimeout(30_000);
                c.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03});
                String answer = drain(c);
                assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
            }
            await(() -> s.openConnections() <= 1, "only the probe's connection is left");
            probe.awaitAnswers(before, 10);
        }
    }
}
