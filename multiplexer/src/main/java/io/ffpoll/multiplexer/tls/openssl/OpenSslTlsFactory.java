package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.bindings.openssl.OpenSsl;
import io.ffpoll.multiplexer.tls.CipherSink;
import io.ffpoll.multiplexer.tls.TlsSession;
import io.ffpoll.multiplexer.tls.TlsSessionFactory;
import io.ffpoll.multiplexer.tls.TlsSettings;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The OpenSSL 3 engine: libssl through FFM, one {@code SSL_CTX} per configuration (plus one per
 * SNI name of a server), one {@code SSL} per connection. Thread-safe: the loops of a group share
 * it; each session stays on its loop.
 *
 * <p><b>Over memory, never the socket.</b> Each {@code SSL} reads and writes memory BIOs
 * ({@code BIO_s_mem}): ciphertext the connection read goes in, records to send come out into
 * its {@link CipherSink}. OpenSSL never sees the descriptor, so the connection keeps its own
 * reads, its one gathering {@code sendmsg} per loop iteration and its syscall counts; a socket
 * BIO would make OpenSSL issue its own {@code read} and {@code write} per record behind the
 * loop's back. The price is that kernel TLS (kTLS) is out of reach: it needs OpenSSL to own the
 * socket and the kernel's {@code tls} upper-layer protocol, and memory BIOs hand OpenSSL no
 * socket (nor does this machine's kernel offer the ULP: /proc/sys/net/ipv4/tcp_available_ulp
 * lists only mptcp). Records are encrypted in user space, always.
 *
 * <p><b>Memory.</b> {@code SSL_MODE_RELEASE_BUFFERS} frees an idle connection's record buffers.
 * A memory BIO's buffer only grows, so a BIO that held the handshake's flights, or later more
 * than {@value OpenSslSession#BIO_KEEP_BYTES} bytes, is replaced by an empty one once drained:
 * an idle session keeps no buffer of record size. Native objects are counted
 * ({@link #liveSessions()}, {@link #liveContexts()}, {@link #liveCachedSessions()}) so tests can
 * prove that none outlives its connection.
 *
 * <p><b>Settings.</b> TLS 1.3 and 1.2 as {@link TlsSettings#protocols()} says; renegotiation and
 * compression off; tickets as {@link TlsSettings#sessionTickets()} says (off also stops TLS 1.3
 * tickets). A client verifies the server against {@link TlsSettings#trust()}, or without it
 * against the system's CA store as OpenSSL finds it (not the JDK's cacerts), and against the
 * name it connects to (DNS name or IP address; SNI is sent for names only). A client remembers
 * the last resumable session per server name and port ({@link ResumptionCache#CAPACITY} servers)
 * and offers it on the next connection. A server's TLS 1.2 session IDs go in OpenSSL's own
 * session cache (its default size).
 */
public final class OpenSslTlsFactory implements TlsSessionFactory {
    static final AtomicInteger LIVE_SESSIONS = new AtomicInteger();
    static final AtomicInteger LIVE_CONTEXTS = new AtomicInteger();
    static final AtomicInteger LIVE_CACHED = new AtomicInteger();

    private final TlsSettings settings;
    private final SslContexts contexts;
    private final ResumptionCache resumption; // clients with tickets on; else null
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile long keyUpdateRecords = Tls13Records.KEY_UPDATE_RECORDS;

    private OpenSslTlsFactory(TlsSettings settings, SslContexts contexts) {
        this.settings = settings;
        this.contexts = contexts;
        this.resumption = settings.client() && settings.sessionTickets() ? new ResumptionCache() : null;
    }

    /** {@return whether libssl 3 loads here} */
    public static boolean available() {
        return OpenSsl.available();
    }

    /** System property that turns the engine off for connections: {@code -Dffpoll.tls.openssl=false}. */
    public static final String ENABLE_PROPERTY = "ffpoll.tls.openssl";

    /**
     * Whether connections may run on this engine: libssl 3 loads, and {@link #ENABLE_PROPERTY}
     * is not {@code false} (a switch back to the JDK's engine without a code change).
     *
     * @return true if {@code TlsConfig} may pick it
     */
    public static boolean enabled() {
        return OpenSsl.available() && !turnedOff();
    }

    /** {@return why {@link #enabled()} is false, or null} */
    public static String disabledReason() {
        if (!OpenSsl.available()) {
            return OpenSsl.unavailableReason();
        }
        return turnedOff() ? "the OpenSSL engine is turned off (-D" + ENABLE_PROPERTY + "=false)" : null;
    }

    private static boolean turnedOff() {
        return "false".equalsIgnoreCase(System.getProperty(ENABLE_PROPERTY));
    }

    /** {@return why libssl 3 does not load here ("libssl.so.3 / libssl.3.dylib not found ..."), or null} */
    public static String unavailableReason() {
        return OpenSsl.unavailableReason();
    }

    /**
     * The engine for {@code settings}, its contexts built.
     *
     * @param settings the settings
     * @return the factory; {@link #close()} frees its contexts
     * @throws IOException where OpenSSL does not load ({@link #unavailableReason()}), or an
     *     {@link javax.net.ssl.SSLException} naming the OpenSSL call that refused a setting, a
     *     certificate or a key
     */
    public static OpenSslTlsFactory create(TlsSettings settings) throws IOException {
        return create(settings, "true".equalsIgnoreCase(System.getProperty(KEEP_SSL_PROPERTY)));
    }

    /**
     * System property that keeps a server's {@code SSL} objects for their connections' life:
     * {@code -Dffpoll.tls.openssl.keepSsl=true} puts every record through OpenSSL's own record
     * layer again, as before the handshake.
     */
    public static final String KEEP_SSL_PROPERTY = "ffpoll.tls.openssl.keepSsl";

    /**
     * As {@link #create(TlsSettings)}, choosing the record layer of a server's TLS 1.3
     * connections.
     *
     * @param settings the settings
     * @param keepSsl true: OpenSSL's, through each connection's {@code SSL}; false: the
     *     {@code SSL} is freed once the handshake is done, and {@link Tls13Records} protects the
     *     records with the keys it settled
     * @return the factory
     * @throws IOException as {@link #create(TlsSettings)}
     */
    static OpenSslTlsFactory create(TlsSettings settings, boolean keepSsl) throws IOException {
        Objects.requireNonNull(settings, "settings");
        if (!OpenSsl.available()) {
            throw new IOException("OpenSSL cannot be used: " + OpenSsl.unavailableReason());
        }
        if (!settings.client() && settings.key() == null) {
            throw new IllegalArgumentException("a TLS server needs a certificate");
        }
        return new OpenSslTlsFactory(settings, SslContexts.build(settings, keepSsl));
    }

    @Override
    public TlsSession newSession(CipherSink sink, MemorySegment scratch, String serverName, int peerPort)
            throws IOException {
        Objects.requireNonNull(sink, "sink");
        if (scratch.byteSize() < SCRATCH_BYTES) {
            throw new IllegalArgumentException("scratch of " + scratch.byteSize() + " bytes; " + SCRATCH_BYTES + " needed");
        }
        if (closed.get()) {
            throw new IOException("this TLS configuration's OpenSSL contexts were closed");
        }
        boolean client = settings.client();
        String name = client ? serverName : null;
        String key = resumption == null || (name == null && peerPort < 0) ? null : (name == null ? "" : name) + ":" + peerPort;
        return new OpenSslSession(this, contexts, sink, scratch, client, name, client && settings.verifyHostname(), key);
    }

    long keyUpdateRecords() {
        return keyUpdateRecords;
    }

    /** Tests: a server's sessions made from now on start a KeyUpdate after that many records. */
    void keyUpdateAfter(long records) {
        keyUpdateRecords = records;
    }

    ResumptionCache resumption() {
        return resumption;
    }

    @Override
    public String engine() {
        return "openssl";
    }

    /** Drops the factory's contexts and remembered sessions; the contexts go once no session uses them. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            if (resumption != null) {
                resumption.close();
            }
            contexts.release();
        }
    }

    /** {@return whether this factory's contexts are freed: it was closed and no session uses them} */
    public boolean contextsFreed() {
        return contexts.freed();
    }

    /** {@return the {@code SSL} objects not yet freed, over every factory} */
    public static int liveSessions() {
        return LIVE_SESSIONS.get();
    }

    /** {@return the {@code SSL_CTX} objects not yet freed, over every factory} */
    public static int liveContexts() {
        return LIVE_CONTEXTS.get();
    }

    /** {@return the {@code SSL_SESSION}s clients keep for resumption, over every factory} */
    public static int liveCachedSessions() {
        return LIVE_CACHED.get();
    }
}
