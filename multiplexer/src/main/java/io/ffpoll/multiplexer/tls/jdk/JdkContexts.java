package io.ffpoll.multiplexer.tls.jdk;

import io.ffpoll.multiplexer.tls.TlsSettings;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Builds the JDK's {@link SSLContext} for a {@link TlsSettings}: its key manager and trust
 * manager. What is set per engine (protocols, ALPN, client authentication, the host name a
 * client verifies, SNI) is the engine factory's business, not the context's.
 *
 * <p><b>Keys.</b> A server serves {@link TlsSettings#key()} unless the client asked in SNI for
 * a name of {@link TlsSettings#byServerName()} (exactly, or by a {@code *.suffix} wildcard of
 * one label); a named certificate is served only to key types it fits, never replaced by the
 * default. A client offers {@link TlsSettings#key()}, if any, to servers that ask.
 *
 * <p><b>Trust.</b> {@link TlsSettings#trust()} when given, through the JDK's PKIX trust
 * manager (chain building, validity dates, key usage; revocation is not checked, as the JDK's
 * default does not); else the JDK's default trust store ({@code cacerts}).
 *
 * <p><b>Sessions.</b> The JDK's defaults stay: a TLS 1.3 server sends a stateless session
 * ticket after each full handshake, and a client resumes from the context's session cache
 * when its engine was made with the peer's host and port. The JDK has no switch for tickets
 * per context or per engine: {@code jdk.tls.server.enableSessionTicketExtension},
 * {@code jdk.tls.server.newSessionTicketCount} and
 * {@code jdk.tls.client.enableSessionTicketExtension} are system properties (read as each
 * context or the JSSE provider is made), and this class sets none of them.
 *
 * <p>{@link TlsSettings#sessionTickets()} false sets the context's session timeout above the
 * 7 days (604,800 s) RFC 8446 4.6.1 allows a ticket to live: the JDK's server then sends no
 * ticket, and its client keeps none it gets. A TLS 1.2 server cannot be told so: its
 * ServerHello still promises a ticket to a client that asked for one, and the handshake then
 * fails at the client (s_client: "unexpected message"). So a server that allows TLS 1.2 with
 * tickets off is refused, unless the JVM runs with
 * {@code -Djdk.tls.server.enableSessionTicketExtension=false}. The long timeout would also keep
 * a TLS 1.2 session in the cache, resumable by id, for 7 days rather than 24 hours; so
 * {@code JdkTlsSession} invalidates each session as its handshake ends, and with tickets off
 * the JDK engine resumes nothing.
 */
public final class JdkContexts {
    /** One second above a ticket's longest lifetime, 7 days (RFC 8446 4.6.1). */
    private static final int NO_TICKETS_TIMEOUT = 604_800 + 1;

    private JdkContexts() {}

    /**
     * A context ({@code "TLS"}) for {@code s}.
     *
     * @param s the settings
     * @return a new context, initialised
     * @throws IOException if the JDK refuses the trust certificates or cannot make a context
     * @throws IllegalArgumentException if {@link TlsSettings#trust()} is an empty list, which
     *     would fail every handshake
     * @throws IllegalStateException for a server with tickets off that allows TLS 1.2 (see above)
     */
    public static SSLContext of(TlsSettings s) throws IOException {
        if (!s.client() && !s.sessionTickets() && s.protocols().contains("TLSv1.2")
                && !"false".equalsIgnoreCase(System.getProperty("jdk.tls.server.enableSessionTicketExtension", "").trim())) {
            throw new IllegalStateException("the JDK engine cannot turn TLS 1.2 session tickets off for one server: "
                    + "allow TLSv1.3 alone, use the OpenSSL engine, or run the JVM with "
                    + "-Djdk.tls.server.enableSessionTicketExtension=false");
        }
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            KeyManager[] keys = {new JdkKeyManager(s.key(), s.byServerName())};
            context.init(keys, s.trust() == null ? null : trustManagers(s.trust()), null);
            if (!s.sessionTickets()) {
                // The JDK's ticket producers and its client's ticket consumer skip tickets when
                // the context's timeout exceeds a ticket's longest lifetime: its only switch per context.
                context.getServerSessionContext().setSessionTimeout(NO_TICKETS_TIMEOUT);
                context.getClientSessionContext().setSessionTimeout(NO_TICKETS_TIMEOUT);
            }
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("the JDK cannot build a TLS context: " + e.getMessage(), e);
        }
    }

    private static TrustManager[] trustManagers(List<X509Certificate> trust) throws GeneralSecurityException, IOException {
        if (trust.isEmpty()) {
            throw new IllegalArgumentException("no trusted certificate: every peer would be refused");
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        for (int i = 0; i < trust.size(); i++) {
            store.setCertificateEntry("trusted-" + i, trust.get(i));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory.getTrustManagers();
    }
}
