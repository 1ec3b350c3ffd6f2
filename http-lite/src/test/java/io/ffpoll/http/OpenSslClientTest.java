package io.ffpoll.http;

import io.ffpoll.multiplexer.net.TlsConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TLS handshake as {@code openssl s_client} sees it: the chain verified against the test
 * CA, ALPN http/1.1, a second certificate picked by SNI, session resumption on TLS 1.3 (a
 * ticket) and 1.2, and TLS 1.1 refused. Each run sends one request with
 * {@code Connection: close} and reads to the server's close ({@code -ign_eof}): a TLS 1.3
 * client gets its tickets after the handshake, so it must read on before it saves the session.
 */
class OpenSslClientTest extends HttpsTestBase {
    private static final String OPENSSL = "/usr/bin/openssl";
    private static final String REQUEST = "GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    @BeforeAll
    static void opensslIsThere() {
        Assumptions.assumeTrue(new File(OPENSSL).canExecute(), "SKIPPED: " + OPENSSL + " is not installed");
    }

    /** s_client sending SNI {@code serverName} and checking the certificate against {@code verifyName}. */
    private static List<String> sClient(HttpServer s, String serverName, String verifyName, String... args) {
        List<String> cmd = new ArrayList<>(List.of(OPENSSL, "s_client", "-connect", "127.0.0.1:" + s.tlsAddress().getPort(),
                "-servername", serverName, "-verify_hostname", verifyName, "-alpn", "http/1.1",
                "-CAfile", certs.ca().toString(), "-verify_return_error", "-ign_eof"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The handshake verified and the request answered, on {@code version}; the run's output. */
    private static String served(Tool.Run r, String version) {
        assertEquals(0, r.exit(), r.all());
        String out = r.out();
        assertTrue(out.contains("Verify return code: 0 (ok)"), out);
        assertTrue(out.contains("ALPN protocol: http/1.1"), out);
        assertTrue(out.contains(", " + version + ", Cipher is "), out);
        assertTrue(out.contains("HTTP/1.1 200 OK\r\n"), out);
        assertTrue(out.contains("\r\n\r\nHello, World!"), out);
        return out;
    }

    @ParameterizedTest
    @CsvSource({"jdk, -tls1_3, TLSv1.3", "jdk, -tls1_2, TLSv1.2", "openssl, -tls1_3, TLSv1.3", "openssl, -tls1_2, TLSv1.2"})
    void aVerifiedHandshakeWithAlpnAndThenAResumedOne(String engine, String flag, String version) throws Exception {
        HttpServer server = https(certs.server(HttpsCertificates.engine(engine)), HttpServer.AcceptMode.REUSEPORT);
        Path session = dir.resolve("session-" + engine + flag);
        String first = served(Tool.run(sClient(server, "localhost", "localhost", flag, "-sess_out", session.toString()), REQUEST), version);
        assertTrue(first.contains("New, " + version + ", Cipher is "), first);
        assertTrue(first.contains("subject=CN = localhost"), first);
        assertTrue(Files.size(session) > 0, "s_client saved the session");
        String second = served(Tool.run(sClient(server, "localhost", "localhost", flag, "-sess_in", session.toString()), REQUEST), version);
        assertTrue(second.contains("Reused, " + version + ", Cipher is "), "the session was resumed:\n" + second);
        Files.delete(session);
    }

    /**
     * {@code sessionTickets(false)}: no NewSessionTicket on either version, so a TLS 1.3 client
     * has nothing to resume with (1.2 may still resume by session id, which is not a ticket).
     * The JDK engine sent tickets here before it set its contexts' session timeout; it cannot
     * keep a TLS 1.2 server from promising one, so that configuration is refused.
     */
    @ParameterizedTest
    @CsvSource({"jdk, -tls1_3, TLSv1.3", "jdk, -tls1_2, TLSv1.2", "openssl, -tls1_3, TLSv1.3", "openssl, -tls1_2, TLSv1.2"})
    void ticketsOffMeansNoTicket(String engine, String flag, String version) throws Exception {
        TlsConfig.Engine e = HttpsCertificates.engine(engine);
        if (e == TlsConfig.Engine.JDK && version.equals("TLSv1.2")) {
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> certs.server(e, false, version));
            assertTrue(refused.getMessage().contains("enableSessionTicketExtension"), refused.getMessage());
            return;
        }
        HttpServer server = https(certs.server(e, false, version), HttpServer.AcceptMode.REUSEPORT);
        Path session = dir.resolve("no-ticket-" + engine + flag);
        String first = served(Tool.run(sClient(server, "localhost", "localhost", flag, "-sess_out", session.toString()), REQUEST), version);
        assertFalse(first.contains("TLS session ticket"), "a ticket was sent:\n" + first);
        if (version.equals("TLSv1.3")) { // s_client saves a TLS 1.3 session only when a ticket comes
            assertFalse(Files.exists(session) && Files.size(session) > 0, "a TLS 1.3 session to resume was saved");
        }
        Files.deleteIfExists(session);
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void sniPicksTheSecondCertificate(String engine) throws Exception {
        HttpServer server = https(certs.server(HttpsCertificates.engine(engine)), HttpServer.AcceptMode.REUSEPORT);
        String other = served(Tool.run(sClient(server, "other.test", "other.test", "-tls1_3"), REQUEST), "TLSv1.3");
        assertTrue(other.contains("subject=CN = other.test"), "other.test's certificate for SNI other.test:\n" + other);
        String unknown = Tool.run(sClient(server, "unknown.test", "localhost", "-tls1_3"), REQUEST).out();
        assertTrue(unknown.contains("subject=CN = localhost"), "the default certificate for a name it has none for:\n" + unknown);
    }

    /**
     * ALPN: a client that offers only h2 is refused with the no_application_protocol alert (it
     * would speak HTTP/2 to a server that does not); one that offers nothing is served, with no
     * protocol negotiated.
     */
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void anOfferOfH2AloneIsRefusedAndNoOfferIsServed(String engine) throws Exception {
        HttpServer server = https(certs.server(HttpsCertificates.engine(engine)), HttpServer.AcceptMode.REUSEPORT);
        List<String> h2 = new ArrayList<>(sClient(server, "localhost", "localhost", "-tls1_3"));
        h2.set(h2.indexOf("http/1.1"), "h2");
        Tool.Run refused = Tool.run(h2, REQUEST);
        assertNotEquals(0, refused.exit(), refused.all());
        assertTrue(refused.err().contains("no application protocol"), refused.all());
        assertFalse(refused.out().contains("Hello, World!"), refused.all());
        List<String> none = new ArrayList<>(sClient(server, "localhost", "localhost", "-tls1_3"));
        none.remove(none.indexOf("-alpn") + 1);
        none.remove("-alpn");
        Tool.Run served = Tool.run(none, REQUEST);
        assertEquals(0, served.exit(), served.all());
        assertTrue(served.out().contains("No ALPN negotiated"), served.out());
        assertTrue(served.out().contains("\r\n\r\nHello, World!"), served.out());
    }

    /**
     * A TLS 1.2 renegotiation asked by the client is refused, as testssl checks it: {@code R}
     * typed into s_client ends its run with an error, not with a new handshake or an orderly
     * close (testssl reads exit status 0 as "client-initiated renegotiation: VULNERABLE").
     */
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void aClientRenegotiationEndsTheClientsRunWithAnError(String engine) throws Exception {
        HttpServer server = https(certs.server(HttpsCertificates.engine(engine)), HttpServer.AcceptMode.REUSEPORT);
        for (int i = 0; i < 3; i++) {
            Tool.Run r = Tool.run(List.of(OPENSSL, "s_client", "-connect", "127.0.0.1:" + server.tlsAddress().getPort(),
                    "-tls1_2", "-legacy_renegotiation"), "R\n", true);
            assertTrue(r.err().contains("RENEGOTIATING"), r.all());
            // 1: s_client's own failure, not a kill; the reason is the server's refusal
            assertEquals(1, r.exit(), "run " + i + ":\n" + r.all());
            assertTrue(r.err().contains(engine.equals("jdk") ? "unexpected eof while reading" : "no renegotiation"),
                    "run " + i + ":\n" + r.all());
            assertFalse(r.out().contains("Hello, World!"), r.all());
        }
        await(() -> server.openConnections() == 0, "the refused connections gave their places back");
        served(Tool.run(sClient(server, "localhost", "localhost", "-tls1_2"), REQUEST), "TLSv1.2");
    }

    /**
     * Every TLS 1.3 cipher suite OpenSSL offers by default is served, by both engines: on the
     * OpenSSL engine a TLS 1.3 server frees its {@code SSL} after the handshake and protects
     * records with its own record layer, so this is that layer against s_client's, per suite.
     */
    @ParameterizedTest
    @CsvSource({"jdk, TLS_AES_128_GCM_SHA256", "jdk, TLS_AES_256_GCM_SHA384", "jdk, TLS_CHACHA20_POLY1305_SHA256",
            "openssl, TLS_AES_128_GCM_SHA256", "openssl, TLS_AES_256_GCM_SHA384", "openssl, TLS_CHACHA20_POLY1305_SHA256"})
    void everyTls13CipherSuiteIsServed(String engine, String suite) throws Exception {
        HttpServer server = https(certs.server(HttpsCertificates.engine(engine)), HttpServer.AcceptMode.REUSEPORT);
        String out = served(Tool.run(sClient(server, "localhost", "localhost", "-tls1_3", "-ciphersuites", suite),
                REQUEST.replace("Connection: close\r\n", "") + REQUEST), "TLSv1.3");
        assertTrue(out.contains("Cipher is " + suite), out);
        assertEquals(2, out.split("HTTP/1.1 200 OK", -1).length - 1, "two responses:\n" + out);
    }

    /**
     * The server's choice of cipher suites and groups, as s_client sees it: on TLS 1.3 the one
     * suite allowed of the three s_client offers, and secp384r1 by a HelloRetryRequest (s_client
     * sends an X25519 key share first); on TLS 1.2 the ChaCha20 suite, ahead of the AES-GCM one
     * allowed after it, and secp384r1 again. (secp256r1 is allowed too: the JDK serves an ECDSA
     * certificate on TLS 1.2 only where its curve is one of the groups, as RFC 8422 5.1 has the
     * client's list bind the certificate.) A client offering only a suite not allowed is
     * refused, and the server serves the next one.
     */
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void theServersCipherSuitesAndGroupsAreTheOnesNegotiated(String engine) throws Exception {
        TlsConfig tls = TlsConfig.server().certificate(certs.localhost(), certs.localhostKey()).alpn("http/1.1")
                .engine(HttpsCertificates.engine(engine))
                .cipherSuites("TLS_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
                .groups("secp384r1", "secp256r1").build();
        HttpServer server = https(tls, HttpServer.AcceptMode.REUSEPORT);
        String tls13 = served(Tool.run(sClient(server, "localhost", "localhost", "-tls1_3", "-groups", "X25519:secp384r1"),
                REQUEST), "TLSv1.3");
        assertTrue(tls13.contains("Cipher is TLS_AES_256_GCM_SHA384"), tls13);
        assertTrue(tls13.contains("Server Temp Key: ECDH, secp384r1"), tls13);
        String tls12 = served(Tool.run(sClient(server, "localhost", "localhost", "-tls1_2", "-groups", "X25519:secp384r1:secp256r1",
                "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305"), REQUEST), "TLSv1.2");
        assertTrue(tls12.contains("Cipher is ECDHE-ECDSA-CHACHA20-POLY1305"), tls12);
        assertTrue(tls12.contains("Server Temp Key: ECDH, secp384r1"), tls12);
        Tool.Run refused = Tool.run(sClient(server, "localhost", "localhost", "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"),
                REQUEST);
        assertNotEquals(0, refused.exit(), refused.all());
        assertFalse(refused.out().contains("Hello, World!"), refused.all());
        assertTrue(refused.err().contains("handshake failure"), refused.all());
        await(() -> server.openConnections() == 0, "the refused connection gave its place back");
        served(Tool.run(sClient(server, "localhost", "localhost", "-tls1_3"), REQUEST), "TLSv1.3");
    }

    /**
     * A TLS 1.2 DHE suite, chosen for an RSA certificate, is negotiated on both engines: OpenSSL
     * needs its DHE parameters picked for it (SSL_CTX_set_dh_auto), or it never offers the suite.
     */
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void aChosenDheSuiteIsNegotiated(String engine) throws Exception {
        HttpsCertificates rsa = HttpsCertificates.create(dir, HttpsCertificates.KeyType.RSA);
        TlsConfig tls = TlsConfig.server().certificate(rsa.localhost(), rsa.localhostKey()).alpn("http/1.1")
                .engine(HttpsCertificates.engine(engine)).protocols("TLSv1.2")
                .cipherSuites("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256").build();
        HttpServer server = https(tls, HttpServer.AcceptMode.REUSEPORT);
        Tool.Run r = Tool.run(List.of(OPENSSL, "s_client", "-connect", "127.0.0.1:" + server.tlsAddress().getPort(),
                "-servername", "localhost", "-verify_hostname", "localhost", "-alpn", "http/1.1", "-CAfile", rsa.ca().toString(),
                "-verify_return_error", "-ign_eof", "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"), REQUEST);
        String out = served(r, "TLSv1.2");
        assertTrue(out.contains("Cipher is DHE-RSA-AES128-GCM-SHA256"), out);
    }

    /**
     * A TLS 1.3 CCM suite, chosen: served by the OpenSSL engine (whose connections keep their
     * {@code SSL} for it, as the loop's record layer has no CCM), refused at build() by the JDK
     * engine, which has no such suite.
     */
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void aChosenCcmSuiteIsServedByOpenSslAndRefusedByTheJdk(String engine) throws Exception {
        TlsConfig.Builder b = TlsConfig.server().certificate(certs.localhost(), certs.localhostKey()).alpn("http/1.1")
                .engine(HttpsCertificates.engine(engine)).protocols("TLSv1.3").cipherSuites("TLS_AES_128_CCM_SHA256");
        if (engine.equals("jdk")) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, b::build);
            assertTrue(refused.getMessage().contains("TLS_AES_128_CCM_SHA256"), refused.getMessage());
            return;
        }
        HttpServer server = https(b.build(), HttpServer.AcceptMode.REUSEPORT);
        String out = served(Tool.run(sClient(server, "localhost", "localhost", "-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"),
                REQUEST.replace("Connection: close\r\n", "") + REQUEST), "TLSv1.3");
        assertTrue(out.contains("Cipher is TLS_AES_128_CCM_SHA256"), out);
        assertEquals(2, out.split("HTTP/1.1 200 OK", -1).length - 1, "two responses:\n" + out);
    }

    /**
     * TLS 1.1 is refused. OpenSSL 3 itself allows nothing below TLS 1.2 at its default security
     * level, so the client is told level 0: the ClientHello offers 1.1, and the server must say no.
     */
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void tls11IsRefused(String engine) throws Exception {
        HttpServer server = https(certs.server(HttpsCertificates.engine(engine)), HttpServer.AcceptMode.REUSEPORT);
        Tool.Run r = Tool.run(sClient(server, "localhost", "localhost", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"), REQUEST);
        assertNotEquals(0, r.exit(), r.all());
        assertTrue(r.out().contains("Cipher is (NONE)"), r.all());
        assertFalse(r.out().contains("Hello, World!"), r.all());
        assertTrue(r.err().contains("alert protocol version") || r.err().contains("unsupported protocol")
                || r.err().contains("handshake failure"), "a handshake the server refused:\n" + r.err());
        await(() -> server.openConnections() == 0, "the refused connection gave its place back");
        served(Tool.run(sClient(server, "localhost", "localhost", "-tls1_3"), REQUEST), "TLSv1.3");
    }
}
