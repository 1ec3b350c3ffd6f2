package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.backend.EventBuffer;
import io.ffpoll.multiplexer.internal.LoopCounters;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * The reading half of a {@link Connection}: reads into the loop's shared buffer (or behind the
 * bytes kept from an incomplete message), hands the handler read-only views, keeps what it
 * leaves, and discards input while a lingering close waits for the peer. Loop thread only.
 */
abstract sealed class ConnectionReading extends ConnectionState permits ConnectionWriting {

    ConnectionReading(EventLoop loop, int fd, java.net.SocketAddress remote, ConnectionHandler handler) {
        super(loop, fd, remote, handler);
    }

    /**
     * Hands the socket's reads to the loop's ring where it has one ({@code Backend.receiveInto}):
     * no read syscall, and no buffer held while no data waits. Right after the registration.
     */
    final void receiveOnRing() {
        if (io.receiver != null && !notSocket && !writeOnly) {
            io.receiver.receiveInto(fd);
            receiving = true;
        }
    }

    /**
     * Stops delivering data (back-pressure); the kernel's buffer then fills and TCP slows the
     * peer. The socket is not read meanwhile, so what only a read tells waits for
     * {@link #resumeReading()} as data does: the peer's end of stream ({@code onReadClosed}),
     * and a reset may too (as with java.nio, or Netty's autoRead off).
     */
    public final void pauseReading() {
        checkLoop("pauseReading");
        if (reading) {
            reading = false;
            updateInterest();
        }
    }

    /**
     * Resumes delivery; data that arrived meanwhile is delivered without waiting for more, and an
     * end of stream that came while paused is reported once the kept messages are taken.
     */
    public final void resumeReading() {
        checkLoop("resumeReading");
        if (!reading && !closing && !closed) {
            reading = true;
            updateInterest();
            if (!input.isEmpty() || (inputEnded && !inputFinished) || (tls != null && !tls.cipherIn.isEmpty())) {
                // Bytes kept from before the pause may hold whole messages: offer them again
                // (on the loop, not from inside this call, which may be within onData).
                loop.execute(this::redeliver);
            }
        }
    }

    private void redeliver() {
        if (!reading || closed || closing || delivering) {
            return;
        }
        if (inputEnded) {
            if (!inputFinished) {
                if (tls != null && !tls.cipherIn.isEmpty()) {
                    tlsInputEndedWithKept();
                } else {
                    finishInput();
                }
            }
            return;
        }
        long before = offers;
        if (readsSocket() && LOOPS.backend(loop).isReady(fd, EventBuffer.READ)) {
            // What came while paused is read behind the kept bytes and offered with them: a
            // handler that wants more than it kept, and pauses again while they are offered,
            // would otherwise be offered the same bytes at every resume and never the rest. A
            // hang-up remembered meanwhile reads to the end: its edge has come and gone.
            readAll(LOOPS.backend(loop).isReady(fd, EventBuffer.READ_CLOSED | EventBuffer.ERROR));
        }
        if (offers == before && reading && !inputEnded && !closed && !closing) {
            // Nothing new to offer with them: the kept bytes alone (they may hold whole messages).
            if (!input.isEmpty()) {
                deliver(input.view(), input.length());
            }
            if (tls != null && !closed) {
                tlsRedeliver();
            }
        }
    }

    /**
     * Whether the socket is read: the handler wants data and the peer may send more, a
     * lingering close discards it, or a TLS handshake is under way. The handshake goes on
     * while the handler paused or began a close before it ended (as Netty's SslHandler reads
     * on with autoRead off): else a write and close on a connection just accepted would wait
     * for the handshake timeout and lose the write.
     */
    final boolean readsSocket() {
        return lingering || (reading && !inputEnded) || (tls != null && !tls.handshakeDone && !tls.failed && !inputEnded);
    }

