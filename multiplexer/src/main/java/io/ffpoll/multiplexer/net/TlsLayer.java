package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.Timer;
import io.ffpoll.multiplexer.tls.CipherSink;
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

    final TlsConfig config;
    final TlsSession session;
    final PendingInput cipherIn;
    final WriteQueue cipherOut;
    Timer handshakeTimer;
    boolean handshakeDone;
    boolean failed;             // the session threw: nothing more goes through it
    boolean closeNotifyQueued;
    boolean closeNotifyReceived;

    TlsLayer(TlsConfig config, LoopIo io, String serverName, int peerPort) throws java.io.IOException {
        this.config = config;
        this.cipherIn = new PendingInput(io.pool);
        this.cipherOut = new WriteQueue(io.pool);
        this.session = config.factory().newSession(this, io.tlsScratch(), serverName, peerPort);
    }

    @Override
    public void append(MemorySegment src, long offset, long length) {
        cipherOut.append(src, offset, length);
    }

    /** Whether a graceful close should send close_notify first. */
    boolean closeNotifyDue() {
        return handshakeDone && !failed && !closeNotifyQueued;
    }

    /** Gives the buffers back and frees the session. */
    void release() {
        if (handshakeTimer != null) {
            handshakeTimer.cancel();
            handshakeTimer = null;
        }
        cipherIn.release();
        cipherOut.clear();
        session.free();
    }
}
