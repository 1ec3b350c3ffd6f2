package io.ffpoll.multiplexer.net;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the builder refuses on the spot, and how a handshake's outcome prints in a log. */
class TlsConfigBuilderTest {

    @Test
    void alpnNamesAreOneTo255Bytes() {
        assertThrows(IllegalArgumentException.class, () -> TlsConfig.client().alpn(""));
        assertThrows(IllegalArgumentException.class, () -> TlsConfig.client().alpn("http/1.1", "x".repeat(256)));
        TlsConfig.client().alpn("h2", "x".repeat(255)); // RFC 7301 3.1's longest name is fine
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