    /**
     * Reads until EAGAIN, a short read (the socket is empty; the next arrival is a new edge) or
     * the read budget; with {@code toTheEnd} (a hang-up or error came in the same edge) only
     * EOF or the error ends it.
     */
    final void readAll(boolean toTheEnd) {
        if (tls != null && reading && !lastOfferTookNone && input.length() >= io.readBuffer.capacity()) {
            // Over TLS a read behind the kept plaintext adds a whole buffer of it, where a plain
            // read only fills the kept buffer's room: a handler that takes a little at each
            // resume and pauses again (its answers fill the queue) would keep more every time,
            // up to the pending bound, megabytes for a peer that pipelines and never reads. So
            // past a read buffer's worth the kept bytes go first, alone, and nothing is read
            // while the handler pauses on them; one that took none of them needs more, and reads.
            deliver(input.view(), input.length());
            if (closed || closing || !reading) {
                return;
            }
            // Records kept behind the plaintext go through the engine before the socket is
            // read: the read may find nothing (a stale readiness), and nothing else would
            // decrypt them.
            if (!tls.cipherIn.isEmpty()) {
                tlsRedeliver();
                if (closed || closing || !reading) {
                    return;
                }
            }
        }
        // Over TLS the bytes kept between reads are an incomplete record, and what is read goes
        // to the engine instead of the handler; the loop is the same.
        int reads = 0;
        while (readsSocket() && !closed) {
            // Again at each read: the first bytes a connection keeps give it its own PendingInput.
            PendingInput kept = tls == null ? input : tls.cipherIn;
            boolean discarding = lingering && (tls == null || tls.handshakeDone); // a handshake is read on: what was written waits for it
            boolean behindKept = !discarding && kept.holdsBuffer();
            if (behindKept && kept.length() == kept.capacity()
                    && !kept.grow(tls == null ? options.maxPending() : TlsLayer.MAX_KEPT_CIPHERTEXT)) {
                if (tls == null) {
                    inputTooLarge(input.length() + 1);
                } else {
                    tlsRecordTooLarge();
                }
                return;
            }
            // Kept bytes that leave the loop's read buffer more room than their own buffer has
            // go in front of the read there: a handler's partial message (over TLS, a partial
            // record) must not shrink every later read to what its small buffer has left.
            boolean composed = behindKept && kept.length() <= io.readBuffer.capacity() / 2
                    && kept.capacity() - kept.length() < io.readBuffer.capacity() - kept.length();
            if (composed) {
                MemorySegment.copy(kept.segment(), 0, io.readBuffer.segment, 0, kept.length());
            }
            MemorySegment target = behindKept && !composed ? kept.segment() : io.readBuffer.segment;
            long offset = behindKept ? kept.length() : 0;
            long room = target.byteSize() - offset;
            // The ring's buffer is read in place where nothing is kept in front of it: no copy.
            MemorySegment lent = receiving && !behindKept ? io.receiver.lendReceived(fd) : null;
            long n;
            if (lent != null) {
                n = lent.byteSize();
            } else {
                MemorySegment into = offset == 0 ? target : target.asSlice(offset);
                n = receiving ? io.receiver.receive(fd, into, room) : Platform.current().read(fd, into, room);
                if (n == -Err.EINTR) {
                    continue; // interrupted before reading anything: again (not a read of the budget)
                }
                if (n == -Err.EAGAIN) {
                    loop.clearReadiness(fd, Interest.READABLE);
                    return;
                }
                if (n < 0) {
                    // "read" on both engines (a ring's receive too), so that the same failure makes
                    // the same exception whichever engine the loop runs on.
                    finish(Errors.exception("read(fd " + fd + ", " + who() + ")", (int) -n), false);
                    return;
                }
                if (n == 0) {
                    if (tls == null) {
                        endOfStream();
                    } else {
                        tlsEndOfStream();
                    }
                    return;
                }
            }
            io.counts[LoopCounters.BYTES_IN] += n;
            bytesRead += n;
            if (idle != null) {
                idle.lastRead = System.nanoTime();
            }
            try {
                if (discarding) {
                    discarded += n;
                    if (discarded > options.lingerBytes()) {
                        finish(closeCause, false); // the bound is reached: the kernel may now reset
                        return;
                    }
                } else if (lent != null) {
                    received(lent, n);
                } else if (composed) {
                    kept.release(); // its bytes are in the read buffer now; what is left is kept anew
                    received(io.readBuffer.readOnly, offset + n);
                } else if (behindKept) {
                    kept.added(n);
                    received(kept.view(), kept.length());
                } else {
                    received(io.readBuffer.readOnly, n);
                }
            } finally {
                if (lent != null) {
                    // After its last read: the kernel may receive into it again as soon as it is
                    // back. What the handler left of it was copied into the connection's own buffer.
                    io.receiver.giveBackReceived(lent);
                }
            }
            if (closed) {
                return;
            }
            // A short read empties the socket, but not the ring's buffer it came from: more may
            // be stashed behind it (a multishot receive's), and the next read says so, or EAGAIN.
            if (n < room && !toTheEnd && !receiving) {
                loop.clearReadiness(fd, Interest.READABLE);
                return;
            }
            if (++reads == options.readBudget()) {
                // Fairness: the loop's other connections wait while this one reads. Leave the rest
                // to the next iteration, which gets the remembered readiness without a syscall.
                LOOPS.redeliver(loop, fd, Interest.READABLE);
                return;
            }
        }
    }

