package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.multiplexer.net.TlsConfig;
import io.ffpoll.multiplexer.net.TlsInfo;
import io.ffpoll.multiplexer.tls.CertifiedKey;
import io.ffpoll.multiplexer.tls.SessionPair;
import io.ffpoll.multiplexer.tls.TestCertificates;
import io.ffpoll.multiplexer.tls.TestCertificates.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Handshakes of a client and a server session joined in memory: versions, ALPN, SNI, client certificates, verification, resumption. */
class OpenSslHandshakeTest extends OpenSslTestBase {

    @ParameterizedTest
    @EnumSource(Kind.class)
    void tls13HandshakeThenDataBothWays(Kind kind) throws Exception {
        TestCertificates c = certs(kind);
        try (SessionPair p = new SessionPair(factory(Settings.client(c.trust()).build()), "localhost", 443,
                factory(Settings.server(c.server()).build()))) {
            assertFalse(p.client.session().isHandshakeDone());
            p.handshake();
            assertTrue(p.client.session().isHandshakeDone() && p.server.session().isHandshakeDone());
            TlsInfo ci = p.client.session().info();
            TlsInfo si = p.server.session().info();
            assertEquals("openssl", ci.engine());
            assertEquals("TLSv1.3", ci.protocol());
            assertEquals("TLSv1.3", si.protocol());
            assertTrue(ci.cipherSuite().startsWith("TLS_AES_") || ci.cipherSuite().startsWith("TLS_CHACHA20_"),
                    ci.cipherSuite());
            assertEquals(ci.cipherSuite(), si.cipherSuite());
            assertNull(ci.applicationProtocol());
            assertEquals("localhost", si.serverName());
            assertEquals(c.server().chain(), ci.peerCertificates()); // leaf, then the CA the server sent
            assertEquals(List.of(), si.peerCertificates());
            assertFalse(ci.resumed());
            exchange(p);
        }
    }

    @Test
    void tls12OnlyServerSettlesOnTls12() throws Exception {
        TestCertificates c = certs(Kind.RSA);
        try (SessionPair p = new SessionPair(factory(Settings.client(c.trust()).build()), "localhost", 443,
                factory(Settings.server(c.server()).protocols("TLSv1.2").build()))) {
            p.handshake();
            TlsInfo ci = p.client.session().info();
            assertEquals("TLSv1.2", ci.protocol());
            assertEquals("TLSv1.2", p.server.session().info().protocol());
            assertTrue(ci.cipherSuite().startsWith("TLS_ECDHE_RSA_WITH_"), ci.cipherSuite());
            exchange(p);
        }
    }

    @Test
    void tls13OnlyClientAgainstTls12OnlyServerFails() throws Exception {
        TestCertificates c = certs(Kind.EC);
        try (SessionPair p = new SessionPair(factory(Settings.client(c.trust()).protocols("TLSv1.3").build()),
                "localhost", 443, factory(Settings.server(c.server()).protocols("TLSv1.2").build()))) {
            p.client.session().begin();
            p.pump(64 * 1024);
            assertInstanceOf(SSLHandshakeException.class, p.server.failure());
            assertTrue(p.server.failure().getMessage().contains("protocol"), p.server.failure().getMessage());
            assertNotNull(p.client.failure(), "the server's alert reached the client");
        }
    }

    @Test
    void alpnServerPicksItsFirstProtocolTheClientOffers() throws Exception {
        TestCertificates c = certs(Kind.EC);
        try (SessionPair p = new SessionPair(factory(Settings.client(c.trust()).alpn("http/1.1", "h2").build()),
                "localhost", 443, factory(Settings.server(c.server()).alpn("h2", "http/1.1").build()))) {
            p.handshake();
            assertEquals("h2", p.client.session().info().applicationProtocol());
            assertEquals("h2", p.server.session().info().applicationProtocol());
        }
    }

    @Test
    void alpnWithNothingInCommonFailsWithNoApplicationProtocol() throws Exception {
        TestCertificates c = certs(Kind.EC);
        try (SessionPair p = new SessionPair(factory(Settings.client(c.trust()).alpn("spdy/3").build()),
                "localhost", 443, factory(Settings.server(c.server()).alpn("h2", "http/1.1").build()))) {
            p.client.session().begin();
            p.pump(64 * 1024);
            assertInstanceOf(SSLHandshakeException.class, p.server.failure());
            assertTrue(p.server.failure().getMessage().contains("SSL_do_handshake"), p.server.failure().getMessage());
            assertTrue(p.server.failure().getMessage().contains("no application protocol"), p.server.failure().getMessage());
            assertInstanceOf(SSLHandshakeException.class, p.client.failure());
            assertTrue(p.client.failure().getMessage().contains("alert no application protocol"),
                    p.client.failure().getMessage());
        }
    }

