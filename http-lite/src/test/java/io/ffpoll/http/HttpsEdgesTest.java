package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import io.ffpoll.multiplexer.net.TlsConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTPS at its edges: every TLS record, the handshake's included, reaching the server a byte
 * at a time; a client that connects and never says hello (the handshake timeout); the
 * connection limit with connections still in their handshake; blocking, async and streamed
 * routes answering over TLS.
 */
class HttpsEdgesTest extends HttpsTestBase {
    private static final String GET = "GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n";

    private SSLSocket connect(int port) throws IOException {
        SSLSocket socket = (SSLSocket) certs.clientContext().getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(60_000);
        return socket;
    }

    /**
     * A proxy on a free port for one connection, which sends on what the client sends a byte
     * per write (TCP_NODELAY: a segment each, as far as the server reads them apart) and the
     * server's answers as they come. Returns its port; it ends when either side closes.
     */
    private static int byteByByteProxy(java.net.InetSocketAddress target, ServerSocket listening) {
        Thread.ofPlatform().daemon().name("byte-proxy").start(() -> {
            try (listening; Socket client = listening.accept(); Socket server = new Socket()) {
                server.connect(target, 30_000);
                server.setTcpNoDelay(true);
                Thread back = Thread.ofPlatform().daemon().start(() -> pump(server, client, 1 << 16));
                pump(client, server, 1);
                back.join(60_000);
            } catch (IOException | InterruptedException e) {
                // the test sees what the client got
            }
        });
        return listening.getLocalPort();
    }

    private static void pump(Socket from, Socket to, int chunk) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int off = 0; off < n; off += chunk) {
                    out.write(buf, off, Math.min(chunk, n - off));
                    out.flush();
                }
            }
            to.shutdownOutput();
        } catch (IOException e) {
            // one side closed
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void everyRecordArrivingAByteAtATime(String engine) throws Exception {
        HttpServer s = https(certs.server(HttpsCertificates.engine(engine)), HttpServer.AcceptMode.REUSEPORT);
        ServerSocket listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        int port = byteByByteProxy(s.tlsAddress(), listening);
        try (SSLSocket socket = connect(port)) {
            RawClient reader = new RawClient(socket, socket.getInputStream());
            reader.send(GET + "POST /echo HTTP/1.1\r\n" + HOST + "Content-Length: 5\r\n\r\nhello");
            assertEquals("Hello, World!", reader.read().text());
            assertEquals("hello", reader.read().text());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void aClientThatNeverSaysHelloIsClosedByTheHandshakeTimeout(String engine) throws Exception {
        TlsConfig tls = TlsConfig.server().certificate(certs.localhost(), certs.localhostKey()).alpn("http/1.1")
                .engine(HttpsCertificates.engine(engine)).handshakeTimeout(Duration.ofMillis(500)).build();
        HttpServer s = https(tls, HttpServer.AcceptMode.REUSEPORT);
        try (Socket silent = new Socket()) {
            silent.connect(s.tlsAddress(), 30_000);
            silent.setSoTimeout(60_000);
            int r;
            try {
                r = silent.getInputStream().read();
            } catch (SocketException reset) {
                r = -1;
            }
            assertEquals(-1, r, "closed, nothing sent");
        }
        await(() -> s.openConnections() == 0, "the silent connection gave its place back");
    }

    /** At the limit of one, a second client waits in the backlog while the first is in its handshake, and is served after. */
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void theConnectionLimitCountsConnectionsInTheirHandshake(String engine) throws Exception {
        HttpServer s = Main.withBuiltInRoutes(builder()).threads(1).maxConnections(1)
                .tls(certs.server(HttpsCertificates.engine(engine))).tlsAddress(loopback()).start();
        servers.add(s);
        try (Socket silent = new Socket()) {
            silent.connect(s.tlsAddress(), 30_000);
            await(s::acceptingSuspended, "accepting suspended with one connection in its handshake");
            CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket socket = connect(s.tlsAddress().getPort())) {
                    RawClient reader = new RawClient(socket, socket.getInputStream());
                    reader.send(GET);
                    return reader.read().text();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertEquals(1, s.openConnections());
            silent.close();
            assertEquals("Hello, World!", second.get(60, TimeUnit.SECONDS));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void blockingAsyncAndStreamedRoutesOverTls(String engine) throws Exception {
        java.util.concurrent.ExecutorService later = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            HttpServer s = builder().threads(1)
                    .blockingRoute("GET", "/blocking", r -> Response.text(200, Thread.currentThread().isVirtual()
                            ? "on a virtual thread" : "on " + Thread.currentThread()))
                    .asyncRoute("GET", "/async", r -> CompletableFuture.supplyAsync(() -> Response.text(200, "later"), later))
                    .route("GET", "/chunked", r -> Response.chunked(200, "text/plain",
                            java.util.List.of("a".repeat(30_000).getBytes(StandardCharsets.US_ASCII),
                                    "b".repeat(30_000).getBytes(StandardCharsets.US_ASCII))))
                    .tls(certs.server(HttpsCertificates.engine(engine))).tlsAddress(loopback()).start();
            servers.add(s);
            try (SSLSocket socket = connect(s.tlsAddress().getPort())) {
                RawClient reader = new RawClient(socket, socket.getInputStream());
                reader.send("GET /blocking HTTP/1.1\r\n" + HOST + "\r\nGET /async HTTP/1.1\r\n" + HOST
                        + "\r\nGET /chunked HTTP/1.1\r\n" + HOST + "\r\n");
                assertEquals("on a virtual thread", reader.read().text());
                assertEquals("later", reader.read().text());
                String chunked = reader.read().text();
                assertEquals(60_000, chunked.length());
                assertTrue(chunked.startsWith("aaa") && chunked.endsWith("bbb"));
            }
        } finally {
            later.shutdown();
        }
    }
}
