package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.tls.CertifiedKey;
import io.ffpoll.multiplexer.tls.CipherChoice;
import io.ffpoll.multiplexer.tls.Pem;
import io.ffpoll.multiplexer.tls.TlsEngines;
import io.ffpoll.multiplexer.tls.TlsSessionFactory;
import io.ffpoll.multiplexer.tls.TlsSettings;
import io.ffpoll.multiplexer.tls.openssl.OpenSslTlsFactory;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * TLS for {@link Connection}s: certificates, trust, ALPN and the engine, built once and shared
 * by every connection and loop (immutable, thread-safe). Give it to
 * {@link Connection#open(io.ffpoll.multiplexer.EventLoop, int, java.net.InetSocketAddress, TlsConfig, ConnectionHandler)}
 * for an accepted socket, or to
 * {@link Connection#connect(io.ffpoll.multiplexer.EventLoop, java.net.InetSocketAddress, java.time.Duration, TlsConfig, ConnectionHandler)}.
 * The handler then sees plaintext only: it is opened once the handshake is done, and
 * watermarks, back-pressure, flush futures and half-close count plaintext as on plain TCP.
 *
 * <p><b>Defaults.</b> TLS 1.3 and 1.2 only; session tickets on (a JDK-engine server can turn
 * them off only on TLS 1.3 alone: {@link Builder#sessionTickets}); renegotiation refused; a
 * handshake that takes longer than 10 s closes the connection with a
 * {@link java.net.SocketTimeoutException}. A client verifies the server's certificate against
 * the JDK's default trust store (or {@link Builder#trust}) and against the host it connects to.
 *
 * <p><b>Engines.</b> {@link Engine#OPENSSL} runs OpenSSL 3's libssl (libssl.so.3, libssl.3.dylib)
 * through FFM, over memory: the loop keeps its own reads and its one send per iteration.
 * {@link Engine#JDK} runs the JDK's {@link javax.net.ssl.SSLEngine} and works everywhere.
 * {@link Engine#AUTO} (the default) takes OpenSSL where it loads, else the JDK's engine with
 * one log line saying why; {@code -Dffpoll.tls.openssl=false} turns OpenSSL off, for a switch
 * back without a code change. {@link #engine()} tells which one runs. Both engines pass the
 * same suite; OpenSSL makes several times the JDK's handshakes per second (README, "TLS").
 */
public final class TlsConfig {
    /** Whether a server asks for a client certificate. */
    public enum ClientAuth {
        /** Never asks. */
        NONE,
        /** Asks; a client without a certificate is served all the same. */
        OPTIONAL,
        /** Asks, and fails the handshake of a client without a valid certificate. */
        REQUIRED
    }

    /** Which implementation of TLS runs the connections. */
    public enum Engine {
        /** OpenSSL where libssl 3 loads and the engine is on, else the JDK's (with one log line). */
        AUTO,
        /** The JDK's SSLEngine. */
        JDK,
        /** OpenSSL 3's libssl through FFM; {@link Builder#build()} fails where it does not load or is not on. */
        OPENSSL
    }

    /** Default bound on a handshake. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    private final TlsSettings settings;
    private final TlsSessionFactory factory;

    // Frees an engine's native contexts once its configuration is unreachable: every connection
    // made with it holds it, so by then no session uses them. No user has to remember a close.
    private static final Cleaner NATIVE_CONTEXTS = Cleaner.create(r -> {
        Thread t = new Thread(r, "ffpoll-tls-cleaner");
        t.setDaemon(true);
        return t;
    });

    private TlsConfig(TlsSettings settings, TlsSessionFactory factory) {
        this.settings = settings;
        this.factory = factory;
        NATIVE_CONTEXTS.register(this, factory::close);
    }

    /** {@return a builder for the server side (accepted connections); it needs a certificate} */
    public static Builder server() {
        return new Builder(false);
    }

    /** {@return a builder for the client side (connections that connect)} */
    public static Builder client() {
        return new Builder(true);
    }

    /**
     * The JDK engine over the caller's own {@link SSLContext} (its key and trust managers, its
     * session cache). Protocols stay TLS 1.3 and 1.2 unless the builder says otherwise.
     *
     * @param context the context
     * @param client true for connections that connect
     * @param alpn the application protocols, most preferred first (none for no ALPN)
     * @return the configuration
     */
    public static TlsConfig ofJdk(SSLContext context, boolean client, String... alpn) {
        Objects.requireNonNull(context, "context");
        TlsSettings s = new TlsSettings(client, null, Map.of(), null, ClientAuth.NONE, List.of(alpn),
                Builder.DEFAULT_PROTOCOLS, DEFAULT_HANDSHAKE_TIMEOUT, true, client);
        return new TlsConfig(s, TlsEngines.jdk(context, s));
    }

    /**
     * Whether {@link Builder#build()} with {@code engine} can succeed in this process, as far as
     * the engine goes (the key material is checked only by the build): {@link Engine#JDK} and
     * {@link Engine#AUTO} always can; {@link Engine#OPENSSL} where libssl 3 loads and
     * {@code -Dffpoll.tls.openssl=false} did not turn it off. For a program
     * or test that picks an engine, or says why it skips one. Any thread.
     *
     * @param engine the engine
     * @return true if it can be used here
     */
    public static boolean engineAvailable(Engine engine) {
        return switch (Objects.requireNonNull(engine, "engine")) {
            case JDK, AUTO -> true;
            case OPENSSL -> OpenSslTlsFactory.enabled();
        };
    }

    /**
     * {@return why {@link #engineAvailable} is false for {@code engine} (libssl 3 does not load,
     * or the engine was turned off), or null where it is available}
     *
     * @param engine the engine
     */
    public static String engineUnavailableReason(Engine engine) {
        return engineAvailable(engine) ? null : OpenSslTlsFactory.disabledReason();
    }

    /** {@return the engine that runs the connections: "jdk" or "openssl"} */
    public String engine() {
        return factory.engine();
    }

    /** {@return true for the client side} */
    public boolean isClient() {
        return settings.client();
    }

    /** {@return how long a handshake may take} */
    public Duration handshakeTimeout() {
        return settings.handshakeTimeout();
    }

    /** {@return the ALPN protocols offered or accepted, most preferred first} */
    public List<String> applicationProtocols() {
        return settings.alpn();
    }

    /** Whether a client checks the server's certificate against the name it connects to. */
    boolean verifiesHostname() {
        return settings.client() && settings.verifyHostname();
    }

    TlsSessionFactory factory() {
        return factory;
    }

    @Override
    public String toString() {
        return "TlsConfig[" + (settings.client() ? "client" : "server") + ", " + engine() + ", " + settings.protocols()
                + (settings.alpn().isEmpty() ? "" : ", alpn " + settings.alpn())
                + (settings.cipherSuites().isEmpty() ? "" : ", suites " + settings.cipherSuites())
                + (settings.groups().isEmpty() ? "" : ", groups " + settings.groups()) + "]";
    }

    /** Gathers a {@link TlsConfig}. Not thread-safe; {@link #build()} may be called more than once. */
    public static final class Builder {
        static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

        private final boolean client;
        private CertifiedKey key;
        private final Map<String, CertifiedKey> byName = new LinkedHashMap<>();
        private List<X509Certificate> trust;
        private ClientAuth clientAuth = ClientAuth.NONE;
        private List<String> alpn = List.of();
        private List<String> protocols = DEFAULT_PROTOCOLS;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private boolean sessionTickets = true;
        private boolean verifyHostname = true;
        private Engine engine = Engine.AUTO;
        private List<String> cipherSuites = List.of();
        private List<String> groups = List.of();

        private Builder(boolean client) {
            this.client = client;
        }

        /**
         * The certificate chain and key, as nginx takes them: PEM files, the chain leaf first
         * ({@code -----BEGIN CERTIFICATE-----} blocks), the key in PKCS#8 ({@code BEGIN PRIVATE
         * KEY}) or the traditional RSA or EC forms ({@code BEGIN RSA PRIVATE KEY},
         * {@code BEGIN EC PRIVATE KEY}), unencrypted. A server's default certificate; a client's
         * certificate for servers that ask for one.
         *
         * @param chainPem the certificate chain
         * @param keyPem the private key
         * @return this builder
         * @throws IOException if a file cannot be read or parsed, or the key does not match the leaf
         */
        public Builder certificate(Path chainPem, Path keyPem) throws IOException {
            this.key = Pem.certifiedKey(chainPem, keyPem);
            return this;
        }

        /**
         * The certificate chain and key of a PKCS#12 keystore (the first key entry, or the
         * only one).
         *
         * @param pkcs12 the keystore file
         * @param password its password
         * @return this builder
         * @throws IOException if it cannot be read, or holds no key entry
         */
        public Builder pkcs12(Path pkcs12, char[] password) throws IOException {
            this.key = Pem.pkcs12(pkcs12, password);
            return this;
        }

        /**
         * The certificate chain, leaf first, and its key, as objects.
         *
         * @param chain the chain
         * @param privateKey the leaf's key
         * @return this builder
         */
        public Builder certificate(List<X509Certificate> chain, PrivateKey privateKey) {
            this.key = new CertifiedKey(chain, privateKey);
            return this;
        }

        /**
         * Another certificate of a server, served to clients that ask for {@code name} in SNI
         * (an exact DNS name, or {@code *.example.com} for one label). Others get the default
         * certificate.
         *
         * @param name the DNS name
         * @param chainPem the certificate chain (PEM)
         * @param keyPem its key (PEM)
         * @return this builder
         * @throws IOException if a file cannot be read or parsed
         */
        public Builder serverName(String name, Path chainPem, Path keyPem) throws IOException {
            byName.put(name.toLowerCase(Locale.ROOT), Pem.certifiedKey(chainPem, keyPem));
            return this;
        }

        /**
         * {@link #serverName(String, Path, Path)} with objects.
         *
         * @param name the DNS name
         * @param chain the chain, leaf first
         * @param privateKey the leaf's key
         * @return this builder
         */
        public Builder serverName(String name, List<X509Certificate> chain, PrivateKey privateKey) {
            byName.put(name.toLowerCase(Locale.ROOT), new CertifiedKey(chain, privateKey));
            return this;
        }

        /**
         * The certificate authorities trusted for the peer's certificate, from a PEM file of
         * one or more certificates ({@code curl --cacert}). A client's default is the JDK's
         * trust store; a server needs this to verify client certificates.
         *
         * @param caPem the PEM file
         * @return this builder
         * @throws IOException if it cannot be read or holds no certificate
         */
        public Builder trust(Path caPem) throws IOException {
            this.trust = Pem.certificates(caPem);
            return this;
        }

        /**
         * {@link #trust(Path)} with certificates as objects.
         *
         * @param authorities the trusted certificates
         * @return this builder
         */
        public Builder trust(List<X509Certificate> authorities) {
            this.trust = List.copyOf(authorities);
            return this;
        }

        /**
         * Whether a server asks for client certificates ({@link ClientAuth#NONE} by default);
         * they are verified against {@link #trust}.
         *
         * @param auth the policy
         * @return this builder
         */
        public Builder clientAuth(ClientAuth auth) {
            this.clientAuth = Objects.requireNonNull(auth, "auth");
            return this;
        }

        /**
         * ALPN: a client's offer, or the protocols a server accepts, most preferred first
         * (a server picks its first that the client offers; a client offering none of them is
         * refused with the no_application_protocol alert).
         *
         * @param protocols such as {@code "http/1.1"}
         * @return this builder
         * @throws IllegalArgumentException for an empty name, or one longer than 255 bytes
         *     (RFC 7301 3.1: a name is 1 to 255 bytes)
         */
        public Builder alpn(String... protocols) {
            for (String p : protocols) {
                int bytes = p.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                if (bytes < 1 || bytes > 255) {
                    throw new IllegalArgumentException("ALPN protocol names are 1 to 255 bytes: \"" + p + "\"");
                }
            }
            this.alpn = List.of(protocols);
            return this;
        }

        /**
         * The TLS versions allowed: "TLSv1.3" and "TLSv1.2" (the default, both). Older ones are
         * refused.
         *
         * @param versions the versions
         * @return this builder
         */
        public Builder protocols(String... versions) {
            for (String v : versions) {
                if (!DEFAULT_PROTOCOLS.contains(v)) {
                    throw new IllegalArgumentException("unsupported TLS version " + v + "; use TLSv1.3 or TLSv1.2");
                }
            }
            if (versions.length == 0) {
                throw new IllegalArgumentException("no TLS version");
            }
            this.protocols = List.of(versions);
            return this;
        }

        /**
         * The cipher suites allowed, by their IANA names (as RFC 8446 and the JDK spell them:
         * {@code TLS_AES_128_GCM_SHA256}, {@code TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}), most
         * preferred first: a server picks the first the client also offers. Unset, TLS 1.3 has
         * the AES-GCM and ChaCha20-Poly1305 suites and TLS 1.2 its ECDHE suites with those
         * ciphers. A TLS 1.2 suite names the key its server's certificate must have
         * ({@code _ECDSA_} or {@code _RSA_}).
         *
         * <p>{@link #build()} refuses a list that leaves a version of {@link #protocols} with no
         * suite, TLS 1.2 suites that fit none of a server's certificates, and a name its engine
         * does not know or would never negotiate (the JDK's has no TLS 1.3 CCM suite and
         * disables NULL and static-RSA ones; OpenSSL's security level rules out NULL ones). A
         * suite of a version not allowed is never offered.
         *
         * @param suites IANA names
         * @return this builder
         * @throws IllegalArgumentException for no name, or a string that is not a suite's IANA name
         */
        public Builder cipherSuites(String... suites) {
            List<String> list = java.util.Arrays.asList(suites);
            CipherChoice.suites(list, List.of()); // the names' form; the versions at build()
            this.cipherSuites = List.copyOf(list);
            return this;
        }

        /**
         * The key exchange groups allowed, most preferred first, by their TLS names: x25519,
         * x448, secp256r1, secp384r1, secp521r1 and ffdhe2048 to ffdhe8192 (RFC 8446 4.2.7, RFC
         * 7919). Unset, the engine's own list. A client sends its first group's key share; a
         * TLS 1.3 server takes the client's share where its group is allowed, else asks for
         * another (HelloRetryRequest). On TLS 1.2 the OpenSSL engine picks by this order, the
         * JDK's by the client's; and the JDK's serves an ECDSA certificate only where its curve
         * is one of the groups, so {@link #build()} refuses a JDK-engine server that allows TLS
         * 1.2 and leaves its certificate's curve out.
         *
         * @param names the groups, in any case
         * @return this builder
         * @throws IllegalArgumentException for no name, or one not listed above
         */
        public Builder groups(String... names) {
            this.groups = CipherChoice.groups(java.util.Arrays.asList(names));
            return this;
        }

        /**
         * How long a handshake may take ({@link #DEFAULT_HANDSHAKE_TIMEOUT} unless set): then the
         * connection is reset (RST, as nginx's {@code reset_timedout_connection} does: a peer
         * that stalled its handshake is left no FIN to wait on) and closes with a
         * {@link java.net.SocketTimeoutException}.
         *
         * @param timeout positive
         * @return this builder
         */
        public Builder handshakeTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("handshake timeout must be positive: " + timeout);
            }
            this.handshakeTimeout = timeout;
            return this;
        }

        /**
         * Whether sessions may be resumed with tickets (on by default). Off, a server sends no
         * NewSessionTicket and a client keeps none; TLS 1.2 may still resume by session id. The
         * JDK engine can turn a server's tickets off only where it allows TLS 1.3 alone (or the
         * JVM runs with {@code -Djdk.tls.server.enableSessionTicketExtension=false}):
         * {@link #build()} refuses the rest.
         *
         * @param on true to allow
         * @return this builder
         */
        public Builder sessionTickets(boolean on) {
            this.sessionTickets = on;
            return this;
        }

        /**
         * Whether a client checks that the server's certificate names the host it connects to
         * (on by default, as browsers and the JDK's HttpClient do).
         *
         * @param on true to check
         * @return this builder
         */
        public Builder verifyHostname(boolean on) {
            this.verifyHostname = on;
            return this;
        }

        /**
         * The engine ({@link Engine#AUTO} by default).
         *
         * @param engine the engine
         * @return this builder
         */
        public Builder engine(Engine engine) {
            this.engine = Objects.requireNonNull(engine, "engine");
            return this;
        }

        /**
         * Builds the configuration and the engine's context.
         *
         * @return the configuration
         * @throws IllegalArgumentException for {@link #cipherSuites} that leave a version of
         *     {@link #protocols} without a suite, or a server's certificates without a TLS 1.2
         *     suite, or name one the engine does not support; for {@link #groups} that leave out
         *     the curve of a JDK-engine server's ECDSA certificate where TLS 1.2 is allowed
         * @throws IllegalStateException for a server without a certificate, client
         *     authentication without {@link #trust}, or a server on the JDK engine with
         *     {@link #sessionTickets} off that allows TLS 1.2
         * @throws IOException if the engine cannot build its context ({@link Engine#OPENSSL}
         *     where libssl does not load, a key the engine refuses)
         */
        public TlsConfig build() throws IOException {
            if (!client && key == null) {
                throw new IllegalStateException("a TLS server needs a certificate: call certificate(...) or pkcs12(...)");
            }
            if (!client && clientAuth != ClientAuth.NONE && trust == null) {
                throw new IllegalStateException("client authentication needs trust(...): the authorities that sign client certificates");
            }
            List<String> suites = cipherSuites.isEmpty() ? List.of() : CipherChoice.suites(cipherSuites, protocols);
            TlsSettings s = new TlsSettings(client, key, byName, trust, clientAuth, alpn, protocols, handshakeTimeout,
                    sessionTickets, client && verifyHostname, suites, groups);
            if (!client) {
                CipherChoice.fitCertificates(suites, protocols, s.keys());
            }
            CipherChoice.fitGroups(suites, protocols, groups);
            return new TlsConfig(s, TlsEngines.factory(s, engine));
        }
    }
}
