package io.ffpoll.multiplexer.tls.jdk;

import io.ffpoll.multiplexer.net.TlsInfo;
import io.ffpoll.multiplexer.tls.CipherSink;
import io.ffpoll.multiplexer.tls.TlsSession;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link TlsSession} on the JDK's {@link SSLEngine}. The engine unwraps whole records only, so
 * an incomplete one stays with the connection, which offers it again with what follows. Its
 * delegated tasks (certificate checks, key agreement) run inline on the loop thread, as the
 * rest of the handshake does.
 */
final class JdkTlsSession implements TlsSession {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final SSLEngine engine;
    private final CipherSink sink;
    private final MemorySegment scratch;
    private final ByteBuffer scratchBuffer;
    private final String serverName;
    private boolean renegotiationRefused;
    private long consumed;
    private long produced;
    private boolean handshakeDone;
    private boolean freed;
    private long sessionCreatedBefore;
    private final boolean forgetSession;

    /** {@code forgetSession}: tickets are off, so the session is dropped from the cache once made. */
    JdkTlsSession(SSLEngine engine, CipherSink sink, MemorySegment scratch, String serverName, boolean forgetSession) {
        this.forgetSession = forgetSession;
        this.engine = engine;
        this.sink = sink;
        this.scratch = scratch;
        this.scratchBuffer = scratch.asByteBuffer();
        this.serverName = serverName;
    }

    @Override
    public void begin() throws IOException {
        sessionCreatedBefore = System.currentTimeMillis();
        engine.beginHandshake();
        if (engine.getUseClientMode()) {
            pump();
        }
    }

    @Override
    public int read(MemorySegment in, MemorySegment out) throws IOException {
        refusedBefore();
        ByteBuffer src = in.asByteBuffer();
        ByteBuffer dst = out.asByteBuffer();
        int appBuffer = engine.getSession().getApplicationBufferSize();
        try {
            while (true) {
                pump();
                if (dst.remaining() < appBuffer) {
                    return OUT_FULL;
                }
                SSLEngineResult r = engine.unwrap(src, dst);
                noteHandshake(r);
                switch (r.getStatus()) {
                    case BUFFER_UNDERFLOW -> {
                        return NEED_INPUT;
                    }
                    case BUFFER_OVERFLOW -> {
                        return OUT_FULL;
                    }
                    case CLOSED -> {
                        pump(); // TLS 1.2 answers close_notify with its own
                        return CLOSED;
                    }
                    case OK -> {
                        if (r.bytesConsumed() == 0 && r.bytesProduced() == 0
                                && engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP
                                && engine.getHandshakeStatus() != HandshakeStatus.NEED_TASK) {
                            return NEED_INPUT;
                        }
                    }
                }
            }
        } catch (SSLException e) {
            // After a refused renegotiation nothing goes out: no ServerHello (the handshake's
            // tasks are not run) and no close_notify, so the connection ends with a bare FIN.
            // OpenSSL and nginx answer with a no_renegotiation alert, which the JDK's engine
            // cannot make; a FIN without close_notify is the same refusal to the peer (OpenSSL's
            // s_client ends with "unexpected eof", an error), where close_notify would read as
            // an orderly end after the request, and testssl reports that as renegotiation allowed.
            if (!renegotiationRefused) {
                alert();
            }
            throw e;
        } finally {
            consumed = src.position();
            produced = dst.position();
        }
    }

