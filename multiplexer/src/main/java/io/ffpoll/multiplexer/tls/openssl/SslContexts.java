package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.bindings.openssl.Crypto;
import io.ffpoll.bindings.openssl.Ssl;
import io.ffpoll.bindings.openssl.SslCiphers;
import io.ffpoll.bindings.openssl.SslCtx;
import io.ffpoll.multiplexer.net.TlsConfig;
import io.ffpoll.multiplexer.tls.CertifiedKey;
import io.ffpoll.multiplexer.tls.CipherChoice;
import io.ffpoll.multiplexer.tls.TlsSettings;

import javax.net.ssl.SSLException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code SSL_CTX}s of one factory: the default one, and one more per SNI name of a server,
 * each configured alike but for its certificate (after {@code SSL_set_SSL_CTX} OpenSSL reads
 * ALPN, verification and the CA list from the new context). Reference counted: the factory
 * holds one reference and each live session one, so a context that a servername callback may
 * still switch to is never freed under it; the last {@link #release()} frees them all.
 */
final class SslContexts {
    // Binds a server's sessions to this application: OpenSSL will not resume a session of a
    // server that verifies clients without one.
    private static final byte[] SESSION_ID_CONTEXT = "ffpoll".getBytes(StandardCharsets.US_ASCII);

    final boolean client;
    /**
     * A server frees each TLS 1.3 session's {@code SSL} once its handshake is done and protects
     * its records with {@link Tls13Records}; the key log callback gives it the secrets.
     */
    final boolean releasesSsl;
    final MemorySegment defaultCtx;
    /** The server's ALPN protocols, most preferred first (UTF-8). */
    final byte[][] alpn;
    private final Map<String, MemorySegment> exact = new HashMap<>();
    private final Map<String, MemorySegment> wildcard = new HashMap<>(); // by the suffix after "*."
    private final AtomicInteger references = new AtomicInteger(1);

    private SslContexts(TlsSettings settings, boolean keepSsl) throws SSLException {
        this.client = settings.client();
        this.releasesSsl = !client && !keepSsl;
        this.alpn = settings.alpn().stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        for (byte[] p : alpn) {
            if (p.length == 0 || p.length > 255) {
                throw new SSLException("ALPN protocol names are 1 to 255 bytes: " + new String(p, StandardCharsets.UTF_8));
            }
        }
        this.defaultCtx = newContext(settings, settings.key());
        try {
            if (!client) {
                for (Map.Entry<String, CertifiedKey> e : settings.byServerName().entrySet()) {
                    String name = e.getKey().toLowerCase(Locale.ROOT);
                    MemorySegment ctx = newContext(settings, e.getValue());
                    (name.startsWith("*.") ? wildcard : exact).put(name.startsWith("*.") ? name.substring(2) : name, ctx);
                }
            }
        } catch (SSLException | RuntimeException e) {
            freeAll();
            throw e;
        }
    }

    /**
     * The contexts for {@code settings}.
     *
     * @param settings the settings
     * @param keepSsl a server keeps each session's {@code SSL} for the connection's life
     * @return the contexts, with the caller's one reference
     * @throws SSLException if OpenSSL refuses a setting, a certificate or a key
     */
    static SslContexts build(TlsSettings settings, boolean keepSsl) throws SSLException {
        return new SslContexts(settings, keepSsl);
    }

    /** Takes a reference for a session. */
    void retain() {
        if (references.getAndIncrement() <= 0) {
            references.getAndDecrement();
            throw new IllegalStateException("contexts already freed");
        }
    }

    /** {@return whether the last reference was dropped and every context freed} */
    boolean freed() {
        return references.get() == 0;
    }

    /** Drops a reference; the last one frees every context. */
    void release() {
        if (references.decrementAndGet() == 0) {
            freeAll();
        }
    }

    /**
     * The context of the certificate for {@code serverName}: an exact name, else a wildcard
     * covering exactly one more label; null for the default.
     *
     * @param serverName the SNI name as the client sent it
     * @return the context, or null
     */
    MemorySegment forServerName(String serverName) {
        if (exact.isEmpty() && wildcard.isEmpty()) {
            return null;
        }
        String name = serverName.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        MemorySegment ctx = exact.get(name);
        if (ctx == null) {
            int dot = name.indexOf('.');
            if (dot > 0) {
                ctx = wildcard.get(name.substring(dot + 1));
            }
        }
        return ctx;
    }

    private void freeAll() {
        free(defaultCtx);
        exact.values().forEach(SslContexts::free);
        wildcard.values().forEach(SslContexts::free);
    }

    private static void free(MemorySegment ctx) {
        SslCtx.SSL_CTX_free(ctx);
        OpenSslTlsFactory.LIVE_CONTEXTS.decrementAndGet();
    }

    /** ECDHE key exchange with AES-GCM or ChaCha20-Poly1305, strongest first by OpenSSL's own order. */
    static final String TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL";

    private MemorySegment newContext(TlsSettings s, CertifiedKey key) throws SSLException {
        Crypto.ERR_clear_error();
        MemorySegment ctx = SslCtx.SSL_CTX_new(SslCtx.TLS_method());
        if (ctx.address() == 0) {
            throw SslFailures.setup("SSL_CTX_new", null);
        }
        OpenSslTlsFactory.LIVE_CONTEXTS.incrementAndGet();
        try {
            configure(ctx, s, key);
            return ctx;
        } catch (SSLException | RuntimeException e) {
            free(ctx);
            throw e;
        }
    }

    /**
     * The user's cipher suites and groups, else the defaults. TLS 1.2's suites go by OpenSSL's
     * names; TLS 1.3's, set apart, by their IANA ones. OpenSSL's TLS 1.3 default (AES-GCM and
     * ChaCha20-Poly1305) stays unless the user chose.
     */
    private static void chooseCiphers(MemorySegment ctx, TlsSettings s) throws SSLException {
        List<String> chosen = s.cipherSuites();
        if (chosen.isEmpty()) {
            check(SslCtx.SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) == 1, "SSL_CTX_set_cipher_list");
        } else {
            List<String> tls12 = new ArrayList<>();
            List<String> unknown = new ArrayList<>();
            for (String suite : chosen) {
                // OpenSSL knows TLS 1.3's suites here too; SSL_CTX_set_ciphersuites skips unknown names silently.
                String name = SslCiphers.OPENSSL_cipher_name(suite);
                if (name == null || name.equals("(NONE)")) {
                    unknown.add(suite);
                } else if (!CipherChoice.isTls13(suite)) {
                    tls12.add(name);
                }
            }
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("OpenSSL does not know the cipher suites " + unknown);
            }
            List<String> tls13 = chosen.stream().filter(CipherChoice::isTls13).toList();
            if (!tls13.isEmpty()) {
                check(SslCiphers.SSL_CTX_set_ciphersuites(ctx, String.join(":", tls13)) == 1,
                        "SSL_CTX_set_ciphersuites(" + String.join(":", tls13) + ")");
            }
            // Without TLS 1.2 suites TLS 1.2 is not allowed (build() checked): its list stays unused.
            if (!tls12.isEmpty()) {
                check(SslCtx.SSL_CTX_set_cipher_list(ctx, String.join(":", tls12)) == 1,
                        "SSL_CTX_set_cipher_list(" + String.join(":", tls12) + ")");
            }
            if (chosen.stream().anyMatch(suite -> suite.startsWith("TLS_DHE_"))) {
                SslCiphers.SSL_CTX_set_dh_auto(ctx, 1); // else no DHE parameters: a DHE suite is never picked
            }
            refuseUnusable(ctx, s);
        }
        if (!s.groups().isEmpty()) {
            check(SslCiphers.SSL_CTX_set1_groups_list(ctx, String.join(":", s.groups())) == 1,
                    "SSL_CTX_set1_groups_list(" + String.join(":", s.groups()) + ")");
        }
    }

    /**
     * Names OpenSSL knows but would never negotiate here (its security level rules out NULL
     * and export suites, say; a provider may lack a cipher): an error at build() rather than a
     * handshake failure on every connection. Suites of a version not allowed are let be.
     */
    private static void refuseUnusable(MemorySegment ctx, TlsSettings s) throws SSLException {
        MemorySegment ssl = Ssl.SSL_new(ctx);
        if (ssl.address() == 0) {
            throw SslFailures.setup("SSL_new", null);
        }
        List<String> usable;
        try {
            usable = SslCiphers.supportedCiphers(ssl);
        } finally {
            Ssl.SSL_free(ssl);
        }
        List<String> unusable = s.cipherSuites().stream()
                .filter(s::allows)
                .filter(suite -> !usable.contains(suite)).toList();
        if (!unusable.isEmpty()) {
            throw new IllegalArgumentException("OpenSSL would never negotiate the cipher suites " + unusable
                    + " here: its security level, or its providers, rule them out");
        }
    }

    private void configure(MemorySegment ctx, TlsSettings s, CertifiedKey key) throws SSLException {
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (String p : s.protocols()) {
            int v = switch (p) {
                case "TLSv1.3" -> SslCtx.TLS1_3_VERSION;
                case "TLSv1.2" -> SslCtx.TLS1_2_VERSION;
                default -> throw new SSLException("unsupported TLS version " + p + " (TLSv1.3 and TLSv1.2 are)");
            };
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        if (max == 0) {
            throw new SSLException("no TLS version allowed");
        }
        check(SslCtx.SSL_CTX_set_min_proto_version(ctx, min) == 1, "SSL_CTX_set_min_proto_version");
        check(SslCtx.SSL_CTX_set_max_proto_version(ctx, max) == 1, "SSL_CTX_set_max_proto_version");
        // TLS 1.2: forward secrecy and AEAD only, as RFC 9325 4.2 recommends. OpenSSL's default
        // list also has static-RSA key exchange and CBC with SHA-1, which the JDK has disabled
        // since JDK 24 (TLS_RSA_*); TLS 1.3's suites are all AEAD with forward secrecy.
        chooseCiphers(ctx, s);
        long options = SslCtx.SSL_OP_NO_RENEGOTIATION | SslCtx.SSL_OP_NO_COMPRESSION
                | SslCtx.SSL_OP_CIPHER_SERVER_PREFERENCE;
        if (!s.sessionTickets()) {
            options |= SslCtx.SSL_OP_NO_TICKET;
        }
        SslCtx.SSL_CTX_set_options(ctx, options);
        // No SSL_MODE_ENABLE_PARTIAL_WRITE: over a memory BIO a write always completes.
        // NO_AUTO_CHAIN: the chain sent is the one given, as with the JDK's engine. Without it,
        // OpenSSL builds a chain from the certificate store on every handshake where the user
        // gave a leaf alone, adding CPU per handshake and any CA trusted for client certificates.
        SslCtx.SSL_CTX_set_mode(ctx, SslCtx.SSL_MODE_RELEASE_BUFFERS | SslCtx.SSL_MODE_NO_AUTO_CHAIN);
        if (key != null) {
            useKey(ctx, key);
        }
        if (client) {
            SslCtx.SSL_CTX_set_verify(ctx, SslCtx.SSL_VERIFY_PEER);
            if (s.trust() == null) {
                check(SslCtx.SSL_CTX_set_default_verify_paths(ctx) == 1, "SSL_CTX_set_default_verify_paths");
            } else {
                trust(ctx, s.trust(), false);
            }
            if (alpn.length > 0) {
                check(SslCtx.SSL_CTX_set_alpn_protos(ctx, wire(alpn)) == 0, "SSL_CTX_set_alpn_protos");
            }
            if (s.sessionTickets()) {
                SslCtx.SSL_CTX_set_session_cache_mode(ctx, SslCtx.SSL_SESS_CACHE_CLIENT | SslCtx.SSL_SESS_CACHE_NO_INTERNAL);
                SslCtx.SSL_CTX_sess_set_new_cb(ctx, OpenSslCallbacks.NEW_SESSION);
            }
        } else {
            check(SslCtx.SSL_CTX_set_session_id_context(ctx, SESSION_ID_CONTEXT) == 1, "SSL_CTX_set_session_id_context");
            if (!s.sessionTickets()) {
                SslCtx.SSL_CTX_set_num_tickets(ctx, 0);
            }
            TlsConfig.ClientAuth auth = s.clientAuth() == null ? TlsConfig.ClientAuth.NONE : s.clientAuth();
            if (auth != TlsConfig.ClientAuth.NONE) {
                if (s.trust() == null) {
                    throw new SSLException("client authentication needs the authorities that sign client certificates");
                }
                trust(ctx, s.trust(), true);
                SslCtx.SSL_CTX_set_verify(ctx, auth == TlsConfig.ClientAuth.REQUIRED
                        ? SslCtx.SSL_VERIFY_PEER | SslCtx.SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SslCtx.SSL_VERIFY_PEER);
            }
            // Also without certificates by name: OpenSSL keeps a TLS 1.2 session's SNI (what
            // SSL_get_servername reports when it is resumed) only where a callback accepted it.
            SslCtx.SSL_CTX_set_tlsext_servername_callback(ctx, OpenSslCallbacks.SERVERNAME);
            if (alpn.length > 0) {
                SslCtx.SSL_CTX_set_alpn_select_cb(ctx, OpenSslCallbacks.ALPN_SELECT);
            }
            if (releasesSsl) {
                SslCtx.SSL_CTX_set_keylog_callback(ctx, OpenSslCallbacks.KEYLOG);
            }
        }
    }

    // Each OpenSSL setter takes its own reference, so ours are dropped once it has.
    private static void useKey(MemorySegment ctx, CertifiedKey key) throws SSLException {
        List<X509Certificate> chain = key.chain();
        MemorySegment leaf = x509(chain.getFirst());
        try {
            check(SslCtx.SSL_CTX_use_certificate(ctx, leaf) == 1, "SSL_CTX_use_certificate");
        } finally {
            Crypto.X509_free(leaf);
        }
        for (X509Certificate c : chain.subList(1, chain.size())) {
            MemorySegment x = x509(c);
            try {
                check(SslCtx.SSL_CTX_add1_chain_cert(ctx, x) == 1, "SSL_CTX_add1_chain_cert");
            } finally {
                Crypto.X509_free(x);
            }
        }
        byte[] der = key.key().getEncoded();
        if (der == null) {
            throw new SSLException("the private key (" + key.key().getAlgorithm() + ") cannot be exported for OpenSSL");
        }
        MemorySegment pkey = Crypto.d2i_AutoPrivateKey(der);
        if (pkey.address() == 0) {
            throw SslFailures.setup("d2i_AutoPrivateKey", null);
        }
        try {
            check(SslCtx.SSL_CTX_use_PrivateKey(ctx, pkey) == 1, "SSL_CTX_use_PrivateKey");
        } finally {
            Crypto.EVP_PKEY_free(pkey);
        }
        check(SslCtx.SSL_CTX_check_private_key(ctx) == 1, "SSL_CTX_check_private_key");
    }

    private static void trust(MemorySegment ctx, List<X509Certificate> authorities, boolean listForClients)
            throws SSLException {
        MemorySegment store = SslCtx.SSL_CTX_get_cert_store(ctx);
        // Every certificate the user trusts is an anchor, as in the JDK's PKIX: a pinned leaf
        // or an intermediate verifies without its root (OpenSSL alone would insist on a root).
        check(Crypto.X509_STORE_set_flags(store, Crypto.X509_V_FLAG_PARTIAL_CHAIN) == 1, "X509_STORE_set_flags");
        for (X509Certificate c : authorities) {
            MemorySegment x = x509(c);
            try {
                check(Crypto.X509_STORE_add_cert(store, x) == 1, "X509_STORE_add_cert");
                if (listForClients) {
                    check(SslCtx.SSL_CTX_add_client_CA(ctx, x) == 1, "SSL_CTX_add_client_CA");
                }
            } finally {
                Crypto.X509_free(x);
            }
        }
    }

    private static MemorySegment x509(X509Certificate c) throws SSLException {
        byte[] der;
        try {
            der = c.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new SSLException("cannot encode certificate " + c.getSubjectX500Principal(), e);
        }
        MemorySegment x = Crypto.d2i_X509(der);
        if (x.address() == 0) {
            throw SslFailures.setup("d2i_X509", c.getSubjectX500Principal().getName());
        }
        return x;
    }

    private static byte[] wire(byte[][] protocols) {
        int n = 0;
        for (byte[] p : protocols) {
            n += 1 + p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : protocols) {
            out[at++] = (byte) p.length;
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static void check(boolean ok, String call) throws SSLException {
        if (!ok) {
            throw SslFailures.setup(call, null);
        }
    }
}