    @Test
    void serverWithoutAlpnIgnoresTheClientsOffer() throws Exception {
        TestCertificates c = certs(Kind.EC);
        try (SessionPair p = new SessionPair(factory(Settings.client(c.trust()).alpn("h2").build()), "localhost", 443,
                factory(Settings.server(c.server()).build()))) {
            p.handshake();
            assertNull(p.client.session().info().applicationProtocol());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"other.test", "*.test"})
    void sniChoosesTheCertificateOfTheName(String configuredName) throws Exception {
        TestCertificates c = certs(Kind.EC);
        OpenSslTlsFactory server = factory(Settings.server(c.server()).byName(Map.of(configuredName, c.other())).build());
        OpenSslTlsFactory client = factory(Settings.client(c.trust()).build());
        try (SessionPair p = new SessionPair(client, "other.test", 443, server)) {
            p.handshake();
            assertEquals(c.other().leaf(), p.client.session().info().peerCertificates().getFirst());
            assertEquals("other.test", p.server.session().info().serverName());
        }
        try (SessionPair p = new SessionPair(client, "localhost", 443, server)) {
            p.handshake();
            assertEquals(c.server().leaf(), p.client.session().info().peerCertificates().getFirst());
        }
        // A wildcard covers one label: a.b.test gets the default certificate.
        OpenSslTlsFactory unchecked = factory(Settings.client(c.trust()).verifyHostname(false).build());
        try (SessionPair p = new SessionPair(unchecked, "a.b.test", 443, server)) {
            p.handshake();
            assertEquals(c.server().leaf(), p.client.session().info().peerCertificates().getFirst());
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void requiredClientCertificateIsVerifiedAndReported(Kind kind) throws Exception {
        TestCertificates c = certs(kind);
        try (SessionPair p = new SessionPair(factory(Settings.client(c.trust()).key(c.client()).build()), "localhost", 443,
                factory(Settings.server(c.server()).trust(c.trust()).auth(TlsConfig.ClientAuth.REQUIRED).build()))) {
            p.handshake();
            exchange(p);
            assertEquals(c.client().chain(), p.server.session().info().peerCertificates());
        }
    }

    @Test
    void requiredClientCertificateMissingFailsTheHandshake() throws Exception {
        TestCertificates c = certs(Kind.EC);
        try (SessionPair p = new SessionPair(factory(Settings.client(c.trust()).build()), "localhost", 443,
                factory(Settings.server(c.server()).trust(c.trust()).auth(TlsConfig.ClientAuth.REQUIRED).build()))) {
            p.client.session().begin();
            p.pump(64 * 1024);
            assertInstanceOf(SSLHandshakeException.class, p.server.failure());
            assertTrue(p.server.failure().getMessage().contains("peer did not return a certificate"),
                    p.server.failure().getMessage());
            // TLS 1.3: the client finished its side before the server judged it, and learns from the alert.
            assertInstanceOf(SSLException.class, p.client.failure());
            assertTrue(p.client.failure().getMessage().contains("certificate required"), p.client.failure().getMessage());
        }
    }

    /**
     * The server sends the chain it was given and nothing more: a leaf given alone goes alone,
     * even where its issuer is in the store that checks client certificates (OpenSSL would
     * otherwise build a chain from that store on every handshake, as nginx also turns off).
     */
    @Test
    void theServerSendsTheChainItWasGivenAndNoMore() throws Exception {
        TestCertificates c = certs(Kind.EC);
        CertifiedKey leafAlone = new CertifiedKey(List.of(c.server().leaf()), c.server().key());
        try (SessionPair p = new SessionPair(factory(Settings.client(c.trust()).build()), "localhost", 443,
                factory(Settings.server(leafAlone).trust(c.trust()).auth(TlsConfig.ClientAuth.OPTIONAL).build()))) {
            p.handshake();
            assertEquals(List.of(c.server().leaf()), p.client.session().info().peerCertificates());
        }
    }

    /**
     * Every certificate given to {@code trust(...)} is a trust anchor, as in the JDK's PKIX
     * (where the JDK engine accepts it): a client that pins the server's leaf, not its CA,
     * connects.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void aPinnedLeafIsTrustedAsTheJdkTrustsIt(Kind kind) throws Exception {
        TestCertificates c = certs(kind);
        try (SessionPair p = new SessionPair(factory(Settings.client(List.of(c.server().leaf())).build()), "localhost", 443,
                factory(Settings.server(c.server()).build()))) {
            p.handshake();
            assertEquals(c.server().leaf(), p.client.session().info().peerCertificates().getFirst());
        }
    }

    @Test
    void optionalClientCertificateMayBeAbsent() throws Exception {
        TestCertificates c = certs(Kind.EC);
        try (SessionPair p = new SessionPair(factory(Settings.client(c.trust()).build()), "localhost", 443,
                factory(Settings.server(c.server()).trust(c.trust()).auth(TlsConfig.ClientAuth.OPTIONAL).build()))) {
            p.handshake();
            assertEquals(List.of(), p.server.session().info().peerCertificates());
        }
    }

    @Test
    void wrongHostnameFailsVerification() throws Exception {
        TestCertificates c = certs(Kind.EC);
        try (SessionPair p = new SessionPair(factory(Settings.client(c.trust()).build()), "www.example.com", 443,
                factory(Settings.server(c.server()).build()))) {
            p.client.session().begin();
            p.pump(64 * 1024);
            assertInstanceOf(SSLHandshakeException.class, p.client.failure());
            String m = p.client.failure().getMessage();
            assertTrue(m.contains("certificate verify failed") && m.contains("hostname mismatch"), m);
            assertInstanceOf(SSLHandshakeException.class, p.server.failure(), "the client's alert reached the server");
        }
    }

    @Test
    void addressLiteralIsVerifiedAgainstTheIpSan() throws Exception {
        TestCertificates c = certs(Kind.EC);
        try (SessionPair p = new SessionPair(factory(Settings.client(c.trust()).build()), "127.0.0.1", 443,
                factory(Settings.server(c.server()).build()))) {
            p.handshake();
            assertNull(p.server.session().info().serverName(), "no SNI for an address");
        }
        try (SessionPair p = new SessionPair(factory(Settings.client(c.trust()).build()), "127.0.0.2", 443,
                factory(Settings.server(c.server()).build()))) {
            p.client.session().begin();
            p.pump(64 * 1024);
            assertTrue(p.client.failure().getMessage().contains("IP address mismatch"), p.client.failure().getMessage());
        }
    }

    @Test
    void untrustedServerFailsVerification() throws Exception {
        TestCertificates ec = certs(Kind.EC);
        TestCertificates rsa = certs(Kind.RSA);
        try (SessionPair p = new SessionPair(factory(Settings.client(rsa.trust()).build()), "localhost", 443,
                factory(Settings.server(ec.server()).build()))) {
            p.client.session().begin();
            p.pump(64 * 1024);
            String m = p.client.failure().getMessage();
            assertTrue(m.contains("certificate verify failed") && m.contains("self-signed certificate in certificate chain"), m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void secondConnectionResumesWithATicket(String version) throws Exception {
        TestCertificates c = certs(Kind.EC);
        OpenSslTlsFactory server = factory(Settings.server(c.server()).protocols(version).build());
        OpenSslTlsFactory client = factory(Settings.client(c.trust()).build());
        try (SessionPair p = new SessionPair(client, "localhost", 8443, server)) {
            p.handshake();
            exchange(p); // TLS 1.3 tickets come after the handshake; a read takes them
            assertFalse(p.client.session().info().resumed());
        }
        assertEquals(1, OpenSslTlsFactory.liveCachedSessions());
        try (SessionPair p = new SessionPair(client, "localhost", 8443, server)) {
            p.handshake();
            assertTrue(p.client.session().info().resumed());
            assertTrue(p.server.session().info().resumed());
            // TLS 1.2 keeps SNI in the session: OpenSSL puts it there only if a servername callback accepted it
            assertEquals("localhost", p.server.session().info().serverName(), "the SNI of a resumed session");
            assertEquals(c.server().chain(), p.client.session().info().peerCertificates(), "kept in the session");
            exchange(p);
        }
        try (SessionPair p = new SessionPair(client, "localhost", 9443, server)) {
            p.handshake();
            assertFalse(p.client.session().info().resumed(), "another port is another server");
        }
    }

    @Test
    void ticketsOffMeansNoResumption() throws Exception {
        TestCertificates c = certs(Kind.EC);
        OpenSslTlsFactory server = factory(Settings.server(c.server()).tickets(false).build());
        OpenSslTlsFactory client = factory(Settings.client(c.trust()).build());
        for (int i = 0; i < 2; i++) {
            try (SessionPair p = new SessionPair(client, "localhost", 8443, server)) {
                p.handshake();
                exchange(p);
                assertFalse(p.client.session().info().resumed());
            }
        }
        assertEquals(0, OpenSslTlsFactory.liveCachedSessions());
    }

    static void exchange(SessionPair p) throws Exception {
        byte[] ask = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] answer = "HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertEquals(ask.length, p.write(p.client, ask));
        p.pump(64 * 1024);
        assertArrayEquals(ask, p.server.takePlaintext());
        assertEquals(answer.length, p.write(p.server, answer));
        p.pump(64 * 1024);
        p.rethrow();
        assertArrayEquals(answer, p.client.takePlaintext());
    }

    @Test
    void aServerWithoutCertificateIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> factory(Settings.server(null).build()));
    }
}
