package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.bindings.openssl.Bio;
import io.ffpoll.bindings.openssl.Crypto;
import io.ffpoll.bindings.openssl.Ssl;
import io.ffpoll.multiplexer.net.TlsInfo;
import io.ffpoll.multiplexer.tls.CipherSink;
import io.ffpoll.multiplexer.tls.ServerNames;
import io.ffpoll.multiplexer.tls.TlsSession;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One connection's {@code SSL} over two memory BIOs. {@link #read} moves whole records into the
 * read BIO one at a time and drives the handshake with {@code SSL_do_handshake} or decrypts with
 * {@code SSL_read_ex}, until only an incomplete record is left, the next record's plaintext
 * might not fit in {@code out}, or close_notify arrived. After every call that can make records (handshake flights, tickets, alerts,
 * close_notify, application data) the write BIO is drained into the sink through the scratch
 * segment. Loop thread only. {@code in}, {@code out} and the plaintext given to {@link #write}
 * are native segments (the connection's pooled buffers): the BIO copies are linked critical,
 * without heap access.
 *
 * <p>A server's TLS 1.3 session frees its {@code SSL} once the handshake is done, where the
 * contexts allow it ({@link SslContexts#releasesSsl}): the application traffic secrets, from
 * the key log callback, go to a {@link Tls13Records}, which protects the records from then on.
 * The tickets OpenSSL sent as the handshake ended are decrypted with those keys first, which
 * proves the keys and tells the sequence number; a session where anything of that does not
 * hold keeps its {@code SSL}.
 *
 * <p>Memory: the read BIO holds at most one record, and nothing between calls. A memory BIO's buffer never shrinks, so one that held more than
 * {@link #BIO_KEEP_BYTES}, or anything during the handshake, is replaced once empty; with
 * {@code SSL_MODE_RELEASE_BUFFERS} an idle session then holds no record-sized buffer.
 */
final class OpenSslSession implements TlsSession {
    /** A BIO whose buffer grew past this is replaced by a new, empty one once drained. */
    static final int BIO_KEEP_BYTES = 2048;
    // Three full records per SSL_write_ex, so that one BIO_read into the 64 KiB scratch takes them.
    private static final long WRITE_CHUNK = 3 * 16 * 1024;
    // RFC 8446 5.1 and RFC 5246 6.2: a header of 5 bytes (type, version, length); at most 2^14
    // bytes of plaintext, and 2^14 + 2048 of ciphertext, in a record; types 20 to 24.
    private static final int RECORD_HEADER = 5;
    private static final long MAX_PLAINTEXT = 16384;
    private static final int MAX_RECORD_BODY = 16384 + 2048;
    private static final int CHANGE_CIPHER_SPEC_RECORD = 20;
    private static final byte HANDSHAKE_RECORD = 22;
    private static final int HEARTBEAT_RECORD = 24;

    private final OpenSslTlsFactory factory;
    private final SslContexts contexts;
    private final CipherSink sink;
    private final MemorySegment scratch;
    private final boolean client;
    private final String resumptionKey;

    private MemorySegment ssl;
    private MemorySegment rbio;
    private MemorySegment wbio;
    private long rbioMost;  // the most it held since it was made
    private boolean tls12;  // the handshake settled TLS 1.2, where renegotiation is refused
    private long wbioMost;
    private boolean handshakeDone;
    private boolean outboundClosed;
    private SSLException failure;
    private Throwable callbackFailure;
    private long consumed;
    private long produced;
    private TlsInfo info;
    private byte[] clientSecret; // TLS 1.3 application traffic secrets, until the SSL is freed
    private byte[] serverSecret;
    private Tls13Records records; // once the SSL is freed after the handshake
    private boolean freed;

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
                    String sni = ServerNames.sni(serverName);
                    if (sni != null && Ssl.SSL_set_tlsext_host_name(ssl, sni) != 1) {
                        throw SslFailures.setup("SSL_set_tlsext_host_name", sni);
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

    /** {@return the connection's {@code SSL}, or NULL once freed} For tests. */
    MemorySegment ssl() {
        return ssl == null ? MemorySegment.NULL : ssl;
    }

    /** {@return whether the records go through {@link Tls13Records}, the {@code SSL} freed} */
    boolean releasedSsl() {
        return records != null;
    }

    SslContexts contexts() {
        return contexts;
    }

    void callbackFailed(Throwable t) {
        if (callbackFailure == null) {
            callbackFailure = t;
        }
    }

    void trafficSecret(boolean client, byte[] secret) {
        if (client) {
            clientSecret = secret;
        } else {
            serverSecret = secret;
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
        if (records != null) {
            return recordsRead(in, out);
        }
        long length = in.byteSize();
        boolean finishing = !handshakeDone;
        int status;
        try {
            status = records(in, length, out);
        } finally {
            if (failure == null && ssl != null) {
                drain(); // handshake flights, tickets, a KeyUpdate answer, our close_notify answering theirs
            }
        }
        if (status == NEED_INPUT && ssl != null) {
            // The read BIO is empty now. The handshake's flights are the most many connections
            // ever receive: that buffer is not kept.
            if (rbioMost > BIO_KEEP_BYTES || finishing && handshakeDone && rbioMost > 0) {
                rbio = replace(true);
            }
            rbioMost = 0;
        }
        return status;
    }

    /*
     * Whole records go into the read BIO one at a time, each only when the plaintext it can
     * carry (2^14 bytes, RFC 8446 5.1) fits in out, and the BIO is empty again before the next:
     * OpenSSL never holds a partial record, an unread one, or plaintext between calls. An
     * incomplete record is left unconsumed, as the JDK's engine leaves it, so the connection
     * keeps it and can tell a FIN inside a record from one between records, and records behind
     * a paused reader stay in the connection's buffer, not in OpenSSL.
     */
    private int records(MemorySegment in, long length, MemorySegment out) throws IOException {
        while (true) {
            if (records != null) { // the handshake just ended here, and the SSL with it
                long before = consumed;
                long producedBefore = produced;
                try {
                    return recordsRead(in.asSlice(consumed), out.asSlice(produced));
                } finally {
                    consumed += before;
                    produced += producedBefore;
                }
            }
            if (handshakeDone) {
                int status = decrypt(out);
                if (status != NEED_INPUT) {
                    return status;
                }
            }
            long record = nextRecord(in, consumed, length);
            if (record == 0) {
                return NEED_INPUT;
            }
            if (handshakeDone) {
                if (out.byteSize() - produced < MAX_PLAINTEXT) {
                    return OUT_FULL;
                }
                if (tls12 && in.get(ValueLayout.JAVA_BYTE, consumed) == HANDSHAKE_RECORD) {
                    if (produced > 0) {
                        return OUT_FULL; // what came before the refused record is delivered first
                    }
                    refuseRenegotiation(in, record, out);
                }
            }
            feed(in, record);
            if (!handshakeDone && handshake()) {
                tls12 = "TLSv1.2".equals(info().protocol());
            }
        }
    }

    // TLS 1.2 has no handshake message after the handshake but renegotiation (a ClientHello to
    // a server, a HelloRequest to a client), which is refused: a peer could otherwise make the
    // server redo costly key exchanges at will. OpenSSL answers it with its no_renegotiation
    // warning (SSL_OP_NO_RENEGOTIATION); the connection then fails.
    private void refuseRenegotiation(MemorySegment in, long record, MemorySegment out) throws SSLException {
        feed(in, record);
        decrypt(out); // only the handshake record is there: OpenSSL answers it and wants more
        throw fail(new SSLHandshakeException("TLS 1.2 renegotiation refused: the peer sent a handshake record"
                + " after the handshake"));
    }

    /**
     * The length of the record at {@code in[at]} if all of it is there, 0 if it is incomplete,
     * or everything from {@code at} if the header is no TLS record header (a plaintext request,
     * an SSL 2 hello, noise): OpenSSL then refuses it at once with the right alert, where
     * waiting for the length such a header claims would hang the connection.
     */
    private static long nextRecord(MemorySegment in, long at, long length) {
        long left = length - at;
        if (left == 0) {
            return 0;
        }
        int type = in.get(ValueLayout.JAVA_BYTE, at) & 0xff;
        if (type < CHANGE_CIPHER_SPEC_RECORD || type > HEARTBEAT_RECORD
                || left >= 2 && in.get(ValueLayout.JAVA_BYTE, at + 1) != 3) {
            return left;
        }
        if (left < RECORD_HEADER) {
            return 0;
        }
        int body = (in.get(ValueLayout.JAVA_BYTE, at + 3) & 0xff) << 8 | in.get(ValueLayout.JAVA_BYTE, at + 4) & 0xff;
        if (body > MAX_RECORD_BODY) {
            return left;
        }
        return left >= RECORD_HEADER + body ? RECORD_HEADER + body : 0;
    }

    private void feed(MemorySegment in, long n) throws SSLException {
        if (Bio.BIO_write(rbio, in, consumed, (int) n) != n) {
            throw fail(SslFailures.setup("BIO_write", "the read BIO"));
        }
        consumed += n;
        rbioMost = Math.max(rbioMost, n);
    }

    // Drives the handshake as far as the input allows and drains what it made; true once done.
    private boolean handshake() throws SSLException {
        Crypto.ERR_clear_error();
        int r = Ssl.SSL_do_handshake(ssl);
        if (r == 1) {
            handshakeDone = true;
            if (releaseSsl()) {
                return true;
            }
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

    private int recordsRead(MemorySegment in, MemorySegment out) throws SSLException {
        try {
            return records.read(in, out);
        } catch (SSLException e) {
            failure = e;
            throw e;
        } finally {
            consumed = records.consumed();
            produced = records.produced();
        }
    }

    // At the end of a server's TLS 1.3 handshake: hands the records over to a Tls13Records and
    // frees the SSL, where the contexts allow it and Handover finds all it needs.
    private boolean releaseSsl() throws SSLException {
        Tls13Suite suite = null;
        if (!client && contexts.releasesSsl && callbackFailure == null && clientSecret != null && serverSecret != null
                && "TLSv1.3".equals(info().protocol()) && Bio.BIO_ctrl_pending(rbio) == 0) {
            suite = Tls13Suite.of(info().cipherSuite());
        }
        Tls13Records taken = suite == null ? null
                : Handover.take(ssl, wbio, suite, clientSecret, serverSecret, sink, scratch, factory.keyUpdateRecords());
        forgetSecrets();
        if (taken == null) {
            return false;
        }
        records = taken;
        if (outboundClosed) {
            records.outputClosed();
        }
        freeSsl(true);
        return true;
    }

    private void forgetSecrets() {
        if (clientSecret != null) {
            java.util.Arrays.fill(clientSecret, (byte) 0);
        }
        if (serverSecret != null) {
            java.util.Arrays.fill(serverSecret, (byte) 0);
        }
        clientSecret = null;
        serverSecret = null;
    }

    private int decrypt(MemorySegment out) throws SSLException {
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
                    if (tls12) {
                        // RFC 5246 7.2.1: TLS 1.2 has no half-close; the answer goes at once and
                        // nothing more is written, as the JDK's engine does.
                        shutdown();
                    }
                    return CLOSED;
                default:
                    throw fail(SslFailures.session("SSL_read_ex", err, ssl, false, callbackFailure));
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
        if (records != null) {
            try {
                records.write(in);
            } catch (SSLException e) {
                failure = e;
                throw e;
            }
            return length;
        }
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
        shutdown();
    }

    private void shutdown() throws SSLException {
        if (outboundClosed || freed || failure != null) {
            return;
        }
        outboundClosed = true;
        if (records != null) {
            try {
                records.closeNotify();
            } catch (SSLException e) {
                failure = e;
                throw e;
            }
            return;
        }
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
        if (ssl != null) {
            drain();
        }
        return e;
    }

    private void usable() throws SSLException {
        if (failure != null) {
            SSLException again = new SSLException("the TLS session failed earlier: " + failure.getMessage());
            again.initCause(failure);
            throw again;
        }
        if (freed) {
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
    public boolean isOutboundDone() {
        return outboundClosed;
    }

    @Override
    public boolean isHandshakeDone() {
        return handshakeDone;
    }

    @Override
    public TlsInfo info() {
        if (info == null) {
            if (!handshakeDone || ssl == null) {
                throw new IllegalStateException(freed ? "TLS session freed" : "TLS handshake not done");
            }
            info = Negotiated.of(ssl, client);
        }
        return info;
    }

    @Override
    public void free() {
        if (freed) {
            return;
        }
        freed = true;
        forgetSecrets();
        if (records != null) {
            records.erase();
        }
        if (ssl != null) {
            freeSsl(handshakeDone && failure == null);
        }
    }

    private void freeSsl(boolean keepSessionResumable) {
        OpenSslCallbacks.unregister(ssl);
        if (keepSessionResumable) {
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
