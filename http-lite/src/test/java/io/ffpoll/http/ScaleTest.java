package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One launcher process, one loop, default options otherwise, holds 2,000 keep-alive connections
 * from this process and answers a request on every one, twice, while a probe keeps being
 * answered; its memory per idle connection and the probe's latency are printed (measured, not
 * asserted: bench/scale runs 15,000 and reports them). Then every descriptor is released.
 */
class ScaleTest {
    static final int CONNECTIONS = Integer.getInteger("ffpoll.scale.connections", 2000);
    private static final byte[] REQUEST = "GET /plaintext HTTP/1.1\r\nHost: scale\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int RESPONSE_BODY = "Hello, World!".length();

    /** Sends one request and reads its response; returns its status. */
    static int exchange(Socket s) throws IOException {
        s.getOutputStream().write(REQUEST);
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("EOF in a response head after " + head);
            }
            head.append((char) c);
        }
        byte[] body = in.readNBytes(RESPONSE_BODY);
        if (body.length != RESPONSE_BODY) {
            throw new IOException("short body");
        }
        return Integer.parseInt(head.substring(9, 12));
    }

    @Test
    void oneLoopHoldsTwoThousandConnectionsAndAnswersEachTwice() throws Exception {
        try (ServerProcess server = new ServerProcess("--port", "0", "--threads", "1")) {
            long fdsBefore = server.fds();
            // Warm up first (the JIT's compilations, the heap's working size), with connections
            // that come and go, so that the baseline is the server at work, not at start-up.
            warmUp(server, fdsBefore);
            long rssBefore = server.rss();
            List<Socket> held = new ArrayList<>();
            AtomicBoolean probing = new AtomicBoolean(true);
            ConcurrentLinkedQueue<Long> probeNanos = new ConcurrentLinkedQueue<>();
            Thread probe = Thread.ofPlatform().start(() -> {
                try (Socket p = new Socket(server.address.getAddress(), server.address.getPort())) {
                    p.setSoTimeout(30_000);
                    while (probing.get()) {
                        long t = System.nanoTime();
                        assertEquals(200, exchange(p));
                        probeNanos.add(System.nanoTime() - t);
                        Thread.sleep(5);
                    }
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError("the probe failed", e);
                }
            });
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int round = 0; round < 2; round++) {
                    List<Future<Integer>> answers = new ArrayList<>();
                    for (int i = 0; i < CONNECTIONS; i++) {
                        if (round == 0) {
                            Socket s = new Socket(server.address.getAddress(), server.address.getPort());
                            s.setSoTimeout(30_000);
                            held.add(s);
                        }
                        Socket s = held.get(i);
                        answers.add(clients.submit(() -> exchange(s)));
                    }
                    for (Future<Integer> a : answers) {
                        assertEquals(200, a.get(60, TimeUnit.SECONDS));
                    }
                }
                assertTrue(server.fds() >= fdsBefore + CONNECTIONS, "the server holds every connection");
                long rssHeld = server.rss();
                probing.set(false);
                probe.join();
                long[] latencies = probeNanos.stream().mapToLong(Long::longValue).sorted().toArray();
                System.out.printf("scale: %d connections held, RSS %+,d bytes (%,d per connection), probe p50 %.2f ms,"
                                + " p99 %.2f ms over %d requests%n", CONNECTIONS, rssHeld - rssBefore,
                        (rssHeld - rssBefore) / CONNECTIONS, percentile(latencies, 50), percentile(latencies, 99),
                        latencies.length);
                assertTrue(latencies.length > 0, "the probe was answered while the connections were held");
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (server.fds() > fdsBefore) {
                assertTrue(System.nanoTime() < deadline, "the server still has " + server.fds() + " fds, " + fdsBefore + " before");
                Thread.sleep(10);
            }
        }
    }

    private static void warmUp(ServerProcess server, long fdsBefore) throws Exception {
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> done = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                done.add(clients.submit(() -> {
                    try (Socket s = new Socket(server.address.getAddress(), server.address.getPort())) {
                        s.setSoTimeout(30_000);
                        int status = 0;
                        for (int k = 0; k < 20; k++) {
                            status = exchange(s);
                        }
                        return status;
                    }
                }));
            }
            for (Future<Integer> f : done) {
                assertEquals(200, f.get(60, TimeUnit.SECONDS));
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (server.fds() > fdsBefore) {
            assertTrue(System.nanoTime() < deadline, "the warm-up connections were not all closed");
            Thread.sleep(10);
        }
    }

    static double percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e6;
    }

    static String show(long[] a) {
        return Arrays.toString(a);
    }
}
