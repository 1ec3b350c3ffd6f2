package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.multiplexer.net.TlsConfig;
import io.ffpoll.multiplexer.tls.CertifiedKey;
import io.ffpoll.multiplexer.tls.TestCertificates;
import io.ffpoll.multiplexer.tls.TlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Skips (loudly) where libssl 3 or the openssl command is missing; closes the factories a test
 * made and checks that no {@code SSL}, {@code SSL_CTX} or cached {@code SSL_SESSION} outlived
 * the test.
 */
abstract class OpenSslTestBase {
    private final List<OpenSslTlsFactory> factories = new ArrayList<>();

    @BeforeEach
    void needOpenSsl() {
        assumeTrue(OpenSslTlsFactory.available(), "SKIPPED: libssl 3 does not load: " + OpenSslTlsFactory.unavailableReason());
        assumeTrue(TestCertificates.available(), "SKIPPED: " + TestCertificates.unavailableReason());
        assertEquals(0, OpenSslTlsFactory.liveSessions(), "SSL objects left by an earlier test");
        // Client sessions cached by the TlsConfigs of other test classes go when those are
        // collected (a Cleaner); this class counts its own from zero.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (OpenSslTlsFactory.liveCachedSessions() != 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.onSpinWait();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        assertEquals(0, OpenSslTlsFactory.liveCachedSessions(), "cached SSL_SESSIONs of unreachable configurations not freed");
    }

    // The SSL_CTX count is global, and TlsConfigs of other tests free theirs whenever they are
    // collected; so each factory of this test is checked itself.
    @AfterEach
    void nothingOutlivesTheTest() {
        factories.forEach(OpenSslTlsFactory::close);
        assertEquals(0, OpenSslTlsFactory.liveSessions(), "SSL objects not freed");
        for (OpenSslTlsFactory f : factories) {
            assertTrue(f.contextsFreed(), "SSL_CTX objects of a closed factory not freed");
        }
        assertEquals(0, OpenSslTlsFactory.liveCachedSessions(), "cached SSL_SESSIONs not freed");
    }

    static TestCertificates certs(TestCertificates.Kind kind) {
        return TestCertificates.of(kind);
    }

    /** A factory closed after the test. */
    OpenSslTlsFactory factory(TlsSettings settings) throws IOException {
        return track(OpenSslTlsFactory.create(settings));
    }

    /** Closes {@code f} after the test, and checks its contexts were freed. */
    OpenSslTlsFactory track(OpenSslTlsFactory f) {
        factories.add(f);
        return f;
    }

    /** Settings as TlsConfig's builder makes them, to be changed with the withers below. */
    record Settings(boolean client, CertifiedKey key, Map<String, CertifiedKey> byName, List<X509Certificate> trust,
                    TlsConfig.ClientAuth auth, List<String> alpn, List<String> protocols, boolean tickets,
                    boolean verifyHostname) {
        static Settings server(CertifiedKey key) {
            return new Settings(false, key, Map.of(), null, TlsConfig.ClientAuth.NONE, List.of(),
                    List.of("TLSv1.3", "TLSv1.2"), true, false);
        }

        static Settings client(List<X509Certificate> trust) {
            return new Settings(true, null, Map.of(), trust, TlsConfig.ClientAuth.NONE, List.of(),
                    List.of("TLSv1.3", "TLSv1.2"), true, true);
        }

        Settings key(CertifiedKey k) {
            return new Settings(client, k, byName, trust, auth, alpn, protocols, tickets, verifyHostname);
        }

        Settings byName(Map<String, CertifiedKey> m) {
            return new Settings(client, key, m, trust, auth, alpn, protocols, tickets, verifyHostname);
        }

        Settings trust(List<X509Certificate> t) {
            return new Settings(client, key, byName, t, auth, alpn, protocols, tickets, verifyHostname);
        }

        Settings auth(TlsConfig.ClientAuth a) {
            return new Settings(client, key, byName, trust, a, alpn, protocols, tickets, verifyHostname);
        }

        Settings alpn(String... a) {
            return new Settings(client, key, byName, trust, auth, List.of(a), protocols, tickets, verifyHostname);
        }

        Settings protocols(String... p) {
            return new Settings(client, key, byName, trust, auth, alpn, List.of(p), tickets, verifyHostname);
        }

        Settings tickets(boolean on) {
            return new Settings(client, key, byName, trust, auth, alpn, protocols, on, verifyHostname);
        }

        Settings verifyHostname(boolean on) {
            return new Settings(client, key, byName, trust, auth, alpn, protocols, tickets, on);
        }

        TlsSettings build() {
            return new TlsSettings(client, key, byName, trust, auth, alpn, protocols, Duration.ofSeconds(10), tickets,
                    verifyHostname);
        }
    }
}
