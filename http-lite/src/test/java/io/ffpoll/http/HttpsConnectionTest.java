package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import io.ffpoll.http.serve.HttpConnection;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an HTTP connection does over TLS, as the JDK's SSLSocket sees it: pipelined requests,
 * one arriving a byte per record; a client that sends and does not read (back-pressure through
 * the records, nothing lost); an error response and the close after it; a half-close (the
 * client's close_notify) with a request in flight; and the close_notify a shutdown and an idle
 * timeout send.
 */
class HttpsConnectionTest extends HttpsTestBase {
    private static final String GET = "GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n";
    private static final int BODY = 60_000;

    private HttpServer server(String engine) throws IOException {
        return server(engine, Duration.ofSeconds(60));
    }

    private HttpServer server(String engine, Duration idle) throws IOException {
        HttpServer s = Main.withBuiltInRoutes(builder()).threads(1).limits(1024, 4096, 64 * 1024)
                .timeouts(Duration.ofSeconds(30), idle)
                .tls(certs.server(HttpsCertificates.engine(engine))).tlsAddress(loopback()).start();
        servers.add(s);
        return s;
    }

    private static SSLSocket connect(HttpServer s) throws IOException {
        SSLSocket socket = (SSLSocket) certs.clientContext().getSocketFactory()
                .createSocket(s.tlsAddress().getAddress(), s.tlsAddress().getPort());
        socket.setSoTimeout(60_000);
        socket.startHandshake();
        return socket;
    }

    private static byte[] echoRequest(byte[] body) {
        byte[] head = ("POST /echo HTTP/1.1\r\n" + HOST + "Content-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] r = java.util.Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, r, head.length, body.length);
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void pipelinedRequestsAndOneSentAByteARecord(String engine) throws Exception {
        HttpServer s = server(engine);
        try (SSLSocket socket = connect(s)) {
            OutputStream out = socket.getOutputStream();
            out.write(GET.repeat(50).getBytes(StandardCharsets.US_ASCII)); // one record
            byte[] post = echoRequest("one byte a record".getBytes(StandardCharsets.US_ASCII));
            for (byte b : post) {
                out.write(b); // SSLSocket makes a record of each write
                out.flush();
            }
            RawClient reader = new RawClient(socket, socket.getInputStream());
            for (int i = 0; i < 50; i++) {
                RawClient.Response r = reader.read();
                assertEquals(200, r.status());
                assertEquals("Hello, World!", r.text());
            }
            assertEquals("one byte a record", reader.read().text());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void aClientThatSendsAndDoesNotReadLosesNothing(String engine) throws Exception {
        HttpServer s = server(engine);
        final int requests = 300; // 18 MB of responses: far more than the socket buffers hold
        byte[][] bodies = new byte[requests][];
        Random random = new Random(5);
        try (SSLSocket socket = connect(s)) {
            OutputStream out = socket.getOutputStream();
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < requests; i++) {
                        bodies[i] = new byte[BODY];
                        random.nextBytes(bodies[i]);
                        out.write(echoRequest(bodies[i]));
                    }
                    out.flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            await(() -> {
                try {
                    return s.onLoop(0, () -> s.loopState(0).connections().stream().anyMatch(HttpConnection::readingPaused));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }, "the server stops reading from a client that does not read");
            assertTrue(s.requestsServed() < requests, "served all while the client read nothing");
            RawClient reader = new RawClient(socket, socket.getInputStream());
            for (int i = 0; i < requests; i++) {
                RawClient.Response r = reader.read();
                assertEquals(200, r.status());
                assertArrayEquals(bodies[i], r.body(), "response " + i);
            }
            sending.get(60, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void aMalformedRequestGetsItsErrorThenTheEnd(String engine) throws Exception {
        HttpServer s = server(engine);
        try (SSLSocket socket = connect(s)) {
            socket.getOutputStream().write("GARBAGE\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            RawClient reader = new RawClient(socket, socket.getInputStream());
            assertEquals(400, reader.read().status());
            assertEquals(-1, socket.getInputStream().read(), "the server's close_notify: a clean end of the stream");
        }
    }

    /**
     * The client sends a request and closes its side (TLS 1.3 lets each side close on its own:
     * its close_notify, then FIN): it still gets its answer, then the server's close.
     */
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void aRequestThenTheClientsCloseNotifyGetsItsResponse(String engine) throws Exception {
        HttpServer s = server(engine);
        try (SSLSocket socket = connect(s)) {
            assertEquals("TLSv1.3", socket.getSession().getProtocol());
            socket.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            String got = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(got.startsWith("HTTP/1.1 200 OK\r\n") && got.endsWith("Hello, World!"), got);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void theIdleTimeoutAndTheShutdownEndConnectionsWithCloseNotify(String engine) throws Exception {
        HttpServer s = server(engine, Duration.ofSeconds(1));
        try (SSLSocket idle = connect(s)) {
            RawClient reader = new RawClient(idle, idle.getInputStream());
            reader.send(GET);
            assertEquals(200, reader.read().status());
            // An SSLSocket reading a FIN without close_notify throws ("closing inbound before
            // receiving peer's close_notify"): -1 is a clean TLS close.
            assertEquals(-1, idle.getInputStream().read(), "closed idle with close_notify");
        }
        try (SSLSocket kept = connect(s)) {
            RawClient reader = new RawClient(kept, kept.getInputStream());
            reader.send(GET);
            assertEquals(200, reader.read().status());
            assertTrue(s.shutdown(Duration.ofSeconds(30)), "the shutdown finished in time");
            assertEquals(-1, kept.getInputStream().read(), "closed by the shutdown with close_notify");
        }
    }
}
