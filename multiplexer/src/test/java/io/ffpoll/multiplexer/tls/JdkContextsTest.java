package io.ffpoll.multiplexer.tls;

import io.ffpoll.multiplexer.net.TlsConfig;
import io.ffpoll.multiplexer.tls.jdk.JdkContexts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The JDK context's key and trust managers, through a client and a server {@link SSLEngine}
 * handshaking in memory.
 */
class JdkContextsTest {
    @TempDir
    static Path dir;

    /** The server's default is EC and its named certificate RSA, so the key type matters. */
    static CertifiedKey defaultEc, otherRsa, wildEc, clientRsa, strangerEc;

    @BeforeAll
    static void makeKeys() throws Exception {
        PemFixtures.assumeOpenssl();
        defaultEc = selfSigned(PemFixtures.ecKey(dir, "default.key"), "default.test");
        otherRsa = selfSigned(PemFixtures.rsaKey(dir, "other.key"), "other.test");
        wildEc = selfSigned(PemFixtures.ecKey(dir, "wild.key"), "*.wild.test");
        clientRsa = selfSigned(PemFixtures.rsaKey(dir, "client.key"), "client.test");
        strangerEc = selfSigned(PemFixtures.ecKey(dir, "stranger.key"), "stranger.test");
    }

    @Test
    void aClientWithoutSniGetsTheDefaultCertificate() throws IOException {
        assertEquals(defaultEc.leaf(), serverCertificate(null));
    }

    @Test
    void sniPicksTheNamedCertificateEvenOfAnotherKeyType() throws IOException {
        // The JDK asks for an EC key first (the client prefers ECDSA): a manager that answered
        // the default there would serve default.test to a client that asked for other.test.
        assertEquals(otherRsa.leaf(), serverCertificate("other.test"));
        assertEquals(otherRsa.leaf(), serverCertificate("OTHER.test"));
    }

    @Test
    void aWildcardStandsForOneLabel() throws IOException {
        assertEquals(wildEc.leaf(), serverCertificate("a.wild.test"));
        assertEquals(defaultEc.leaf(), serverCertificate("a.b.wild.test"));
        assertEquals(defaultEc.leaf(), serverCertificate("wild.test"));
    }

    @Test
    void anUnknownNameGetsTheDefaultCertificate() throws IOException {
        assertEquals(defaultEc.leaf(), serverCertificate("nobody.test"));
    }