    @Override
    public long write(MemorySegment in) throws IOException {
        refusedBefore();
        if (!handshakeDone) {
            return 0;
        }
        ByteBuffer src = in.asByteBuffer();
        try {
            while (src.hasRemaining()) {
                scratchBuffer.clear();
                SSLEngineResult r = engine.wrap(src, scratchBuffer);
                if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                    throw new SSLException("TLS output is closed (close_notify was sent)");
                }
                sink.append(scratch, 0, scratchBuffer.position());
                noteHandshake(r);
                pump();
            }
        } catch (SSLException e) {
            if (!renegotiationRefused) { // see read()
                alert();
            }
            throw e;
        }
        return src.position();
    }

    /** Runs the handshake as far as it goes without the peer: tasks, and records to send. */
    private void pump() throws SSLException {
        while (true) {
            HandshakeStatus hs = engine.getHandshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) {
                Runnable task;
                while ((task = engine.getDelegatedTask()) != null) {
                    task.run();
                }
            } else if (hs == HandshakeStatus.NEED_WRAP) {
                scratchBuffer.clear();
                SSLEngineResult r = engine.wrap(EMPTY, scratchBuffer);
                sink.append(scratch, 0, scratchBuffer.position());
                noteHandshake(r);
                if (r.bytesProduced() == 0 && r.getStatus() != SSLEngineResult.Status.OK) {
                    return; // closed: nothing more to send
                }
            } else {
                return;
            }
        }
    }

    private void noteHandshake(SSLEngineResult r) throws SSLException {
        if (r.getHandshakeStatus() == HandshakeStatus.FINISHED) {
            if (handshakeDone && "TLSv1.2".equals(engine.getSession().getProtocol())) {
                throw refuseRenegotiation();
            }
            handshakeDone = true;
            if (forgetSession) {
                // Nothing to resume from: the context's long timeout (JdkContexts) would keep a
                // TLS 1.2 session for 7 days. The connection goes on with it.
                engine.getSession().invalidate();
            }
        } else if (handshakeDone && r.getStatus() == SSLEngineResult.Status.OK
                && "TLSv1.2".equals(engine.getSession().getProtocol())
                && r.getHandshakeStatus() != HandshakeStatus.NOT_HANDSHAKING) {
            // TLS 1.2 has no post-handshake messages but renegotiation, which is refused (a
            // peer could otherwise make the server redo costly key exchanges at will). A
            // close_notify is no handshake although the engine then wants to wrap (its own
            // close_notify) or unwrap (the peer's): its result is CLOSED, not OK.
            throw refuseRenegotiation();
        }
    }

    /**
     * Once a renegotiation is refused the engine holds the peer's ClientHello and a task that
     * would answer it: it is not run again, whoever calls (a handler that writes or closes on
     * data that came just before the request, in the same read).
     */
    private void refusedBefore() throws SSLHandshakeException {
        if (renegotiationRefused) {
            throw refused();
        }
    }

    /** The engine has taken the peer's renegotiation ClientHello: it is answered with a bare close, not a ServerHello. */
    private SSLHandshakeException refuseRenegotiation() {
        renegotiationRefused = true;
        return refused();
    }

    private static SSLHandshakeException refused() {
        return new SSLHandshakeException("TLS 1.2 renegotiation refused");
    }

    /** After a failure: the alert the engine made, if any, goes to the sink. */
    private void alert() {
        try {
            engine.closeOutbound();
            pump();
        } catch (SSLException | RuntimeException ignored) {
            // the engine has nothing it can send
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
    public void closeOutbound() throws IOException {
        if (renegotiationRefused) {
            return; // a bare close (see read()); pump() would run the refused handshake's task
        }
        engine.closeOutbound();
        pump();
    }

    @Override
    public boolean isOutboundDone() {
        return renegotiationRefused || engine.isOutboundDone();
    }

    @Override
    public TlsInfo info() {
        SSLSession s = engine.getSession();
        List<X509Certificate> peer = new ArrayList<>();
        try {
            for (Certificate c : s.getPeerCertificates()) {
                peer.add((X509Certificate) c);
            }
        } catch (SSLPeerUnverifiedException none) {
            // the peer sent no certificate (a client without one)
        }
        String sni = serverName;
        if (sni == null && s instanceof ExtendedSSLSession e) {
            for (SNIServerName n : e.getRequestedServerNames()) {
                if (n instanceof SNIHostName h) {
                    sni = h.getAsciiName();
                }
            }
        }
        String alpn = engine.getApplicationProtocol();
        // The JDK tells no resumption flag; a resumed session keeps the creation time of the
        // one it resumes, which is earlier than this handshake's start.
        boolean resumed = s.getCreationTime() < sessionCreatedBefore;
        return new TlsInfo("jdk", s.getProtocol(), s.getCipherSuite(), alpn == null || alpn.isEmpty() ? null : alpn,
                sni, peer, resumed);
    }

    @Override
    public void free() {
        // An SSLEngine holds no native state: the garbage collector frees it with the connection.
        freed = true;
    }
}
