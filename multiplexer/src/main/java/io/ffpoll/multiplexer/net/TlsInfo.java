package io.ffpoll.multiplexer.net;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What a TLS handshake settled, as {@link Connection#tls()} reports it once the connection is
 * open.
 *
 * @param engine the engine that ran it: {@code "jdk"} or {@code "openssl"}
 * @param protocol the version, as JSSE names it: {@code "TLSv1.3"} or {@code "TLSv1.2"}
 * @param cipherSuite the cipher suite, by its IANA name ({@code TLS_AES_128_GCM_SHA256})
 * @param applicationProtocol the protocol ALPN chose, or null when none was negotiated
 * @param serverName the SNI name the client sent (on both sides), or null
 * @param peerCertificates the peer's certificate chain, leaf first; empty when the peer sent none
 * @param resumed whether the session was resumed from an earlier one (a ticket)
 * @param group the group of the key exchange, by its name in IANA's TLS Supported Groups
 *     registry ({@code x25519}, {@code secp256r1}, {@code ffdhe2048}), as OpenSSL's
 *     {@code SSL_get_negotiated_group} tells it; null on the JDK engine, whose
 *     {@code SSLSession} does not tell it, and for a handshake without one
 */
public record TlsInfo(String engine, String protocol, String cipherSuite, String applicationProtocol,
                      String serverName, List<X509Certificate> peerCertificates, boolean resumed, String group) {
    /** Copies the certificate list, which is then immutable. */
    public TlsInfo {
        peerCertificates = List.copyOf(peerCertificates);
    }

    /**
     * What a handshake settled, without its group (the record before it had one).
     *
     * @param engine the engine
     * @param protocol the version
     * @param cipherSuite the cipher suite
     * @param applicationProtocol the ALPN choice, or null
     * @param serverName the SNI name, or null
     * @param peerCertificates the peer's chain
     * @param resumed whether a session was resumed
     */
    public TlsInfo(String engine, String protocol, String cipherSuite, String applicationProtocol,
                   String serverName, List<X509Certificate> peerCertificates, boolean resumed) {
        this(engine, protocol, cipherSuite, applicationProtocol, serverName, peerCertificates, resumed, null);
    }

    /**
     * {@return one line for a log: what was settled, and the peer's certificates by subject
     * only (a record's default would print every certificate in full)}
     */
    @Override
    public String toString() {
        return "TlsInfo[" + engine + ", " + protocol + ", " + cipherSuite + ", alpn=" + applicationProtocol + ", sni="
                + serverName + ", peer=" + peerCertificates.stream().map(c -> c.getSubjectX500Principal().getName()).toList()
                + (group == null ? "" : ", group=" + group) + (resumed ? ", resumed" : "") + "]";
    }
}
