package io.ffpoll.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The scale measurement's client (bench/scale, bench/scale-tls): warms the server up with
 * connections that come and go, then opens N keep-alive connections and sends a GET /plaintext
 * on every one, twice, while a probe connection measures latency; reports the server's RSS
 * growth per held connection (from /proc/PID/status) and the probe's percentiles. With
 * {@code --tls CHAIN_PEM} every connection, the warm-up's and the probe's too, is TLS (the JDK's
 * SSLSocket, ALPN http/1.1, trusting that certificate only): the held ones have done their
 * handshake and sit idle. With {@code --half-tls} the held connections (not the warm-up's
 * nor the probe's, which are plain) each send the first half of a ClientHello and nothing
 * more: N handshakes left half done, measured as soon as the server has accepted them all,
 * before its handshake timeout closes them. Usage:
 * {@code HoldConnections PORT SERVER_PID [N] [--cold | --tls CHAIN_PEM | --half-tls PLAIN_PORT]}. With
 * {@code --cold} there is no warm-up: the server's RSS is taken as it stands after its start
 * and the one request that showed it was up, so the growth includes what the JVM spends to
 * compile and size itself for the load.
 */
public final class HoldConnections {
    private static final byte[] REQUEST = "GET /plaintext HTTP/1.1\r\nHost: scale\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private HoldConnections() {}

    private static void exchange(Socket s) throws IOException {
        s.getOutputStream().write(REQUEST);
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("EOF in a response head");
            }
            head.append((char) c);
        }
        int at = head.toString().toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
        int length = Integer.parseInt(head.substring(at + 15, head.indexOf("\r", at)).trim());
        if (in.readNBytes(length).length != length) {
            throw new IOException("short body");
        }
    }

    private static long rss(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    private static long fds(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return s.count();
        }
    }

    /** Opens one connection to the server, plain or TLS. */
    @FunctionalInterface
    private interface Opener {
        Socket open(InetSocketAddress to) throws IOException;
    }

    private static Socket open(InetSocketAddress to) throws IOException {
        Socket s = new Socket(to.getAddress(), to.getPort());
        s.setSoTimeout(60_000);
        return s;
    }

    /** TLS connections that trust the server's certificate (in chainPem) and nothing else. */
    private static Opener tls(Path chainPem) throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(chainPem)) {
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("server-" + i++, c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        SSLSocketFactory factory = context.getSocketFactory();
        return to -> {
            SSLSocket s = (SSLSocket) factory.createSocket(to.getAddress(), to.getPort());
            SSLParameters p = s.getSSLParameters();
            p.setApplicationProtocols(new String[] {"http/1.1"});
            s.setSSLParameters(p);
            s.setSoTimeout(60_000);
            // Now, not at the first exchange: N connections opened ahead of their handshakes
            // would sit out the server's handshake timeout while the client's one core catches up.
            s.startHandshake();
            return s;
        };
    }

    /** The first half of a TLS 1.3 ClientHello, as the JDK's client makes it. */
    private static byte[] halfClientHello() throws IOException, GeneralSecurityException {
        javax.net.ssl.SSLEngine e = SSLContext.getDefault().createSSLEngine("localhost", 443);
        e.setUseClientMode(true);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(e.getSession().getPacketBufferSize());
        e.wrap(java.nio.ByteBuffer.allocate(0), out);
        return java.util.Arrays.copyOf(out.array(), out.position() / 2);
    }

    public static void main(String[] args) throws Exception {
        long pid = Long.parseLong(args[1]);
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 15_000;
        boolean cold = args.length > 3 && args[3].equals("--cold");
        boolean secure = args.length > 4 && args[3].equals("--tls");
        boolean half = args.length > 4 && args[3].equals("--half-tls");
        if (half) {
            halfDone(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])),
                    new InetSocketAddress("127.0.0.1", Integer.parseInt(args[4])), pid, n);
            return;
        }
        InetSocketAddress to = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0]));
        Opener opener = secure ? tls(Path.of(args[4])) : HoldConnections::open;
        long fdsStart = fds(pid);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> warm = new ArrayList<>();
            // At most 64 warm-up connections at once: 1,000 JDK handshakes started together
            // outlast the server's 10 s handshake timeout on two busy cores, and it resets them.
            Semaphore inFlight = new Semaphore(64);
            for (int i = 0; i < (cold ? 0 : 1000); i++) {
                warm.add(pool.submit(() -> {
                    inFlight.acquire();
                    try (Socket s = opener.open(to)) {
                        for (int k = 0; k < 20; k++) {
                            exchange(s);
                        }
                    } finally {
                        inFlight.release();
                    }
                    return null;
                }));
            }
            for (Future<?> f : warm) {
                f.get(120, TimeUnit.SECONDS);
            }
            while (fds(pid) > fdsStart) {
                Thread.sleep(10);
            }
            if (!cold) {
                Thread.sleep(5000); // the warm-up's leftovers are given back, as after the hold below
            }
            long rssBefore = rss(pid);
            AtomicBoolean probing = new AtomicBoolean(true);
            ConcurrentLinkedQueue<Long> probe = new ConcurrentLinkedQueue<>();
            Thread prober = Thread.ofPlatform().start(() -> {
                try (Socket p = opener.open(to)) {
                    while (probing.get()) {
                        long t = System.nanoTime();
                        exchange(p);
                        probe.add(System.nanoTime() - t);
                        Thread.sleep(5);
                    }
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException("the probe failed", e);
                }
            });
            List<Socket> held = new ArrayList<>(n);
            long started = System.nanoTime();
            for (int round = 0; round < 2; round++) {
                List<Future<?>> answers = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    if (round == 0) {
                        held.add(opener.open(to));
                    }
                    Socket s = held.get(i);
                    answers.add(pool.submit(() -> {
                        exchange(s);
                        return null;
                    }));
                }
                for (Future<?> f : answers) {
                    f.get(120, TimeUnit.SECONDS);
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            long serverFds = fds(pid);
            // Idle: the server settles. Its pools give back what the burst left over a second or
            // two (the loop's buffer pool's trim, the launcher's TrimNativeHeapInterval).
            Thread.sleep(5000);
            long rssHeld = rss(pid);
            probing.set(false);
            prober.join();
            long[] lat = probe.stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf("held %,d %s connections (%s; server fds %,d -> %,d), each answered twice in %.1f s%n",
                    n, secure ? "TLS" : "plain", cold ? "cold start, no warm-up" : "after a warm-up of 1,000",
                    fdsStart, serverFds, seconds);
            System.out.printf("server RSS %,d -> %,d bytes: %,d bytes per held connection%n",
                    rssBefore, rssHeld, (rssHeld - rssBefore) / n);
            System.out.printf("probe: %d requests, p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", lat.length,
                    pct(lat, 50), pct(lat, 99), lat.length == 0 ? Double.NaN : lat[lat.length - 1] / 1e6);
            // HOLD_SECONDS keeps them open a while longer, for a look with jcmd or pmap.
            Thread.sleep(1000L * Integer.parseInt(System.getenv().getOrDefault("HOLD_SECONDS", "0")));
            for (Socket s : held) {
                s.close();
            }
        }
    }

    /**
     * N connections to the TLS port that send half a ClientHello each; the server's RSS growth
     * once it has accepted them all and read their bytes. A plain keep-alive probe on the plain
     * port meanwhile tells whether the server still answers.
     */
    private static void halfDone(InetSocketAddress tls, InetSocketAddress plain, long pid, int n) throws Exception {
        byte[] hello = halfClientHello();
        long fdsStart = fds(pid);
        long rssBefore = rss(pid);
        List<Socket> held = new ArrayList<>(n);
        long started = System.nanoTime();
        try {
            for (int i = 0; i < n; i++) {
                Socket s = open(tls);
                held.add(s);
                s.getOutputStream().write(hello);
            }
            while (fds(pid) < fdsStart + n) {
                if (System.nanoTime() - started > 60_000_000_000L) {
                    throw new IOException("the server accepted " + (fds(pid) - fdsStart) + " of " + n + " in 60 s");
                }
                Thread.sleep(10);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            Thread.sleep(500); // the last reads land
            long serverFds = fds(pid);
            long rssHeld = rss(pid);
            long t = System.nanoTime();
            try (Socket p = open(plain)) {
                exchange(p);
            }
            double probeMs = (System.nanoTime() - t) / 1e6;
            System.out.printf("held %,d half-done TLS handshakes (%d bytes of a %s each; server fds %,d -> %,d), opened in %.1f s%n",
                    n, hello.length, "ClientHello", fdsStart, serverFds, seconds);
            System.out.printf("server RSS %,d -> %,d bytes: %,d bytes per held connection%n",
                    rssBefore, rssHeld, (rssHeld - rssBefore) / n);
            System.out.printf("probe: a plain request answered in %.2f ms while they were held%n", probeMs);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    private static double pct(long[] sorted, int p) {
        return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e6;
    }
}
