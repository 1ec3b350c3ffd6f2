package io.ffpoll.multiplexer.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.InputStream;
import java.nio.file.Files;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the builder refuses on the spot, and how a handshake's outcome prints in a log. */
class TlsConfigBuilderTest {

    @Test
    void alpnNamesAreOneTo255Bytes() {
        assertThrows(IllegalArgumentException.class, () -> TlsConfig.client().alpn(""));
        assertThrows(IllegalArgumentException.class, () -> TlsConfig.client().alpn("http/1.1", "x".repeat(256)));
        TlsConfig.client().alpn("h2", "x".repeat(255)); // RFC 7301 3.1's longest name is fine
    }

    @Test
    void cipherSuitesAndGroupsAreCheckedByNameOnTheSpot() {
        assertThrows(IllegalArgumentException.class, () -> TlsConfig.server().cipherSuites());
        assertThrows(IllegalArgumentException.class, () -> TlsConfig.server().cipherSuites("ECDHE-RSA-AES128-GCM-SHA256"));
        assertThrows(IllegalArgumentException.class, () -> TlsConfig.server().cipherSuites("TLS_EMPTY_RENEGOTIATION_INFO_SCSV"));
        assertThrows(IllegalArgumentException.class, () -> TlsConfig.server().groups());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> TlsConfig.server().groups("x25519", "P-256"));
        assertTrue(unknown.getMessage().contains("P-256") && unknown.getMessage().contains("secp256r1"), unknown.getMessage());
        TlsConfig.server().groups("X25519", "secp256r1").cipherSuites("TLS_AES_128_GCM_SHA256");
    }

    /** Every version allowed keeps a suite, and each engine refuses what it does not know, at build(). */
    @ParameterizedTest
    @EnumSource(value = TlsConfig.Engine.class, names = {"JDK", "OPENSSL"})
    void buildRefusesAVersionWithoutASuiteAndASuiteTheEngineLacks(TlsConfig.Engine engine) throws Exception {
        assumeTrue(TlsConfig.engineAvailable(engine), "SKIPPED: " + TlsConfig.engineUnavailableReason(engine));
        IllegalArgumentException no12 = assertThrows(IllegalArgumentException.class, () -> server(engine)
                .cipherSuites("TLS_AES_128_GCM_SHA256").build());
        assertTrue(no12.getMessage().contains("TLSv1.2"), no12.getMessage());
        IllegalArgumentException no13 = assertThrows(IllegalArgumentException.class, () -> server(engine)
                .cipherSuites("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256").build());
        assertTrue(no13.getMessage().contains("TLSv1.3"), no13.getMessage());
        server(engine).protocols("TLSv1.3").cipherSuites("TLS_AES_256_GCM_SHA384").groups("secp384r1").build();
        server(engine).protocols("TLSv1.2").cipherSuites("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256").build();
        server(engine).groups(io.ffpoll.multiplexer.tls.CipherChoice.GROUPS.toArray(String[]::new)).build(); // every name listed is known
        IllegalArgumentException made = assertThrows(IllegalArgumentException.class, () -> server(engine).protocols("TLSv1.2")
                .cipherSuites("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_MADE_UP_SHA256").build());
        assertTrue(made.getMessage().contains("TLS_ECDHE_ECDSA_WITH_MADE_UP_SHA256")
                && !made.getMessage().contains("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), made.getMessage());
        IllegalArgumentException made13 = assertThrows(IllegalArgumentException.class, () -> server(engine).protocols("TLSv1.3")
                .cipherSuites("TLS_AES_128_GCM_SHA256", "TLS_AES_512_MADE_UP").build());
        assertTrue(made13.getMessage().contains("TLS_AES_512_MADE_UP") && !made13.getMessage().contains("TLS_AES_128_GCM_SHA256"),
                made13.getMessage());
    }

    /**
     * Configurations that could never finish a TLS 1.2 handshake are refused: suites that all
     * want an RSA certificate on a server with an EC one (and the reverse), and on the JDK engine
     * groups without the EC certificate's curve. An RSA certificate beside the EC one by SNI
     * name fits the RSA suite; TLS 1.3 alone needs neither.
     */
    @ParameterizedTest
    @EnumSource(value = TlsConfig.Engine.class, names = {"JDK", "OPENSSL"})
    void buildRefusesTls12SuitesOrGroupsThatFitNoCertificate(TlsConfig.Engine engine) throws Exception {
        assumeTrue(TlsConfig.engineAvailable(engine), "SKIPPED: " + TlsConfig.engineUnavailableReason(engine));
        IllegalArgumentException rsaOnly = assertThrows(IllegalArgumentException.class, () -> server(engine)
                .cipherSuites("TLS_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").build());
        assertTrue(rsaOnly.getMessage().contains("[EC]") && rsaOnly.getMessage().contains("TLS_ECDHE_ECDSA_WITH_"),
                rsaOnly.getMessage());
        IllegalArgumentException ecdsaOnly = assertThrows(IllegalArgumentException.class, () -> TlsConfig.server()
                .certificate(TlsTestKeys.chain("rsa"), TlsTestKeys.key("rsa")).engine(engine)
                .cipherSuites("TLS_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256").build());
        assertTrue(ecdsaOnly.getMessage().contains("[RSA]"), ecdsaOnly.getMessage());
        server(engine).serverName("rsa.example", TlsTestKeys.chain("rsa"), TlsTestKeys.key("rsa"))
                .cipherSuites("TLS_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").build();
        server(engine).protocols("TLSv1.3").cipherSuites("TLS_AES_128_GCM_SHA256").build();
        if (engine == TlsConfig.Engine.JDK) {
            IllegalArgumentException curve = assertThrows(IllegalArgumentException.class, () -> server(engine)
                    .groups("x25519", "secp384r1").build());
            assertTrue(curve.getMessage().contains("secp256r1"), curve.getMessage());
        } else {
            server(engine).groups("x25519", "secp384r1").build(); // OpenSSL checks the curve against the client's list only
        }
        server(engine).protocols("TLSv1.3").groups("x25519", "secp384r1").build();
    }

    /**
     * Suites an engine knows but would never negotiate (NULL encryption: below OpenSSL's
     * security level, disabled in the JDK) and groups that leave TLS 1.2's ECDHE suites no curve
     * are refused at build().
     */
    @ParameterizedTest
    @EnumSource(value = TlsConfig.Engine.class, names = {"JDK", "OPENSSL"})
    void buildRefusesSuitesNeverNegotiatedAndGroupsWithoutACurve(TlsConfig.Engine engine) throws Exception {
        assumeTrue(TlsConfig.engineAvailable(engine), "SKIPPED: " + TlsConfig.engineUnavailableReason(engine));
        IllegalArgumentException nullCipher = assertThrows(IllegalArgumentException.class, () -> server(engine)
                .protocols("TLSv1.2").cipherSuites("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_NULL_SHA").build());
        assertTrue(nullCipher.getMessage().contains("[TLS_ECDHE_ECDSA_WITH_NULL_SHA]"), nullCipher.getMessage());
        // A TLS 1.2 suite beside TLS 1.3 alone is never offered: no reason to refuse it.
        server(engine).protocols("TLSv1.3").cipherSuites("TLS_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_NULL_SHA").build();
        IllegalArgumentException noCurve = assertThrows(IllegalArgumentException.class, () -> server(engine).groups("ffdhe2048").build());
        assertTrue(noCurve.getMessage().contains("no elliptic curve"), noCurve.getMessage());
        server(engine).protocols("TLSv1.3").groups("ffdhe2048").build();
    }

    private static TlsConfig.Builder server(TlsConfig.Engine engine) throws Exception {
        return TlsConfig.server().certificate(TlsTestKeys.chain("ec"), TlsTestKeys.key("ec")).engine(engine);
    }

    @Test
    void tlsInfoPrintsCertificatesBySubjectOnly() throws Exception {
        X509Certificate leaf;
        try (InputStream in = Files.newInputStream(TlsTestKeys.chain("ec"))) {
            leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        TlsInfo info = new TlsInfo("jdk", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "http/1.1", "localhost", List.of(leaf), true);
        String line = info.toString();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.contains(leaf.getSubjectX500Principal().getName()), line);
        assertTrue(line.contains("TLSv1.3") && line.contains("http/1.1") && line.contains("resumed"), line);
        assertFalse(line.contains("Signature") || line.contains("Public Key"), line);
    }
}
