package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import io.ffpoll.multiplexer.net.TlsConfig;
import io.ffpoll.multiplexer.net.UnixAddress;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTPS as curl speaks it ({@code curl --cacert ca.pem https://localhost:PORT/...}): status,
 * body, ALPN (curl offers h2 and http/1.1; the server takes http/1.1), {@code --http1.1}, two
 * URLs on one kept-alive connection, a POST, an RSA certificate, and HTTPS on a Unix socket.
 */
class CurlHttpsTest extends HttpsTestBase {
    private static final String CURL = "/usr/bin/curl";
    // curl 7.88 says "ALPN: server accepted http/1.1"; before 7.85, "ALPN, server accepted to use http/1.1".
    private static final java.util.regex.Pattern ACCEPTED = java.util.regex.Pattern.compile("ALPN[:,] server accepted (to use )?http/1\\.1");

    @BeforeAll
    static void curlIsThere() {
        Assumptions.assumeTrue(new File(CURL).canExecute(), "SKIPPED: " + CURL + " is not installed");
    }

    private static List<String> curl(int port, String... args) {
        List<String> cmd = new ArrayList<>(List.of(CURL, "-sS", "-v", "--cacert", certs.ca().toString(),
                "--resolve", "localhost:" + port + ":127.0.0.1", "-w", "\\n%{http_code} %{http_version}\\n"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static long accepted(HttpServer s) {
        long n = 0;
        for (int i = 0; i < s.loopCount(); i++) {
            n += s.accepted(i);
        }
        return n;
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void twoGetsOnOneConnectionWithAlpnHttp11(String engine) throws Exception {
        HttpServer server = https(certs.server(HttpsCertificates.engine(engine)), HttpServer.AcceptMode.REUSEPORT);
        int port = server.tlsAddress().getPort();
        Tool.Run r = Tool.run(curl(port, "https://localhost:" + port + "/plaintext", "https://localhost:" + port + "/json"), "");
        assertEquals(0, r.exit(), r.all());
        assertEquals("Hello, World!\n200 1.1\n{\"message\":\"Hello, World!\"}\n200 1.1\n", r.out(), r.err());
        assertTrue(ACCEPTED.matcher(r.err()).find(), r.err());
        assertTrue(r.err().contains("SSL certificate verify ok"), r.err());
        assertTrue(r.err().contains("Re-using existing connection"), r.err());
        assertEquals(1, accepted(server), "two requests on one connection");
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void http11OnlyAndAPost(String engine) throws Exception {
        HttpServer server = https(certs.server(HttpsCertificates.engine(engine)), HttpServer.AcceptMode.ACCEPTOR);
        int port = server.tlsAddress().getPort();
        byte[] body = new byte[40_000];
        new Random(3).nextBytes(body);
        Path file = Files.write(dir.resolve("body-" + engine), body);
        Path got = dir.resolve("got-" + engine);
        Tool.Run r = Tool.run(curl(port, "--http1.1", "--data-binary", "@" + file, "-o", got.toString(),
                "https://localhost:" + port + "/echo"), "");
        assertEquals(0, r.exit(), r.all());
        assertEquals("\n200 1.1\n", r.out(), r.err());
        assertTrue(ACCEPTED.matcher(r.err()).find(), r.err());
        assertTrue(java.util.Arrays.equals(body, Files.readAllBytes(got)), "the body echoed over TLS");
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void anRsaCertificate(String engine) throws Exception {
        TlsConfig.Engine e = HttpsCertificates.engine(engine);
        Path rsaDir = Files.createDirectories(dir.resolve("rsa-" + engine));
        HttpsCertificates rsa = HttpsCertificates.create(rsaDir, HttpsCertificates.KeyType.RSA);
        HttpServer server = https(rsa.server(e), HttpServer.AcceptMode.REUSEPORT);
        int port = server.tlsAddress().getPort();
        List<String> cmd = new ArrayList<>(List.of(CURL, "-sS", "-v", "--cacert", rsa.ca().toString(),
                "--resolve", "localhost:" + port + ":127.0.0.1", "--tlsv1.2", "--tls-max", "1.2",
                "https://localhost:" + port + "/plaintext"));
        Tool.Run r = Tool.run(cmd, "");
        assertEquals(0, r.exit(), r.all());
        assertEquals("Hello, World!", r.out(), r.err());
        assertTrue(r.err().contains("TLSv1.2 / ECDHE-RSA-"), "an RSA key exchange: " + r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void httpsOnAUnixSocket(String engine) throws Exception {
        Path path = dir.resolve("https-" + engine + ".sock");
        HttpServer server = Main.withBuiltInRoutes(builder()).threads(1)
                .tls(certs.server(HttpsCertificates.engine(engine))).tlsAddress(UnixAddress.path(path)).start();
        servers.add(server);
        assertEquals(UnixAddress.path(path), server.tlsLocalAddress());
        assertEquals(null, server.tlsAddress(), "no IP address");
        Tool.Run r = Tool.run(List.of(CURL, "-sS", "-v", "--cacert", certs.ca().toString(), "--unix-socket", path.toString(),
                "https://localhost/plaintext"), "");
        assertEquals(0, r.exit(), r.all());
        assertEquals("Hello, World!", r.out(), r.err());
        assertTrue(ACCEPTED.matcher(r.err()).find(), r.err());
        server.close();
        assertFalse(Files.exists(path), "the socket file is removed at shutdown");
    }
}
