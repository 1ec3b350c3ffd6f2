package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.Timer;
import io.ffpoll.multiplexer.tls.CipherSink;
import io.ffpoll.multiplexer.tls.ServerNames;
import io.ffpoll.multiplexer.tls.TlsSession;

import java.lang.foreign.MemorySegment;

/**
 * What a TLS {@link Connection} holds besides a plain one: its engine session, the tail of an
 * incomplete record read so far, and the records made and not yet sent. Both buffers come from
 * the loop's pool and go back once empty, so an idle TLS connection holds no packet buffer.
 * Loop thread only.
 */
final class TlsLayer implements CipherSink {
    // A record is at most 16 KiB of plaintext plus 2 KiB of expansion and a 5-byte header; what
    // is read behind an incomplete one may add a read's worth. Past this, the peer is hostile.
    static final long MAX_KEPT_CIPHERTEXT = 128 * 1024;
    // Ciphertext made per send: bounds what one connection encrypts before the socket has taken
    // it (a slow reader holds at most this much in records besides its plaintext queue).
    static final long RECORDS_PER_SEND = 64 * 1024;

    // Records not yet sent, at most: a send's worth of the handler's, one more chunk's records,
    // and room for what the engine makes itself (tickets, alerts, KeyUpdate answers).
    static final long MAX_CIPHER_OUT = 3 * RECORDS_PER_SEND;

    final TlsConfig config;
    final TlsSession session;
    final PendingInput cipherIn;
    final WriteQueue cipherOut;
    RingSend ring;              // io_uring: sends the records, from the first flush of them
    Timer handshakeTimer;
    boolean handshakeDone;
    boolean failed;             // the session threw: nothing more goes through it
    boolean closeNotifyQueued;
    boolean closeNotifyReceived;
    boolean firstByteChecked;   // the peer's first byte was checked to start a record (RFC 8446 5.1: handshake or alert)
    // STARTTLS (Connection.startTls): the queue's bytes before this index (as WriteQueue.taken
    // counts them) were written before TLS began, and go out as they were written. The session
    // begins once they are all ahead of its records; until then what the peer sends is kept.
    long plainUntil;
    boolean begun = true;
    boolean upgraded;           // began on an open connection: the handshake's end completes startTls, not onOpen

    TlsLayer(TlsConfig config, LoopIo io, String serverName, int peerPort) throws java.io.IOException {
        this.config = config;
        this.cipherIn = new PendingInput(io.pool);
        this.cipherOut = new WriteQueue(io.pool, io.counts);
        this.session = config.factory().newSession(this, io.tlsScratch(), ServerNames.checked(serverName), peerPort);
    }

    @Override
    public void append(MemorySegment src, long offset, long length) {
        cipherOut.append(src, offset, length);
    }

    /** Whether the ring has a send of the records in flight: they must not be sent or freed meanwhile. */
    boolean sending() {
        return ring != null && ring.inFlight();
    }

    /** Whether a graceful close should send close_notify first. */
    boolean closeNotifyDue() {
        return handshakeDone && !failed && !closeNotifyQueued;
    }

    /** Whether a graceful close has records to send first: close_notify, or records already made (an answer, a ticket, the peer's close_notify answered). */
    boolean sendsBeforeClose() {
        return closeNotifyDue() || (!failed && !cipherOut.isEmpty());
    }

    /** Gives the buffers back and frees the session. */
    void release() {
        if (handshakeTimer != null) {
            handshakeTimer.cancel();
            handshakeTimer = null;
        }
        cipherIn.release();
        if (ring != null) {
            ring.release(); // with a send in flight, the records go back at its completion
        } else {
            cipherOut.clear();
        }
        session.free();
    }
}