    @Test
    void aNamedCertificateTheClientCannotVerifyIsNotReplacedByTheDefault() throws IOException {
        SSLEngine server = server().createSSLEngine();
        SSLEngine client = client(null, trustAll()).createSSLEngine();
        client.setUseClientMode(true);
        SSLParameters p = client.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("other.test")));
        p.setSignatureSchemes(new String[] {"ecdsa_secp256r1_sha256"});
        client.setSSLParameters(p);
        assertThrows(SSLHandshakeException.class, () -> handshake(client, server));
    }

    @Test
    void aClientOffersItsCertificateAndTheServerTrustsItsAuthorities() throws IOException {
        SSLEngine server = JdkContexts.of(settings(false, defaultEc, Map.of(), List.of(clientRsa.leaf()))).createSSLEngine();
        server.setNeedClientAuth(true);
        SSLEngine client = client(clientRsa, trustAll()).createSSLEngine();
        client.setUseClientMode(true);
        handshake(client, server);
        assertEquals(List.of(clientRsa.leaf()), List.of(server.getSession().getPeerCertificates()));
        assertEquals(defaultEc.leaf(), client.getSession().getPeerCertificates()[0]);
    }

    @Test
    void aServerThatNeedsAClientCertificateRefusesAClientWithout() throws IOException {
        SSLEngine server = JdkContexts.of(settings(false, defaultEc, Map.of(), List.of(clientRsa.leaf()))).createSSLEngine();
        server.setNeedClientAuth(true);
        SSLEngine client = client(null, trustAll()).createSSLEngine();
        client.setUseClientMode(true);
        assertThrows(SSLException.class, () -> handshake(client, server));
    }

    @Test
    void aClientRefusesAServerOutsideItsTrust() throws IOException {
        SSLEngine server = server().createSSLEngine();
        SSLEngine client = client(null, List.of(strangerEc.leaf())).createSSLEngine();
        client.setUseClientMode(true);
        assertThrows(SSLHandshakeException.class, () -> handshake(client, server));
    }

    @Test
    void anEmptyTrustListIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> JdkContexts.of(settings(true, null, Map.of(), List.of())));
    }

    /**
     * A client with tickets off keeps none the server sends (TLS 1.3): its context caches no
     * ticket's session, where one with tickets on does. A server with tickets off
     * that allows TLS 1.2 is refused (its ServerHello would promise a ticket it never sends); one
     * on TLS 1.3 alone is made.
     */
    @Test
    void ticketsOffKeepsNoTicketAndRefusesATls12Server() throws IOException {
        int[] cachedBy = new int[2]; // sessions a client context holds after one handshake: tickets off, on
        for (boolean tickets : new boolean[] {true, false}) {
            javax.net.ssl.SSLContext clientContext = JdkContexts.of(new TlsSettings(true, null, Map.of(), trustAll(),
                    TlsConfig.ClientAuth.NONE, List.of(), List.of("TLSv1.3"), Duration.ofSeconds(10), tickets, false));
            SSLEngine server = server().createSSLEngine();
            SSLEngine client = clientContext.createSSLEngine("localhost", 8443);
            client.setUseClientMode(true);
            handshake(client, server);
            // The JDK caches the handshake's own session either way (no PSK: TLS 1.3 cannot
            // resume it), and the ticket's beside it: the server sends one.
            cachedBy[tickets ? 1 : 0] = java.util.Collections.list(clientContext.getClientSessionContext().getIds()).size();
        }
        assertEquals(cachedBy[0] + 1, cachedBy[1], "the ticket's session, kept with tickets on only");
        TlsSettings both = new TlsSettings(false, defaultEc, Map.of(), null, TlsConfig.ClientAuth.NONE, List.of(),
                List.of("TLSv1.3", "TLSv1.2"), Duration.ofSeconds(10), false, false);
        assertThrows(IllegalStateException.class, () -> JdkContexts.of(both));
        TlsSettings only13 = new TlsSettings(false, defaultEc, Map.of(), null, TlsConfig.ClientAuth.NONE, List.of(),
                List.of("TLSv1.3"), Duration.ofSeconds(10), false, false);
        assertEquals(604_801, JdkContexts.of(only13).getServerSessionContext().getSessionTimeout());
    }

    /** The leaf a client asking for {@code sni} (null: none) is served. */
    private static X509Certificate serverCertificate(String sni) throws IOException {
        SSLEngine server = server().createSSLEngine();
        SSLEngine client = client(null, trustAll()).createSSLEngine();
        client.setUseClientMode(true);
        if (sni != null) {
            SSLParameters p = client.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(sni)));
            client.setSSLParameters(p);
        }
        handshake(client, server);
        return (X509Certificate) client.getSession().getPeerCertificates()[0];
    }

    private static javax.net.ssl.SSLContext server() throws IOException {
        return JdkContexts.of(settings(false, defaultEc, Map.of("other.test", otherRsa, "*.wild.test", wildEc), null));
    }

    private static javax.net.ssl.SSLContext client(CertifiedKey key, List<X509Certificate> trust) throws IOException {
        return JdkContexts.of(settings(true, key, Map.of(), trust));
    }

    private static List<X509Certificate> trustAll() {
        return List.of(defaultEc.leaf(), otherRsa.leaf(), wildEc.leaf());
    }

    private static TlsSettings settings(boolean client, CertifiedKey key, Map<String, CertifiedKey> byName,
                                        List<X509Certificate> trust) {
        return new TlsSettings(client, key, byName, trust, TlsConfig.ClientAuth.NONE, List.of(),
                List.of("TLSv1.3", "TLSv1.2"), Duration.ofSeconds(10), true, false);
    }

    private static CertifiedKey selfSigned(Path key, String cn) throws Exception {
        Path cert = PemFixtures.selfSigned(dir, key.getFileName() + ".pem", key, cn);
        return Pem.certifiedKey(cert, key);
    }

    /**
     * Runs both engines' handshakes to the end, passing records between them in memory; the
     * first engine to fail throws.
     */
    private static void handshake(SSLEngine client, SSLEngine server) throws SSLException {
        ByteBuffer toServer = ByteBuffer.allocate(1 << 17);
        ByteBuffer toClient = ByteBuffer.allocate(1 << 17);
        server.setUseClientMode(false);
        client.beginHandshake();
        server.beginHandshake();
        // A handshake is a few flights; a bound keeps a stuck exchange from spinning forever.
        for (int round = 0; round < 50; round++) {
            boolean moved = step(client, toServer, toClient) | step(server, toClient, toServer);
            if (done(client) && done(server) && toServer.position() == 0 && toClient.position() == 0) {
                return;
            }
            if (!moved) {
                throw new AssertionError("the handshake stalled: client " + client.getHandshakeStatus() + ", server "
                        + server.getHandshakeStatus());
            }
        }
        throw new AssertionError("the handshake did not finish in 50 rounds");
    }

    private static boolean done(SSLEngine e) {
        return e.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING;
    }

    /** Lets {@code e} wrap into {@code out} and unwrap from {@code in} until it waits; true if it did anything. */
    private static boolean step(SSLEngine e, ByteBuffer out, ByteBuffer in) throws SSLException {
        ByteBuffer plain = ByteBuffer.allocate(1 << 17);
        boolean moved = false;
        while (true) {
            SSLEngineResult.HandshakeStatus hs = e.getHandshakeStatus();
            SSLEngineResult r;
            switch (hs) {
                case NEED_WRAP -> r = e.wrap(ByteBuffer.allocate(0), out);
                case NEED_TASK -> {
                    for (Runnable task; (task = e.getDelegatedTask()) != null; ) {
                        task.run();
                    }
                    moved = true;
                    continue;
                }
                default -> {
                    // NEED_UNWRAP, or done with a post-handshake message (a TLS 1.3 ticket) pending.
                    if (in.position() == 0) {
                        return moved;
                    }
                    in.flip();
                    try {
                        r = e.unwrap(in, plain);
                    } finally {
                        in.compact();
                    }
                }
            }
            if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                return moved;
            }
            if (r.getStatus() != SSLEngineResult.Status.OK) {
                throw new AssertionError(r.toString());
            }
            moved |= r.bytesConsumed() > 0 || r.bytesProduced() > 0;
            if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                return moved;
            }
        }
    }
}
