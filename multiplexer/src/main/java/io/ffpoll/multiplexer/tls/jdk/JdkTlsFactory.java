package io.ffpoll.multiplexer.tls.jdk;

import io.ffpoll.multiplexer.net.TlsConfig;
import io.ffpoll.multiplexer.tls.CertifiedKey;
import io.ffpoll.multiplexer.tls.CipherSink;
import io.ffpoll.multiplexer.tls.ServerNames;
import io.ffpoll.multiplexer.tls.TlsSession;
import io.ffpoll.multiplexer.tls.TlsSessionFactory;
import io.ffpoll.multiplexer.tls.TlsSettings;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Sessions on the JDK's {@link SSLEngine}, over one {@link SSLContext} (the user's, or one
 * {@link JdkContexts} built). Thread-safe, as SSLContext is.
 */
public final class JdkTlsFactory implements TlsSessionFactory {
    // TLS 1.2 suites: forward secrecy and AEAD only (what testssl.sh and Mozilla's
    // "intermediate" profile accept); TLS 1.3 keeps the JDK's own, all AEAD.
    private static final List<String> TLS12_SUITES = List.of(
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private final SSLContext context;
    private final TlsSettings settings;
    private final String[] protocols;
    private final String[] suites;
    private final String[] groups; // null for the JDK's own

    /**
     * A factory over {@code context}.
     *
     * @param context the context
     * @param settings role, protocols, ALPN and client authentication
     * @throws IllegalArgumentException for a cipher suite of {@link TlsSettings#cipherSuites()}
     *     the JDK does not support, or a server's groups without its ECDSA certificate's curve
     *     where TLS 1.2 is allowed
     */
    public JdkTlsFactory(SSLContext context, TlsSettings settings) {
        this.context = context;
        this.settings = settings;
        this.protocols = settings.protocols().toArray(String[]::new);
        List<String> supported = List.of(context.getSupportedSSLParameters().getCipherSuites());
        this.groups = settings.groups().isEmpty() ? null : settings.groups().toArray(String[]::new);
        if (groups != null && !settings.client() && settings.protocols().contains("TLSv1.2")) {
            checkCurves(settings);
        }
        if (settings.cipherSuites().isEmpty()) {
            this.suites = java.util.stream.Stream.concat(
                    java.util.Arrays.stream(context.getDefaultSSLParameters().getCipherSuites())
                            .filter(s -> s.startsWith("TLS_AES_") || s.startsWith("TLS_CHACHA20_")),
                    TLS12_SUITES.stream().filter(supported::contains)).toArray(String[]::new);
        } else {
            // A suite of a version not allowed is never offered: dropped rather than refused.
            List<String> unknown = settings.cipherSuites().stream().filter(s -> !supported.contains(s))
                    .filter(settings::allows).toList();
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("the JDK's TLS engine does not support the cipher suites " + unknown
                        + " (or jdk.tls.disabledAlgorithms disables them)");
            }
            this.suites = settings.cipherSuites().stream().filter(supported::contains).toArray(String[]::new);
        }
    }

    /**
     * The JDK serves an ECDSA certificate on TLS 1.2 only where its curve is one of the groups
     * (it applies RFC 8422 5.1's rule for the client's list to its own): otherwise every TLS 1.2
     * handshake fails with "no cipher suites in common", which names the wrong cause.
     */
    private static void checkCurves(TlsSettings settings) {
        for (CertifiedKey k : settings.keys()) {
            if (k.key() instanceof java.security.interfaces.ECKey ec) {
                String curve = switch (ec.getParams().getCurve().getField().getFieldSize()) {
                    case 256 -> "secp256r1";
                    case 384 -> "secp384r1";
                    case 521 -> "secp521r1";
                    default -> null;
                };
                if (curve != null && !settings.groups().contains(curve)) {
                    throw new IllegalArgumentException("the JDK engine serves the ECDSA certificate of "
                            + k.leaf().getSubjectX500Principal().getName() + " on TLS 1.2 only where its curve, " + curve
                            + ", is one of the groups " + settings.groups() + ": add it, allow TLSv1.3 alone, or use the OpenSSL engine");
                }
            }
        }
    }

    @Override
    public TlsSession newSession(CipherSink sink, MemorySegment scratch, String serverName, int peerPort) {
        SSLEngine engine = settings.client() && serverName != null ? context.createSSLEngine(serverName, peerPort)
                : context.createSSLEngine();
        engine.setUseClientMode(settings.client());
        SSLParameters p = engine.getSSLParameters();
        p.setProtocols(protocols);
        p.setCipherSuites(suites);
        p.setUseCipherSuitesOrder(true);
        if (groups != null) {
            p.setNamedGroups(groups);
        }
        p.setApplicationProtocols(settings.alpn().toArray(String[]::new));
        String sni = settings.client() ? ServerNames.sni(serverName) : null;
        if (settings.client()) {
            // Set even when null: the engine would otherwise send the peer host it was made with.
            p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
            if (settings.verifyHostname() && serverName != null) {
                p.setEndpointIdentificationAlgorithm("HTTPS");
            }
        } else if (settings.clientAuth() == TlsConfig.ClientAuth.REQUIRED) {
            p.setNeedClientAuth(true);
        } else if (settings.clientAuth() == TlsConfig.ClientAuth.OPTIONAL) {
            p.setWantClientAuth(true);
        }
        engine.setSSLParameters(p);
        return new JdkTlsSession(engine, sink, scratch, sni, !settings.sessionTickets());
    }

    @Override
    public String engine() {
        return "jdk";
    }
}
