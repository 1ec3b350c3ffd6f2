package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.bindings.openssl.Bio;
import io.ffpoll.bindings.openssl.Crypto;
import io.ffpoll.bindings.openssl.Ssl;
import io.ffpoll.multiplexer.net.TlsInfo;
import io.ffpoll.multiplexer.tls.CipherSink;
import io.ffpoll.multiplexer.tls.TlsSession;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * One connection's {@code SSL} over two memory BIOs. {@link #read} appends all the ciphertext
 * it is given to the read BIO ({@link #consumed()} is its whole size: OpenSSL keeps a partial
 * record itself), then drives the handshake with {@code SSL_do_handshake} or decrypts with
 * {@code SSL_read_ex} until OpenSSL wants more input, {@code out} is full or close_notify
 * arrived. After every call that can make records (handshake flights, tickets, alerts,
 * close_notify, application data) the write BIO is drained into the sink through the scratch
 * segment. Loop thread only. {@code in}, {@code out} and the plaintext given to {@link #write}
 * are native segments (the connection's pooled buffers): the BIO copies are linked critical,
 * without heap access.
 *
 * <p>Memory: the caller bounds what sits in the read BIO (one read of at most 64 KiB at a time,
 * none while paused). A memory BIO's buffer never shrinks, so one that held more than
 * {@link #BIO_KEEP_BYTES}, or anything during the handshake, is replaced once empty; with
 * {@code SSL_MODE_RELEASE_BUFFERS} an idle session then holds no record-sized buffer.
 */
final class OpenSslSession implements TlsSession {
    /** A BIO whose buffer grew past this is replaced by a new, empty one once drained. */
    static final int BIO_KEEP_BYTES = 2048;
    // Three full records per SSL_write_ex, so that one BIO_read into the 64 KiB scratch takes them.
    private static final long WRITE_CHUNK = 3 * 16 * 1024;

    private final OpenSslTlsFactory factory;
    private final SslContexts contexts;
    private final CipherSink sink;
    private final MemorySegment scratch;
    private final boolean client;
    private final String resumptionKey;

    private MemorySegment ssl;
    private MemorySegment rbio;
    private MemorySegment wbio;
    private long rbioHeld;  // bytes the read BIO may hold now
    private long rbioMost;  // the most it held since it was made
    private long wbioMost;
    private boolean handshakeDone;
    private boolean outboundClosed;
    private SSLException failure;
    private Throwable callbackFailure;
    private long consumed;
    private long produced;
    private TlsInfo info;

    OpenSslSession(OpenSslTlsFactory factory, SslContexts contexts, CipherSink sink, MemorySegment scratch,
                   boolean client, String serverName, boolean verifyHostname, String resumptionKey) throws IOException {
        this.factory = factory;
        this.contexts = contexts;
        this.sink = sink;
        this.scratch = scratch;
        this.client = client;
        this.resumptionKey = resumptionKey;
        try {
            contexts.retain();
        } catch (IllegalStateException closed) {
            throw new IOException("this TLS configuration's OpenSSL contexts were closed");
        }
        Crypto.ERR_clear_error();
        MemorySegment s = Ssl.SSL_new(contexts.defaultCtx);
        if (s.address() == 0) {
            contexts.release();
            throw SslFailures.setup("SSL_new", null);
        }
        this.ssl = s;
        OpenSslTlsFactory.LIVE_SESSIONS.incrementAndGet();
        try {
            this.rbio = newBio();
            this.wbio = newBio(rbio);
            Ssl.SSL_set_bio(ssl, rbio, wbio);
            OpenSslCallbacks.register(ssl, this);
            if (client) {
                Ssl.SSL_set_connect_state(ssl);
                if (serverName != null) {
                    // RFC 6066: SNI carries host names, never an address literal.
                    if (!isAddressLiteral(serverName) && Ssl.SSL_set_tlsext_host_name(ssl, serverName) != 1) {
                        throw SslFailures.setup("SSL_set_tlsext_host_name", serverName);
                    }
                    if (verifyHostname && Ssl.SSL_set1_host(ssl, serverName) != 1) {
                        throw SslFailures.setup("SSL_set1_host", serverName);
                    }
                }
                if (resumptionKey != null) {
                    factory.resumption().offer(resumptionKey, ssl);
                }
            } else {
                Ssl.SSL_set_accept_state(ssl);
            }
        } catch (SSLException | RuntimeException e) {
            free();
            throw e;
        }
    }

    // The write BIO is made after the read one; a failure frees what was made.
    private static MemorySegment newBio(MemorySegment... madeBefore) throws SSLException {
        MemorySegment bio = Bio.BIO_new(Bio.BIO_s_mem());
        if (bio.address() == 0) {
            for (MemorySegment b : madeBefore) {
                Bio.BIO_free(b);
            }
            throw SslFailures.setup("BIO_new", "BIO_s_mem");
        }
        return bio;
    }

    private static boolean isAddressLiteral(String host) {
        return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    SslContexts contexts() {
        return contexts;
    }

    void callbackFailed(Throwable t) {
        if (callbackFailure == null) {
            callbackFailure = t;
        }
    }

    boolean offerForResumption(MemorySegment session) {
        if (resumptionKey == null || Ssl.SSL_SESSION_is_resumable(session) != 1) {
            return false;
        }
        factory.resumption().put(resumptionKey, session);
        return true;
    }

    @Override
    public void begin() throws IOException {
        usable();
        if (client && !handshakeDone) {
            handshake();
        }
    }

    @Override
    public int read(MemorySegment in, MemorySegment out) throws IOException {
        consumed = 0;
        produced = 0;
        usable();
        long length = in.byteSize();
        for (long at = 0; at < length; ) {
            int n = (int) Math.min(length - at, Integer.MAX_VALUE);
            if (Bio.BIO_write(rbio, in, at, n) != n) {
                throw fail(SslFailures.setup("BIO_write", "the read BIO"));
            }
            at += n;
        }
        consumed = length;
        rbioHeld += length;
        rbioMost = Math.max(rbioMost, rbioHeld);
        int status = NEED_INPUT;
        boolean finishing = !handshakeDone;
        if (handshakeDone || handshake()) {
            status = decrypt(out);
        }
        if (status == NEED_INPUT) {
            rbioHeld = 0; // OpenSSL took every byte, a partial record into its own buffer
            // The handshake's flights are the most many connections ever receive: not kept.
            if (rbioMost > BIO_KEEP_BYTES || finishing && handshakeDone && rbioMost > 0) {
                rbio = replace(true);
                rbioMost = 0;
            }
        }
        return status;
    }

    // Drives the handshake as far as the input allows and drains what it made; true once done.
    private boolean handshake() throws SSLException {
        Crypto.ERR_clear_error();
        int r = Ssl.SSL_do_handshake(ssl);
        if (r == 1) {
            handshakeDone = true;
            drain();
            if (wbioMost > 0) { // the handshake's flights are the most many connections send
                wbio = replace(false);
                wbioMost = 0;
            }
            return true;
        }
        int err = Ssl.SSL_get_error(ssl, r);
        if (err != Ssl.SSL_ERROR_WANT_READ) {
            throw fail(SslFailures.session("SSL_do_handshake", err, ssl, true, callbackFailure));
        }
        drain();
        return false;
    }

    private int decrypt(MemorySegment out) throws SSLException {
        try {
            while (true) {
                long room = out.byteSize() - produced;
                if (room == 0) {
                    return OUT_FULL;
                }
                Crypto.ERR_clear_error();
                long n = Ssl.SSL_read_ex(ssl, out, produced, room);
                if (n > 0) {
                    produced += n;
                    continue;
                }
                int err = Ssl.SSL_get_error(ssl, 0);
                switch (err) {
                    case Ssl.SSL_ERROR_WANT_READ:
                        return NEED_INPUT;
                    case Ssl.SSL_ERROR_ZERO_RETURN:
                        return CLOSED;
                    default:
                        throw fail(SslFailures.session("SSL_read_ex", err, ssl, false, callbackFailure));
                }
            }
        } finally {
            if (failure == null) {
                drain(); // tickets, a KeyUpdate answer, our close_notify answering theirs
            }
        }
    }

    @Override
    public long write(MemorySegment in) throws IOException {
        usable();
        if (!handshakeDone) {
            return 0;
        }
        if (outboundClosed) {
            throw new SSLException("write after closeOutbound: close_notify was sent");
        }
        long length = in.byteSize();
        for (long at = 0; at < length; ) {
            long chunk = Math.min(WRITE_CHUNK, length - at);
            Crypto.ERR_clear_error();
            long n = Ssl.SSL_write_ex(ssl, in, at, chunk);
            if (n <= 0) {
                throw fail(SslFailures.session("SSL_write_ex", Ssl.SSL_get_error(ssl, 0), ssl, false, callbackFailure));
            }
            at += n;
            drain();
        }
        return length;
    }

    @Override
    public void closeOutbound() throws IOException {
        if (outboundClosed || ssl == null || failure != null) {
            return;
        }
        outboundClosed = true;
        // OpenSSL refuses close_notify during a handshake (SHUTDOWN_WHILE_IN_INIT): then the
        // connection just closes.
        if (!handshakeDone) {
            return;
        }
        Crypto.ERR_clear_error();
        int r = Ssl.SSL_shutdown(ssl);
        if (r < 0) {
            throw fail(SslFailures.session("SSL_shutdown", Ssl.SSL_get_error(ssl, r), ssl, false, callbackFailure));
        }
        drain();
    }

    /** Moves every record in the write BIO into the sink, through the scratch segment. */
    private void drain() {
        long drained = 0;
        int room = (int) Math.min(scratch.byteSize(), Integer.MAX_VALUE);
        while (true) {
            int n = Bio.BIO_read(wbio, scratch, 0, room);
            if (n <= 0) {
                break;
            }
            sink.append(scratch, 0, n);
            drained += n;
            if (n < room) {
                break; // a memory BIO hands over all it has: it is empty now
            }
        }
        wbioMost = Math.max(wbioMost, drained);
        if (wbioMost > BIO_KEEP_BYTES) {
            wbio = replace(false);
            wbioMost = 0;
        }
    }

    // Replaces an empty BIO whose buffer grew, freeing the old one with it. Out of memory for
    // the new BIO, the old one stays: it works, it is only larger.
    private MemorySegment replace(boolean read) {
        MemorySegment fresh = Bio.BIO_new(Bio.BIO_s_mem());
        if (fresh.address() == 0) {
            Crypto.ERR_clear_error();
            return read ? rbio : wbio;
        }
        if (read) {
            Ssl.SSL_set0_rbio(ssl, fresh);
        } else {
            Ssl.SSL_set0_wbio(ssl, fresh);
        }
        return fresh;
    }

    // After a fatal error the alert OpenSSL made is still sent: the peer learns why.
    private SSLException fail(SSLException e) {
        failure = e;
        drain();
        return e;
    }

    private void usable() throws SSLException {
        if (failure != null) {
            SSLException again = new SSLException("the TLS session failed earlier: " + failure.getMessage());
            again.initCause(failure);
            throw again;
        }
        if (ssl == null) {
            throw new IllegalStateException("TLS session freed");
        }
    }

    @Override
    public long consumed() {
        return consumed;
    }

    @Override
    public long produced() {
        return produced;
    }

    @Override
    public boolean isHandshakeDone() {
        return handshakeDone;
    }

    @Override
    public TlsInfo info() {
        if (info == null) {
            if (!handshakeDone || ssl == null) {
                throw new IllegalStateException(ssl == null ? "TLS session freed" : "TLS handshake not done");
            }
            info = Negotiated.of(ssl, client);
        }
        return info;
    }

    @Override
    public void free() {
        if (ssl == null) {
            return;
        }
        OpenSslCallbacks.unregister(ssl);
        if (handshakeDone && failure == null) {
            // SSL_free makes the session of a connection that did not exchange close_notify
            // unresumable, the rule of SSL 3.0 that TLS 1.1 dropped (RFC 4346, 7.2.1): a peer
            // that just closes its socket, as most do, would cost every next client a full
            // handshake. A fatal alert has already made OpenSSL drop the session.
            Ssl.SSL_set_shutdown(ssl, Ssl.SSL_SENT_SHUTDOWN | Ssl.SSL_RECEIVED_SHUTDOWN);
        }
        Ssl.SSL_free(ssl); // and both BIOs
        ssl = null;
        rbio = null;
        wbio = null;
        OpenSslTlsFactory.LIVE_SESSIONS.decrementAndGet();
        contexts.release();
    }
}
