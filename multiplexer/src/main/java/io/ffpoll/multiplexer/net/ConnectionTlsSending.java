package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Errors;
import io.ffpoll.multiplexer.EventLoop;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * The sending half of a TLS {@link Connection}: written plaintext becomes records when the
 * connection flushes, at most {@link TlsLayer#RECORDS_PER_SEND} at a time, sent by sendmsg or
 * by the loop's ring, and counts as sent once its records are; close_notify before a close or
 * half-close. After STARTTLS, the plaintext written before it goes first, as it was written.
 * Loop thread only.
 */
abstract sealed class ConnectionTlsSending extends ConnectionTls permits ConnectionStartTls {

    ConnectionTlsSending(EventLoop loop, int fd, java.net.SocketAddress remote, ConnectionHandler handler) {
        super(loop, fd, remote, handler);
    }

    @Override
    final void tlsFlushNow() {
        TlsLayer t = tls;
        while (true) {
            if (t.cipherOut.isEmpty() && !t.failed && (t.handshakeDone ? queue.untaken() > 0 : !t.begun)) {
                if (!encrypt(t)) {
                    return;
                }
            }
            if (t.cipherOut.isEmpty()) {
                break;
            }
            if (ringSendsRecords()) {
                if (waitingForWritable) {
                    waitingForWritable = false; // a file's sendfile before STARTTLS filled the socket
                    updateInterest();
                }
                if (t.ring == null) {
                    t.ring = new RingSend(this, t.cipherOut);
                }
                t.ring.flush(); // its completion comes back in recordsSent
                return;
            }
            long n = t.cipherOut.send(fd, io.gather, false);
            if (n == -Err.EINTR) {
                continue;
            }
            if (n == -Err.EAGAIN) {
                waitForWritable();
                return;
            }
            if (n < 0) {
                recordsFailed(n);
                return;
            }
            if (!t.cipherOut.isEmpty()) {
                waitForWritable(); // the socket took less than offered: it is full
                return;
            }
            queue.heldSent();
            sentSome();
            if (writableAgain() && closed) {
                return;
            }
        }
        if (waitingForWritable) {
            waitingForWritable = false;
            updateInterest();
        }
        if (queue.isEmpty()) {
            afterDrained();
        }
    }

    @Override
    final void recordsSent(boolean drained) {
        if (drained) {
            queue.heldSent();
            sentSome();
            if (writableAgain() && closed) {
                return;
            }
        }
        requestFlush(); // the rest of the records, the next plaintext, or the end of a close
    }

    @Override
    final void recordsFailed(long n) {
        if (tls.closeNotifyReceived && queue.isEmpty() && (n == -Err.EPIPE || n == -Err.ECONNRESET)) {
            // The peer closed after its close_notify, before ours (or a late ticket) reached
            // it: nothing the handler wrote is lost, so the close is clean.
            finish(null, false);
            return;
        }
        finish(Errors.exception("sendmsg(fd " + fd + ", " + who() + ")", (int) -n), false);
    }

    /**
     * Turns the head of the plaintext queue into records, up to one send's worth; false if the
     * session failed. After STARTTLS, the bytes written before it go first as they are, and
     * the session begins behind them.
     */
    private boolean encrypt(TlsLayer t) {
        try {
            while (queue.untaken() > 0 && t.cipherOut.bytes() < TlsLayer.RECORDS_PER_SEND) {
                long plain = t.plainUntil - queue.taken();
                long n;
                if (plain > 0) {
                    MemorySegment head = queue.head();
                    n = Math.min(plain, head.byteSize());
                    t.cipherOut.append(head, 0, n);
                } else if (t.handshakeDone) {
                    n = t.session.write(queue.head());
                } else {
                    break;
                }
                if (n == 0) {
                    break;
                }
                queue.hold(n);
            }
            if (!t.begun && queue.taken() >= t.plainUntil) {
                beginAfterPlaintext();
            }
            return true;
        } catch (IOException | RuntimeException e) {
            t.failed = true;
            finish(engineFailure(e), true);
            return false;
        }
    }

    @Override
    final boolean tlsCloseNotify() {
        TlsLayer t = tls;
        if (t == null) {
            return false;
        }
        if (!t.handshakeDone && !t.failed && !closing) {
            // A half-close asked for before the handshake is done (an accepted connection's
            // future completes first): a FIN now would cut the handshake off. It waits; the
            // handshake's end flushes, and this runs again.
            return true;
        }
        if (!t.closeNotifyDue()) {
            if (t.failed || t.cipherOut.isEmpty()) {
                return false;
            }
            tlsFlushNow(); // records made and not yet sent (the answer to a TLS 1.2 close_notify) go first
            return true;
        }
        t.closeNotifyQueued = true;
        try {
            t.session.closeOutbound();
        } catch (IOException e) {
            LOG.debug("close_notify to {} failed: {}", who(), e.getMessage());
            return false;
        }
        tlsFlushNow();
        return true;
    }

    /** STARTTLS: the plaintext written before it is all ahead of the records, so the session begins ({@code ConnectionStartTls}). */
    abstract void beginAfterPlaintext() throws IOException;
}
