package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.tls.TlsSession;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLHandshakeException;

/**
 * The TLS layer of a {@link Connection}, between the socket and the handler: ciphertext read
 * from the socket goes through the engine and the plaintext to the handler, as
 * {@link ConnectionReading} delivers plain bytes (the sending half is
 * {@link ConnectionTlsSending}). The handler is opened when the handshake completes; until
 * then it sees nothing, and a handshake that fails or times out closes the connection with
 * the reason. Loop thread only.
 */
abstract sealed class ConnectionTls extends ConnectionWriting permits ConnectionTlsSending {

    ConnectionTls(EventLoop loop, int fd, java.net.SocketAddress remote, ConnectionHandler handler) {
        super(loop, fd, remote, handler);
    }

    /**
     * What the TLS handshake settled, once the connection is open; null for a plain connection,
     * or a TLS one whose handshake is not done. Any thread (the value is set once, on the loop).
     *
     * @return the protocol, cipher suite, ALPN choice, SNI name and peer certificates, or null
     */
    public final TlsInfo tls() {
        return tlsInfo;
    }

    private volatile TlsInfo tlsInfo;

    /**
     * Whether the peer ended its TLS output with close_notify (RFC 8446 6.1). Asked in
     * {@link ConnectionHandler#onReadClosed}, false on a TLS connection means the input ended
     * with a bare TCP FIN: every record that came was whole, but whatever the peer sent after
     * them may have been cut off on the way. That matters where the end of the stream ends a
     * message (an HTTP response read to the close); a protocol that frames its messages sees a
     * cut message itself. Always false on a plain connection. Loop thread.
     *
     * @return true once the peer's close_notify has come
     */
    public final boolean closeNotifyReceived() {
        checkLoop("closeNotifyReceived");
        return tls != null && tls.closeNotifyReceived;
    }

    @Override
    final void tlsRecordTooLarge() {
        tlsFailed(new SSLHandshakeException("no TLS record fits in " + TlsLayer.MAX_KEPT_CIPHERTEXT
                + " bytes: not TLS, or a hostile peer"));
    }

    @Override
    final void tlsRedeliver() {
        TlsLayer t = tls;
        if (!t.cipherIn.isEmpty() && reading && !closing) {
            decrypt(t.cipherIn.view(), t.cipherIn.length());
        }
    }

    /**
     * Runs {@code cipher[0, length)} through the engine: answers the handshake, delivers
     * plaintext while the handler takes it, and keeps the ciphertext it did not get to (an
     * incomplete record, or records that arrived while the handler paused).
     */
    @Override
    final void decrypt(MemorySegment cipher, long length) {
        TlsLayer t = tls;
        if (!t.begun) {
            t.cipherIn.keep(cipher, 0, length); // the session begins once STARTTLS's plaintext is out
            return;
        }
        if (!t.firstByteChecked && length > 0) {
            t.firstByteChecked = true;
            byte first = cipher.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
            if (first != 0x16 && first != 0x15) {
                // A peer's first record is a handshake message (22) or an alert (21), RFC 8446
                // 5.1: anything else is not TLS, however few bytes came (an engine would wait for
                // a whole record header, and the handshake timeout).
                tlsFailed(new SSLHandshakeException(who() + " sent no TLS: its first byte is 0x"
                        + Integer.toHexString(first & 0xff) + " (plaintext on a TLS connection?)"));
                return;
            }
        }
        TlsSession s = t.session;
        long offset = 0;
        while (!closed) {
            BufferPool.Buffer plain = io.tlsPlain();
            int status;
            try {
                status = s.read(offset == 0 && length == cipher.byteSize() ? cipher : cipher.asSlice(offset, length - offset),
                        plain.segment);
            } catch (IOException | RuntimeException failure) {
                IOException e = engineFailure(failure);
                // The records before the one refused were decrypted: the handler gets them first,
                // after onOpen if the handshake ended in this same call.
                if (!t.handshakeDone && s.isHandshakeDone()) {
                    handshakeCompleted();
                    if (closed) {
                        return;
                    }
                }
                long before = s.produced();
                if (before > 0 && !plaintext(plain, before)) {
                    return;
                }
                tlsFailed(e);
                return;
            }
            offset += s.consumed();
            if (!t.cipherOut.isEmpty()) {
                if (t.cipherOut.bytes() > TlsLayer.MAX_CIPHER_OUT) {
                    // Records the peer makes us answer (TLS 1.3 KeyUpdate requests) while it
                    // reads none of them: they bypass the write queue's cap, so they have one here.
                    tlsFailed(new javax.net.ssl.SSLProtocolException(t.cipherOut.bytes() + " bytes of TLS records for "
                            + who() + " are unsent: the peer makes answers it does not read"));
                    return;
                }
                requestFlush(); // handshake answers, tickets, alerts
            }
            if (!t.handshakeDone && s.isHandshakeDone()) {
                handshakeCompleted();
                if (closed) {
                    return;
                }
            }
            long produced = s.produced();
            if (produced > 0 && !plaintext(plain, produced)) {
                return;
            }
            if (status == TlsSession.CLOSED && !t.handshakeDone) {
                // user_canceled then close_notify (RFC 8446 6.1): a handshake abandoned, no end
                // of input of a connection that never opened.
                tlsFailed(new SSLHandshakeException(who() + " closed (close_notify) during the TLS handshake"));
                return;
            }
            if (status == TlsSession.CLOSED) {
                t.closeNotifyReceived = true;
                t.cipherIn.release(); // nothing after close_notify counts
                if (s.isOutboundDone()) {
                    outputClosedByPeer();
                }
                endOfStream();
                return;
            }
            if (status == TlsSession.NEED_INPUT || !reading || closing || closed) {
                break;
            }
        }
        if (!closed) {
            t.cipherIn.keep(cipher, offset, length);
        }
    }