    private void received(MemorySegment view, long length) {
        if (tls == null) {
            deliver(view, length);
        } else {
            decrypt(view, length);
        }
    }

    final void deliver(MemorySegment view, long length) {
        offers++;
        long used;
        TlsLayer before = tls;
        delivering = true;
        try {
            used = handler.onData((Connection) this, view.asSlice(0, length));
        } catch (Throwable t) {
            delivering = false;
            handlerFailed("onData", t);
            return;
        }
        delivering = false;
        lastOfferTookNone = used == 0;
        if (closed || closing) {
            input.release(); // the handler no longer holds the view: now the buffer may go
            return;
        }
        if (used < 0 || used > length) {
            finish(new IOException("onData returned " + used + " of " + length + " bytes"), true);
        } else if (tls != before) {
            tlsTakesLeftover(view, used, length);
        } else if (length - used > options.maxPending()) {
            inputTooLarge(length - used);
        } else {
            (used == length ? input : ownInput()).keep(view, used, length);
        }
    }

    /**
     * An incomplete message outgrew the bound: the handler may answer (a protocol error), then
     * the connection closes lingering, so that the answer arrives before the peer is reset for
     * the bytes it is still sending.
     */
    final void inputTooLarge(long pending) {
        reading = false;
        try {
            handler.onInputTooLarge((Connection) this, pending);
        } catch (Throwable t) {
            handlerFailed("onInputTooLarge", t);
            return;
        }
        if (!closed) {
            closeLingeringAfterOverflow();
        }
    }

    /** TLS ({@code ConnectionTls}): runs ciphertext through the engine and hands the plaintext on. */
    abstract void decrypt(MemorySegment cipher, long length);

    /** TLS: the handler began it in onData (STARTTLS); {@code view[used, length)} is the peer's first TLS bytes. */
    abstract void tlsTakesLeftover(MemorySegment view, long used, long length);

    /** TLS: the kept ciphertext reached its bound without completing a record. */
    abstract void tlsRecordTooLarge();

    /** TLS: the peer's FIN. */
    abstract void tlsEndOfStream();

    /** TLS: the FIN came behind kept ciphertext, which may hold whole records. */
    abstract void tlsInputEndedWithKept();

    /** Decrypts and delivers what an earlier read kept while the handler was paused ({@code ConnectionTls}). */
    abstract void tlsRedeliver();

    /** {@code Connection.closeLingering()}, which lives further up. */
    abstract void closeLingeringAfterOverflow();

    final void endOfStream() {
        loop.clearReadiness(fd, Interest.READABLE);
        if (lingering) {
            lingering = false; // the peer is done: close once the queue is sent
            reading = false;
            updateInterest();
            if (queue.isEmpty()) {
                finish(closeCause, false);
            }
            return;
        }
        inputEnded = true;
        updateInterest();
        finishInput();
    }

    /**
     * The peer's stream has ended (FIN). Every whole message it sent before is still processed:
     * the kept bytes are offered until the handler takes no more of them (it pauses, or what is
     * left is an incomplete message). A pause, before or during this, defers the rest to
     * {@link #resumeReading()}, even with nothing kept. Then an
     * incomplete tail is dropped and the connection closes once its answers are sent, reporting
     * an {@link EOFException}; with nothing left the handler hears {@code onReadClosed}.
     */
    final void finishInput() {
        while (reading && !closed && !closing && !input.isEmpty()) {
            long before = input.length();
            deliver(input.view(), before);
            if (input.length() == before) {
                break; // nothing taken: the rest is an incomplete message
            }
        }
        if (closed || closing || !reading) {
            // Paused, with messages kept or not: the end waits for the resume as data does. A
            // handler pauses while an answer is under way (another thread's, a streamed body);
            // told now, its default close would end the connection before the answer exists.
            return;
        }
        inputFinished = true; // reported once, whatever pauses and resumes come after
        if (!input.isEmpty()) {
            long pending = input.length();
            input.release();
            closeAfterQueue(new EOFException("peer closed " + who() + " with " + pending
                    + " bytes of an incomplete message pending"));
            return;
        }
        try {
            handler.onReadClosed((Connection) this);
        } catch (Throwable t) {
            handlerFailed("onReadClosed", t);
        }
    }

    /** {@code Connection.close()} that reports {@code cause} once the queue is sent. */
    abstract void closeAfterQueue(IOException cause);
}
