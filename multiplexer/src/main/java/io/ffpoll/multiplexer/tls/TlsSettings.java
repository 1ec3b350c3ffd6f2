package io.ffpoll.multiplexer.tls;

import io.ffpoll.multiplexer.net.TlsConfig;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything an engine needs to build its context, as {@code TlsConfig}'s builder gathered it.
 *
 * @param client true for connections that connect, false for accepted ones
 * @param key the certificate and key served when no SNI name matches (a server's is required;
 *     a client's is its certificate for servers that ask, or null)
 * @param byServerName more certificates of a server, by the lower-case DNS name a client asks
 *     for in SNI (exact names, or {@code *.example.com} wildcards of one label)
 * @param trust the certificate authorities trusted to sign the peer's certificate; null for the
 *     JDK's default trust store (a client) or for not asking the peer (a server without
 *     client authentication)
 * @param clientAuth whether a server asks for client certificates
 * @param alpn the application protocols, most preferred first; empty for no ALPN
 * @param protocols the TLS versions allowed, as JSSE names them ("TLSv1.3", "TLSv1.2")
 * @param handshakeTimeout how long a handshake may take before the connection is closed
 * @param sessionTickets whether resumption by session ticket is on
 * @param verifyHostname whether a client checks the server's certificate against the name it
 *     connected to
 * @param cipherSuites the cipher suites allowed by IANA name, most preferred first, as
 *     {@link CipherChoice#suites} checked them; empty for the engine's default choice
 * @param groups the key exchange groups allowed, most preferred first, as
 *     {@link CipherChoice#groups} checked them; empty for the engine's default
 */
public record TlsSettings(boolean client, CertifiedKey key, Map<String, CertifiedKey> byServerName,
                          List<X509Certificate> trust, TlsConfig.ClientAuth clientAuth, List<String> alpn,
                          List<String> protocols, Duration handshakeTimeout, boolean sessionTickets,
                          boolean verifyHostname, List<String> cipherSuites, List<String> groups) {
    /** Copies the collections, which are then immutable. */
    public TlsSettings {
        byServerName = Map.copyOf(byServerName);
        trust = trust == null ? null : List.copyOf(trust);
        alpn = List.copyOf(alpn);
        protocols = List.copyOf(protocols);
        cipherSuites = List.copyOf(cipherSuites);
        groups = List.copyOf(groups);
    }

    /** {@return every certificate and key a server may serve: {@link #key()}, if any, and those by name} */
    public List<CertifiedKey> keys() {
        List<CertifiedKey> keys = new java.util.ArrayList<>(byServerName.values());
        if (key != null) {
            keys.add(key);
        }
        return keys;
    }

    /** {@return whether {@code suite}'s TLS version is one of {@link #protocols()}: else it is never offered} */
    public boolean allows(String suite) {
        return protocols.contains(CipherChoice.isTls13(suite) ? "TLSv1.3" : "TLSv1.2");
    }

    /** Settings with the engine's default cipher suites and groups. */
    public TlsSettings(boolean client, CertifiedKey key, Map<String, CertifiedKey> byServerName,
                       List<X509Certificate> trust, TlsConfig.ClientAuth clientAuth, List<String> alpn,
                       List<String> protocols, Duration handshakeTimeout, boolean sessionTickets,
                       boolean verifyHostname) {
        this(client, key, byServerName, trust, clientAuth, alpn, protocols, handshakeTimeout, sessionTickets,
                verifyHostname, List.of(), List.of());
    }
}
