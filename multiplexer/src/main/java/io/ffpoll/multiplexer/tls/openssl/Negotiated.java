package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.bindings.openssl.Crypto;
import io.ffpoll.bindings.openssl.SslInfo;
import io.ffpoll.multiplexer.net.TlsInfo;

import java.io.ByteArrayInputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** What a completed handshake settled, read from the {@code SSL} once, as {@link TlsInfo}. */
final class Negotiated {
    private Negotiated() {}

    static TlsInfo of(MemorySegment ssl, boolean client) {
        byte[] alpn = SslInfo.SSL_get0_alpn_selected(ssl);
        String protocol = SslInfo.SSL_get_version(ssl);
        boolean resumed = SslInfo.SSL_session_reused(ssl) == 1;
        // A resumed TLS 1.2 session makes no key exchange (RFC 5246 7.3's abbreviated
        // handshake): OpenSSL still names the group of the one that made the session.
        String group = resumed && !"TLSv1.3".equals(protocol) ? null
                : SslInfo.SSL_group_to_name(ssl, SslInfo.SSL_get_negotiated_group(ssl));
        return new TlsInfo("openssl", protocol, SslInfo.SSL_CIPHER_standard_name(ssl),
                alpn == null ? null : new String(alpn, StandardCharsets.UTF_8), SslInfo.SSL_get_servername(ssl),
                peerCertificates(ssl, client), resumed, group);
    }

    // A client's stack starts with the server's leaf; a server's leaves the client's leaf out.
    private static List<X509Certificate> peerCertificates(MemorySegment ssl, boolean client) {
        List<X509Certificate> out = new ArrayList<>();
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
            if (!client) {
                MemorySegment leaf = SslInfo.SSL_get0_peer_certificate(ssl);
                if (leaf.address() == 0) {
                    return out;
                }
                out.add(decode(factory, leaf));
            }
            MemorySegment chain = SslInfo.SSL_get_peer_cert_chain(ssl);
            int n = chain.address() == 0 ? 0 : Crypto.OPENSSL_sk_num(chain);
            for (int i = 0; i < n; i++) {
                out.add(decode(factory, Crypto.OPENSSL_sk_value(chain, i)));
            }
        } catch (CertificateException e) {
            // OpenSSL parsed and verified these; the JDK refusing one is a defect, not the peer's.
            throw new IllegalStateException("the JDK cannot decode a certificate OpenSSL accepted", e);
        }
        return out;
    }

    private static X509Certificate decode(CertificateFactory factory, MemorySegment x509) throws CertificateException {
        return (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(Crypto.i2d_X509(x509)));
    }
}