    /**
     * RFC 5246 7.2.1: in TLS 1.2 a close_notify is answered with one and the connection is
     * over, pending writes discarded; the JDK's engine does so and writes nothing more (TLS
     * 1.3 and the OpenSSL engine keep the half-close). The output is then shut as after
     * {@link #shutdownOutput()}: writes return false, the plaintext not yet in records is
     * dropped, and the answer and a FIN go out; no reset.
     */
    private void outputClosedByPeer() {
        TlsLayer t = tls;
        t.closeNotifyQueued = true;
        if (queue.untaken() > 0) {
            LOG.debug("{} sent a TLS 1.2 close_notify: {} bytes written to it are dropped", who(), queue.untaken());
            queue.consume(queue.untaken());
        }
        outputShutdownRequested = true;
        requestFlush();
    }

    /** An engine's failure as the connection reports it: an unchecked one is a bug or a refused input, still an SSLException. */
    static IOException engineFailure(Exception e) {
        if (e instanceof IOException io) {
            return io;
        }
        return new javax.net.ssl.SSLException("the TLS engine failed: " + e, e);
    }

    /** Hands {@code produced} decrypted bytes to the handler, behind what it left before; false if the connection ended. */
    private boolean plaintext(BufferPool.Buffer plain, long produced) {
        if (closing) {
            return true; // a close has begun: the handler takes no more
        }
        if (input.isEmpty() && reading) {
            deliver(plain.readOnly, produced);
            return !closed;
        }
        if (input.length() + produced > options.maxPending()) {
            inputTooLarge(input.length() + produced);
            return false;
        }
        ownInput().append(plain.segment, produced);
        if (reading) {
            deliver(input.view(), input.length());
        }
        return !closed;
    }

    private void handshakeCompleted() {
        TlsLayer t = tls;
        t.handshakeDone = true;
        if (t.handshakeTimer != null) {
            t.handshakeTimer.cancel();
            t.handshakeTimer = null;
        }
        tlsInfo = t.session.info();
        if (!reading) {
            updateInterest(); // the handshake read on for itself; the handler had paused
        }
        CompletableFuture<Connection> result = opening; // a connect's future: it completes now
        opening = null;
        // A handler that began a close before the handshake ended (an accepted connection's
        // future completes first) is done with the connection: no onOpen for it.
        // After STARTTLS the handler is open already: the future startTls returned completes.
        IOException thrown = closing || t.upgraded ? null : opened();
        if (!closed && (!queue.isEmpty() || outputShutdownRequested)) {
            requestFlush();
        }
        if (result != null) {
            completeLater(result, thrown == null ? (Connection) this : null, thrown);
        }
    }

    /** {@code Connection.opened()}: runs onOpen. */
    abstract IOException opened();

    /**
     * The engine refused what the peer sent (not TLS, a failed handshake, a refused
     * renegotiation): send the alert it made, if the socket takes it now, and close.
     */
    private void tlsFailed(IOException e) {
        TlsLayer t = tls;
        t.failed = true;
        LOG.debug("TLS with {} failed: {}", who(), e.toString());
        if (!t.cipherOut.isEmpty() && !t.sending()) {
            t.cipherOut.send(fd, io.gather, false); // best effort: the alert tells the peer why
        }
        finish(e instanceof SSLHandshakeException || t.handshakeDone ? e
                : new SSLHandshakeException(e.getMessage(), e), false);
    }

    /**
     * TCP's FIN. Between records, without close_notify, it may be a truncation, which the
     * handler hears as an EOF all the same; inside a record it certainly is one: the record's
     * bytes never reach the handler, so the connection closes with an {@link EOFException} as a
     * plain one does for an EOF inside a message, not with a clean end of input.
     */
    @Override
    final void tlsEndOfStream() {
        if (!tls.handshakeDone) {
            loop.clearReadiness(fd, Interest.READABLE);
            LOG.debug("{} closed during the TLS handshake", who());
            finish(new EOFException(who() + " closed during the TLS handshake"), false);
            return;
        }
        if (!lingering && !tls.cipherIn.isEmpty()) {
            loop.clearReadiness(fd, Interest.READABLE);
            inputEnded = true;
            updateInterest();
            tlsInputEndedWithKept();
            return;
        }
        endOfStream();
    }

    /**
     * The whole records kept (a paused reader's) go through the engine first; only what is left
     * after them is a record cut short (as Netty's SslHandler decodes what it buffered before it
     * reports the end). Paused meanwhile: the resume goes on here.
     */
    @Override
    final void tlsInputEndedWithKept() {
        if (reading && !closing && !closed) {
            decrypt(tls.cipherIn.view(), tls.cipherIn.length());
        }
        if (closed || closing || inputFinished || !reading) {
            return;
        }
        if (tls.cipherIn.isEmpty()) {
            finishInput();
            return;
        }
        long partial = tls.cipherIn.length();
        tls.cipherIn.release();
        inputFinished = true;
        LOG.debug("{} closed inside a TLS record", who());
        closeAfterQueue(new EOFException("peer closed " + who() + " inside a TLS record (" + partial
                + " bytes of it had come)"));
    }
}
