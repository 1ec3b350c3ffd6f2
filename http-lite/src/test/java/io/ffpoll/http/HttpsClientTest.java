package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import io.ffpoll.multiplexer.net.TlsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTPS with the JDK's HttpClient (trusting the test CA alone): requests on one kept-alive
 * connection in both accept modes, a plain and a TLS listener in one server, plaintext HTTP
 * sent to the TLS port, and the TLS configurations the builder refuses.
 */
class HttpsClientTest extends HttpsTestBase {

    static Stream<Arguments> enginesAndModes() {
        return Stream.of("jdk", "openssl").flatMap(e -> Stream.of(HttpServer.AcceptMode.values()).map(m -> Arguments.of(e, m)));
    }

    private static HttpClient client() throws IOException {
        return HttpClient.newBuilder().sslContext(certs.clientContext()).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(30)).build();
    }

    private static URI uri(String scheme, InetSocketAddress a, String path) {
        return URI.create(scheme + "://localhost:" + a.getPort() + path);
    }

    /** A GET of {@code path} on {@code a} over {@code scheme}, its body as a string. */
    private static HttpResponse<String> get(HttpClient client, String scheme, InetSocketAddress a, String path)
            throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(scheme, a, path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long accepted(HttpServer s) {
        long n = 0;
        for (int i = 0; i < s.loopCount(); i++) {
            n += s.accepted(i);
        }
        return n;
    }

    @ParameterizedTest
    @MethodSource("enginesAndModes")
    void getPostAndKeepAliveOnOneConnection(String engine, HttpServer.AcceptMode mode) throws Exception {
        HttpServer server = https(certs.server(HttpsCertificates.engine(engine)), mode);
        assertNull(server.address(), "HTTPS alone: no plain listener");
        byte[] body = new byte[48 * 1024]; // several TLS records each way
        new Random(7).nextBytes(body);
        try (HttpClient client = client()) {
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = get(client, "https", server.tlsAddress(), "/plaintext");
                assertEquals(200, r.statusCode());
                assertEquals("Hello, World!", r.body());
                SSLSession session = r.sslSession().orElseThrow();
                assertEquals("TLSv1.3", session.getProtocol());
            }
            HttpResponse<byte[]> echoed = client.send(HttpRequest.newBuilder(uri("https", server.tlsAddress(), "/echo"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, echoed.statusCode());
            assertArrayEquals(body, echoed.body());
            HttpResponse<String> json = get(client, "https", server.tlsAddress(), "/json");
            assertEquals("{\"message\":\"Hello, World!\"}", json.body());
            assertEquals(1, accepted(server), "five requests, one kept-alive connection");
            assertEquals(5, server.requestsServed());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void aPlainAndATlsListenerInOneServerBothServe(String engine) throws Exception {
        HttpServer server = Main.withBuiltInRoutes(builder()).threads(2).address(loopback())
                .tls(certs.server(HttpsCertificates.engine(engine))).tlsAddress(loopback()).start();
        servers.add(server);
        assertNotEquals(server.address().getPort(), server.tlsAddress().getPort());
        try (HttpClient client = client()) {
            HttpResponse<String> plain = get(client, "http", server.address(), "/plaintext");
            HttpResponse<String> tls = get(client, "https", server.tlsAddress(), "/plaintext");
            assertEquals("Hello, World!", plain.body());
            assertTrue(plain.sslSession().isEmpty());
            assertEquals("Hello, World!", tls.body());
            assertTrue(tls.sslSession().isPresent());
        }
        assertEquals(2, accepted(server));
    }

    /** A route learns whether its request came over TLS, and what the handshake settled. */
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void aRequestSaysWhetherItCameOverTls(String engine) throws Exception {
        HttpServer server = builder().threads(2).address(loopback())
                .route("GET", "/tls", r -> Response.text(200, r.tls() == null ? "plain"
                        : r.tls().protocol() + " " + r.tls().serverName()))
                .tls(certs.server(HttpsCertificates.engine(engine))).tlsAddress(loopback()).start();
        servers.add(server);
        try (HttpClient client = client()) {
            HttpResponse<String> plain = get(client, "http", server.address(), "/tls");
            HttpResponse<String> tls = get(client, "https", server.tlsAddress(), "/tls");
            assertEquals("plain", plain.body());
            assertEquals(tls.sslSession().orElseThrow().getProtocol() + " localhost", tls.body());
        }
    }

    /**
     * Plaintext HTTP to the TLS port: the engine refuses it, the connection gets an alert or a
     * close and nothing else (read to its end), gives its place back, and the server goes on
     * serving HTTPS.
     */
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void plaintextHttpToTheTlsPortIsClosedAndTheServerServesOn(String engine) throws Exception {
        HttpServer server = https(certs.server(HttpsCertificates.engine(engine)), HttpServer.AcceptMode.REUSEPORT);
        byte[] got;
        try (Socket s = new Socket()) {
            s.connect(server.tlsAddress(), 30_000);
            s.setSoTimeout(30_000); // the deadline: a server that kept it open would fail here
            s.getOutputStream().write("GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            got = readToTheEnd(s.getInputStream());
        }
        String text = new String(got, StandardCharsets.ISO_8859_1);
        assertTrue(!text.contains("HTTP/1.1"), "no HTTP answer on the TLS port: " + text);
        if (got.length > 0) {
            assertEquals(0x15, got[0], "what came back is a TLS alert record: " + Arrays.toString(got));
        }
        await(() -> server.openConnections() == 0, "the refused connection gave its place back");
        try (HttpClient client = client()) {
            HttpResponse<String> r = get(client, "https", server.tlsAddress(), "/plaintext");
            assertEquals("Hello, World!", r.body());
        }
    }

    /** Everything until EOF, or until a reset (a close with our bytes unread). */
    private static byte[] readToTheEnd(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) != -1) {
                b.write(buf, 0, n);
            }
        } catch (SocketException reset) {
            // the server closed with our request unread: a reset is a close too
        }
        return b.toByteArray();
    }

    @Test
    void configurationsThatCannotServeHttpAreRefused() throws Exception {
        TlsConfig h2 = TlsConfig.server().certificate(certs.localhost(), certs.localhostKey()).alpn("h2")
                .engine(TlsConfig.Engine.JDK).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HttpServer.builder().tls(h2));
        assertTrue(e.getMessage().contains("must offer \"http/1.1\""), e.getMessage());
        TlsConfig h2First = TlsConfig.server().certificate(certs.localhost(), certs.localhostKey()).alpn("h2", "http/1.1")
                .engine(TlsConfig.Engine.JDK).build();
        e = assertThrows(IllegalArgumentException.class, () -> HttpServer.builder().tls(h2First));
        assertTrue(e.getMessage().contains("[h2, http/1.1]"), e.getMessage());
        TlsConfig client = TlsConfig.client().engine(TlsConfig.Engine.JDK).build();
        e = assertThrows(IllegalArgumentException.class, () -> HttpServer.builder().tls(client));
        assertTrue(e.getMessage().contains("not a client's"), e.getMessage());
        IllegalStateException noTls = assertThrows(IllegalStateException.class,
                () -> HttpServer.builder().tlsAddress(loopback()).start());
        assertTrue(noTls.getMessage().contains("needs tls(TlsConfig)"), noTls.getMessage());
        // No ALPN at all is served (the client is told no protocol): only a wrong offer is refused.
        TlsConfig none = TlsConfig.server().certificate(certs.localhost(), certs.localhostKey()).engine(TlsConfig.Engine.JDK).build();
        HttpServer.builder().tls(none);
    }
}
