package io.ffpoll.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Slow and hostile clients against a running http-lite (bench/hostile), one kind at a time,
 * each while a probe connection keeps asking for /plaintext: reports the probe's p99 per kind
 * and the server's descriptors before and after. Usage: {@code HostileLoad PORT SERVER_PID}.
 */
public final class HostileLoad {
    private static final String GET = "GET /plaintext HTTP/1.1\r\nHost: h\r\n\r\n";
    private static int port;

    private HostileLoad() {}

    private static Socket open() throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(120_000);
        return s;
    }

    private static void probeOnce(Socket p) throws IOException {
        p.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
        InputStream in = p.getInputStream();
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("probe: EOF");
            }
            head.append((char) c);
        }
        in.readNBytes(13);
    }

    private static long fds(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return s.count();
        }
    }

    private static void drain(Socket s) {
        try {
            InputStream in = s.getInputStream();
            byte[] b = new byte[65536];
            while (in.read(b) > 0) {
                // discard
            }
        } catch (IOException reset) {
            // closed by a reset: also an answer
        }
    }

    interface Phase {
        void run() throws Exception;
    }

    private static void phase(String name, long pid, Phase body) throws Exception {
        long before = fds(pid);
        AtomicBoolean on = new AtomicBoolean(true);
        ConcurrentLinkedQueue<Long> lat = new ConcurrentLinkedQueue<>();
        Thread prober = Thread.ofPlatform().start(() -> {
            try (Socket p = open()) {
                while (on.get()) {
                    long t = System.nanoTime();
                    probeOnce(p);
                    lat.add(System.nanoTime() - t);
                    Thread.sleep(5);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long t0 = System.nanoTime();
        body.run();
        double secs = (System.nanoTime() - t0) / 1e9;
        on.set(false);
        prober.join();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (fds(pid) > before && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        long[] l = lat.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("%-44s %6.1f s  probe %5d answers, p50 %6.2f ms, p99 %6.2f ms   server fds %d -> %d%n", name, secs,
                l.length, l[l.length / 2] / 1e6, l[Math.min(l.length - 1, (int) Math.ceil(0.99 * l.length) - 1)] / 1e6,
                before, fds(pid));
    }

    public static void main(String[] args) throws Exception {
        port = Integer.parseInt(args[0]);
        long pid = Long.parseLong(args[1]);
        phase("1,000 slowloris (closed by the 30 s timeout)", pid, () -> {
            List<Socket> slow = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                Socket s = open();
                s.getOutputStream().write("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
                slow.add(s);
            }
            List<Thread> readers = new ArrayList<>();
            AtomicBoolean trickle = new AtomicBoolean(true);
            Thread t = Thread.ofPlatform().start(() -> {
                while (trickle.get()) {
                    for (Socket s : slow) {
                        try {
                            s.getOutputStream().write('X'); // a header byte every few seconds
                        } catch (IOException closed) {
                            // the server closed it
                        }
                    }
                    try {
                        Thread.sleep(3000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            for (Socket s : slow) {
                readers.add(Thread.ofVirtual().start(() -> drain(s)));
            }
            for (Thread r : readers) {
                r.join();
            }
            trickle.set(false);
            t.interrupt();
            t.join();
            for (Socket s : slow) {
                s.close();
            }
        });
        phase("a pipeliner that never reads (write timeout)", pid, () -> {
            try (Socket s = open()) {
                s.setReceiveBufferSize(4096);
                OutputStream out = s.getOutputStream();
                byte[] many = GET.repeat(1000).getBytes(StandardCharsets.US_ASCII);
                try {
                    while (true) {
                        out.write(many); // until the server, which stopped reading, cuts it off
                    }
                } catch (IOException cut) {
                    // released
                }
            }
        });
        phase("2,000 resets mid-request and mid-response", pid, () -> {
            for (int i = 0; i < 2000; i++) {
                try (Socket s = open()) {
                    s.getOutputStream().write((i % 2 == 0 ? "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 999\r\n\r\nab"
                            : GET.repeat(200)).getBytes(StandardCharsets.US_ASCII));
                    s.setSoLinger(true, 0);
                }
            }
        });
        phase("100 half-closes, 100 x 1 MiB random, 100 TLS", pid, () -> {
            Random random = new Random(1);
            byte[] junk = new byte[1 << 20];
            for (int i = 0; i < 300; i++) {
                try (Socket s = open()) {
                    byte[] what = i % 3 == 0 ? GET.getBytes(StandardCharsets.US_ASCII)
                            : i % 3 == 1 ? junk : new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00};
                    random.nextBytes(junk);
                    Thread w = Thread.ofVirtual().start(() -> {
                        try {
                            s.getOutputStream().write(what);
                            s.shutdownOutput();
                        } catch (IOException answeredFirst) {
                            // closed after its answer
                        }
                    });
                    drain(s);
                    w.join();
                }
            }
        });
    }
}
