package io.ffpoll.bench;

import com.sun.net.httpserver.HttpExchange;
import io.ffpoll.http.HttpServer;
import io.ffpoll.http.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * End-to-end HTTP over loopback keep-alive connections: four client threads (pinned to CPU 1),
 * each with its own connection, send {@code GET /plaintext} and read the whole response. The
 * servers answer {@code Hello, World!}, each on one core, CPU 0, as in the load report:
 * http-lite (one loop), the JDK's {@code com.sun.net.httpserver.HttpServer} (its default:
 * handlers on its dispatcher thread, which is pinned), and a blocking
 * virtual-thread-per-connection server ({@link VirtualThreadHttpServer}; one carrier thread,
 * {@code jdk.virtualThreadScheduler.parallelism=1}, pinned). Each server's thread pins itself
 * when it first serves {@code GET /pin}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(4)
@Fork(value = 2, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC",
        "-Djdk.virtualThreadScheduler.parallelism=1", "-Djdk.virtualThreadScheduler.maxPoolSize=1"})
public class HttpEndToEndBenchmark {
    private static final byte[] REQUEST = "GET /plaintext HTTP/1.1\r\nHost: bench\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BODY = "Hello, World!".getBytes(StandardCharsets.US_ASCII);

    /** The server under test, shared by the client threads. */
    @State(Scope.Benchmark)
    public static class Server {
        @Param({"http-lite", "jdk-httpserver", "virtual-threads"})
        public String server;

        InetSocketAddress address;
        private HttpServer httpLite;
        private com.sun.net.httpserver.HttpServer jdk;
        private VirtualThreadHttpServer vt;

        @Setup(Level.Trial)
        public void start() throws Exception {
            InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            switch (server) {
                case "http-lite" -> {
                    Response hello = Response.text(200, "Hello, World!");
                    httpLite = HttpServer.builder().threads(1).address(any)
                            .route("GET", "/plaintext", r -> hello)
                            .route("GET", "/pin", r -> Response.text(200, Affinity.pin(0) ? "pinned" : "not pinned"))
                            .start();
                    address = httpLite.address();
                }
                case "jdk-httpserver" -> {
                    jdk = com.sun.net.httpserver.HttpServer.create(any, 4096);
                    jdk.createContext("/plaintext", (HttpExchange e) -> {
                        e.getResponseHeaders().set("Content-Type", "text/plain");
                        e.sendResponseHeaders(200, BODY.length);
                        try (OutputStream out = e.getResponseBody()) {
                            out.write(BODY);
                        }
                    });
                    jdk.createContext("/pin", (HttpExchange e) -> {
                        byte[] body = (Affinity.pin(0) ? "pinned" : "not pinned").getBytes(StandardCharsets.US_ASCII);
                        e.sendResponseHeaders(200, body.length);
                        try (OutputStream out = e.getResponseBody()) {
                            out.write(body);
                        }
                    });
                    jdk.start();
                    address = jdk.getAddress();
                }
                default -> {
                    // The one carrier thread pins itself as each connection's thread starts.
                    vt = new VirtualThreadHttpServer(any, () -> Affinity.pin(0));
                    address = vt.address();
                }
            }
            pinServer();
        }

        /** Pins the server's thread to CPU 0: the {@code /pin} handler runs on it. */
        private void pinServer() throws IOException {
            try (SocketChannel c = SocketChannel.open(address)) {
                c.write(ByteBuffer.wrap("GET /pin HTTP/1.1\r\nHost: bench\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
                Client.readResponse(c, ByteBuffer.allocateDirect(4096));
            }
        }

        @TearDown(Level.Trial)
        public void stop() throws Exception {
            if (httpLite != null) {
                httpLite.shutdown(Duration.ofSeconds(5));
            }
            if (jdk != null) {
                jdk.stop(0);
            }
            if (vt != null) {
                vt.close();
            }
        }
    }

    /** One client connection per thread. */
    @State(Scope.Thread)
    public static class Client {
        SocketChannel channel;
        final ByteBuffer request = ByteBuffer.allocateDirect(REQUEST.length).put(REQUEST).flip();
        final ByteBuffer response = ByteBuffer.allocateDirect(4096);

        @Setup(Level.Trial)
        public void connect(Server s) throws IOException {
            Affinity.pin(1);
            channel = SocketChannel.open(s.address);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }

        /** Reads one response (head, then Content-Length bytes); returns the body's length. */
        static int readResponse(SocketChannel c, ByteBuffer b) throws IOException {
            b.clear();
            int headEnd = -1;
            while (headEnd < 0) {
                if (c.read(b) < 0) {
                    throw new IOException("closed");
                }
                for (int i = 3; i < b.position(); i++) {
                    if (b.get(i) == '\n' && b.get(i - 1) == '\r' && b.get(i - 2) == '\n' && b.get(i - 3) == '\r') {
                        headEnd = i + 1;
                        break;
                    }
                }
            }
            int length = contentLength(b, headEnd);
            while (b.position() < headEnd + length) {
                if (c.read(b) < 0) {
                    throw new IOException("closed");
                }
            }
            return length;
        }

        private static int contentLength(ByteBuffer b, int headEnd) {
            byte[] head = new byte[headEnd];
            b.get(0, head);
            String h = new String(head, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
            int at = h.indexOf("content-length:");
            return Integer.parseInt(h.substring(at + 15, h.indexOf('\r', at)).trim());
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            channel.close();
            Affinity.unpin();
        }
    }

    @Benchmark
    public int request(Client c) throws IOException {
        c.request.clear();
        while (c.request.hasRemaining()) {
            c.channel.write(c.request);
        }
        return Client.readResponse(c.channel, c.response);
    }
}
