package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.internal.LoopFuture;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The writing half of a {@link Connection}: copies writes into the pooled queue, sends it with
 * one gathering sendmsg per iteration (or when the socket turns writable again), tells the
 * handler when the queue crosses the watermarks, and sends FIN when output is shut down or a
 * lingering close begins. Loop thread only.
 */
abstract sealed class ConnectionWriting extends ConnectionReading permits ConnectionTls {
    private static final long DIRECT_WRITE_THRESHOLD = WriteQueue.CHUNK;

    private RingSend ringSend; // io_uring: from the first flush of a connection whose sends the ring makes

    ConnectionWriting(EventLoop loop, int fd, java.net.SocketAddress remote, ConnectionHandler handler) {
        super(loop, fd, remote, handler);
    }

    /** Whether writes are taken: not once closing, closed or shut down for output. */
    final boolean acceptsWrites() {
        return !closed && !closing && !outputShutdownRequested;
    }

    /**
     * Whether the queue takes another write under its hard cap ({@code setMaxQueued}): not once
     * it holds the cap. Then the write is refused, or the connection aborted, as the policy
     * says: a peer that reads nothing must not make the queue grow without bound. A write to a
     * queue below the cap is taken whole, however large: what the caller chose to write at once
     * is its own memory, and a response must not be cut.
     */
    private boolean takesWrite() {
        if (queue.bytes() < options.maxQueued()) {
            return true;
        }
        if (options.overflow() == Connection.Overflow.CLOSE) {
            finish(queueFull(), true);
        }
        return false;
    }

    final WriteQueueFullException queueFull() {
        return new WriteQueueFullException("the write queue of " + who() + " holds " + queue.bytes()
                + " bytes, its cap is " + options.maxQueued());
    }

    /**
     * Queues {@code bytes[offset, offset + length)}, sent by the end of this iteration. Returns
     * false, and drops the bytes, if the connection no longer takes writes (closing, closed or
     * shut down for output): the handler hears why once, in
     * {@link ConnectionHandler#onClosed}, so call sites need no error handling. Also false if
     * the queue holds its cap already ({@code setMaxQueued}): then nothing is queued, and with
     * {@link Connection.Overflow#CLOSE} (the default) the connection is aborted (its
     * {@code onClosed} runs before this returns). Loop thread only; from another thread it throws {@link WrongThreadException}
     * and changes nothing (use {@code writeAsync} there).
     *
     * @param bytes the bytes
     * @param offset where the bytes start
     * @param length the length in bytes
     * @return true if queued, false if the connection no longer takes writes
     */
    public final boolean write(byte[] bytes, int offset, int length) {
        checkLoop("write");
        Objects.checkFromIndexSize(offset, length, bytes.length);
        if (!acceptsWrites() || !takesWrite()) {
            return false;
        }
        queue.append(bytes, offset, length);
        queued();
        return true;
    }

    /**
     * {@link #write(byte[], int, int)} of all of {@code bytes}.
     *
     * @param bytes the bytes
     * @return true if queued, false if the connection no longer takes writes
     */
    public final boolean write(byte[] bytes) {
        return write(bytes, 0, bytes.length);
    }

    /**
     * Queues the buffer's remaining bytes and advances its position past them; false (the
     * position unchanged) if the connection no longer takes writes.
     *
     * @param buffer the buffer
     * @return true if queued, false if the connection no longer takes writes
     */
    public final boolean write(ByteBuffer buffer) {
        checkLoop("write");
        int n = buffer.remaining();
        if (!acceptsWrites() || !takesWrite()) {
            return false;
        }
        if (buffer.hasArray()) {
            queue.append(buffer.array(), buffer.arrayOffset() + buffer.position(), n);
        } else {
            queue.append(MemorySegment.ofBuffer(buffer), 0, n);
        }
        buffer.position(buffer.position() + n);
        queued();
        return true;
    }

    /**
     * Queues {@code data}; the caller may reuse it when this returns. False if the connection
     * no longer takes writes (see {@link #write(byte[], int, int)}).
     *
     * @param data the bytes
     * @return true if queued, false if the connection no longer takes writes
     */
    public final boolean write(MemorySegment data) {
        checkLoop("write");
        if (!acceptsWrites() || !takesWrite()) {
            return false;
        }
        long length = data.byteSize();
        if (length >= DIRECT_WRITE_THRESHOLD && data.isNative() && queue.isEmpty() && connected
                && !waitingForWritable && tls == null && !ringSends()) {
            // Large and nothing queued: try the socket first; copy only what it does not take.
            long n;
            do {
                n = notSocket ? Platform.current().write(fd, data, length) // send would say ENOTSOCK
                        : Platform.current().send(fd, data, length, false);
            } while (n == -Err.EINTR); // a signal came first: nothing was sent (SA_RESTART aside)
            if (n < 0 && n != -Err.EAGAIN) {
                finish(Errors.exception((notSocket ? "write(fd " : "send(fd ") + fd + ", " + who() + ")", (int) -n), false);
                return false;
            }
            long sent = Math.max(n, 0);
            queue.sentDirectly(sent);
            if (sent > 0) {
                sentSome();
            }
            if (sent == length) {
                return true;
            }
            queue.append(data, sent, length - sent);
            waitForWritable(); // the socket took less than offered: it is full
            queued();
            return true;
        }
        queue.append(data, 0, length);
        queued();
        return true;
    }

    /**
     * Queues {@code count} bytes of {@code file} from {@code position}, sent after what was
     * written before and before what is written after, and counted against the watermarks and
     * {@link Connection#queuedBytes()} like written bytes, though they take no memory while
     * they wait. On Linux a plain TCP or Unix stream connection sends them with sendfile(2),
     * straight from the page cache, on either engine; TLS, a descriptor that is not a socket,
     * and the BSDs (whose sendfile is not bound yet) read them into a pooled chunk a piece at
     * a time instead. A slow reader of a large file thus holds the file open and no buffer.
     *
     * <p>The connection holds the file open until the bytes are sent or the connection ends, so
     * the caller may {@link OpenFile#close()} it as soon as this returns. A file that no longer
     * has the bytes when they are due (it shrank) ends the connection with an IOException:
     * the peer must never get fewer bytes than a response announced followed by others.
     * Returns false as {@link #write(byte[], int, int)} does. Loop thread only. Sendfile reads
     * the page cache on the loop thread: a file that is not cached blocks the loop while the
     * disk reads it, as it does in nginx without its thread pools.
     *
     * @param file an open regular file
     * @param position where in the file to start
     * @param count how many bytes
     * @return true if queued, false if the connection no longer takes writes
     * @throws IllegalArgumentException if the file is not a regular file
     * @throws IndexOutOfBoundsException if the range is not inside the size the file had when opened
     * @throws IllegalStateException if the file was closed already
     */
    public final boolean sendFile(OpenFile file, long position, long count) {
        checkLoop("sendFile");
        if (!file.isRegularFile()) {
            throw new IllegalArgumentException(file + " is not a regular file");
        }
        Objects.checkFromIndexSize(position, count, file.size());
        if (!acceptsWrites() || !takesWrite()) {
            return false;
        }
        if (count == 0) {
            return true;
        }
        if (file.isClosed() || !file.hold()) {
            throw new IllegalStateException(file + " is closed");
        }
        queue.appendFile(file, position, count);
        queued();
        return true;
    }

    /**
     * Sends FIN once the queued bytes are sent; reading goes on, further writes return false.
     * False if the connection was already closing, closed or shut down for output. Both
     * directions ended do not close the connection: a handler that answers the peer's end
     * ({@link ConnectionHandler#onReadClosed}) with this instead of the default {@link Connection#close()}
     * closes it itself when it is done, as with Netty's half-closure allowed.
     *
     * @return false if the connection already took no writes
     */
    public final boolean shutdownOutput() {
        checkLoop("shutdownOutput");
        if (!acceptsWrites()) {
            return false;
        }
        outputShutdownRequested = true;
        if (queue.isEmpty() && connected) {
            afterDrained();
        }
        return true;
    }

    /** Sends what is queued now instead of at the end of the iteration. */
    public final void flush() {
        checkLoop("flush");
        if (!closed && connected && !waitingForWritable) {
            flushNow();
        }
    }

    /**
     * After a send: once the queue is back at the low watermark the connection is writable
     * again, and the handler hears it.
     *
     * @return whether it did (its handler may have written more, or closed the connection)
     */
    final boolean writableAgain() {
        if (writable || queue.bytes() > options.lowWatermark()) {
            return false;
        }
        writable = true;
        writabilityChanged(true);
        return true;
    }

    /** The socket took bytes: complete the writes waiting for them, note the activity. */
    final void sentSome() {
        if (flushWaiters != null) {
            flushWaiters.sent(queue.sent());
        }
        if (idle != null) {
            idle.lastWrite = System.nanoTime();
        }
    }

    /**
     * A future completed once the socket has taken everything written so far ("flushed up to
     * here"), or failed with {@code cause} if the connection ends first; done already when
     * nothing is queued.
     */
    final CompletableFuture<Void> flushed() {
        CompletableFuture<Void> f = new LoopFuture<>(loop);
        if (queue.isEmpty()) {
            f.complete(null);
            return f;
        }
        if (flushWaiters == null) {
            flushWaiters = new FlushWaiters(this);
        }
        flushWaiters.add(queue.sent() + queue.bytes(), f);
        return f;
    }

    final void waitForWritable() {
        loop.clearReadiness(fd, Interest.WRITABLE);
        if (!waitingForWritable) {
            waitingForWritable = true;
            updateInterest();
        }
    }

    private void queued() {
        if (writable && queue.bytes() > options.highWatermark()) {
            writable = false;
            writabilityChanged(false);
        }
        requestFlush();
    }

    final void writabilityChanged(boolean now) {
        ConnectionEvents.writabilityChanged(this, now);
        try {
            handler.onWritabilityChanged((Connection) this, now);
        } catch (Throwable t) {
            handlerFailed("onWritabilityChanged", t);
        }
    }

    final void requestFlush() {
        if (!flushRequested && connected && !waitingForWritable && !closed) {
            flushRequested = true;
            io.requestFlush((Connection) this);
        }
    }

    final void flushAtEndOfIteration() {
        flushRequested = false;
        flush();
    }

    final void flushNow() {
        if (tls != null) {
            if (ringSendInFlight()) {
                return; // TLS began (STARTTLS) behind a ring send: its completion flushes on
            }
            tlsFlushNow();
            return;
        }
        if (ringSends()) {
            if (ringSend == null) {
                ringSend = new RingSend(this, queue);
            }
            if (ringSend.inFlight() || !queue.headIsFile()) {
                if (waitingForWritable) {
                    // A file's sendfile filled the socket; the ring's send waits in the kernel instead.
                    waitingForWritable = false;
                    updateInterest();
                }
                ringSend.flush();
                return;
            }
            // A file is next: the ring has no sendfile, so the syscall sends it (and what follows
            // it in this flush), with no ring send in flight to overlap.
        }
        boolean full = false;
        while (true) {
            while (!queue.isEmpty()) {
                long n = queue.send(fd, io.gather, notSocket);
                if (n == -Err.EINTR) {
                    continue; // interrupted before sending anything: again
                }
                if (n == -Err.EAGAIN) {
                    full = true;
                    break;
                }
                if (n == WriteQueue.FILE_FAILED) {
                    finish(queue.fileFailure(), false);
                    return;
                }
                if (n < 0) {
                    finish(Errors.exception(queue.lastCall(notSocket) + "(fd " + fd + ", " + who() + ")", (int) -n), false);
                    return;
                }
                sentSome();
                if (n < queue.gatheredBytes() && queue.shortSendMeansFull()) {
                    full = true; // the socket took less than offered: do not ask again just for EAGAIN
                    break;
                }
            }
            if (writableAgain()) {
                if (closed) {
                    return;
                }
                if (tls != null) {
                    tlsFlushNow(); // the handler began TLS (STARTTLS) in onWritabilityChanged
                    return;
                }
                if (!full && !queue.isEmpty()) {
                    // The producer wrote more and the socket still has room. Waiting for an edge
                    // here would wait forever: the socket never stopped being writable.
                    continue;
                }
            }
            break;
        }
        if (!queue.isEmpty()) {
            waitForWritable();
            return;
        }
        if (waitingForWritable) {
            waitingForWritable = false;
            updateInterest();
        }
        if (ringSend != null) {
            ringSend.idle();
        }
        afterDrained();
    }

    /**
     * Whether the loop's ring makes this connection's sends of its plain queue (io_uring): on a
     * socket, without TLS. Non-sockets keep the writev syscalls, on readiness.
     */
    private boolean ringSends() {
        return io.sender != null && tls == null && !notSocket;
    }

    /** Whether the loop's ring makes this connection's sends of TLS records (io_uring): on a socket. */
    final boolean ringSendsRecords() {
        return io.sender != null && !notSocket;
    }

    /**
     * The connection is finished: gives the queue's chunks back, or, while the ring has a send
     * of them in flight, cancels it and leaves them to its completion ({@link RingSend}).
     */
    final void releaseQueue() {
        if (ringSend != null) {
            ringSend.release();
        } else {
            queue.clear();
        }
    }

    /** Whether the loop's ring has a send of this connection's queue in flight (io_uring). */
    final boolean ringSendInFlight() {
        return ringSend != null && ringSend.inFlight();
    }

    /** The TLS send path ({@code ConnectionTlsSending}): records out, plaintext counted sent with them. */
    abstract void tlsFlushNow();

    /** TLS: the ring's send of records came back; {@code drained}: all of them are out ({@code ConnectionTlsSending}). */
    abstract void recordsSent(boolean drained);

    /** TLS: a send of records failed with {@code -errno}, by the ring or the syscall ({@code ConnectionTlsSending}). */
    abstract void recordsFailed(long result);

    /** The ring's send failed with {@code -errno}: of the plain queue, or of TLS records. */
    final void ringSendFailed(int result, boolean records) {
        if (records) {
            recordsFailed(result);
        } else {
            finish(Errors.exception("sendmsg(fd " + fd + ", " + who() + ")", -result), false);
        }
    }

    /**
     * TLS: queues close_notify and flushes it when a close or half-close is due, or holds a
     * half-close back until the handshake is done; false when nothing was due (plain TCP).
     */
    abstract boolean tlsCloseNotify();

    /** Everything queued is sent: finish a close, or send the FIN that was asked for. */
    final void afterDrained() {
        if ((closing || outputShutdownRequested || lingering) && !outputShut && tlsCloseNotify()) {
            return; // close_notify goes first; its flush comes back here
        }
        if (closing && !lingering) {
            finish(closeCause, false);
        } else if ((outputShutdownRequested || lingering) && !outputShut) {
            outputShut = true;
            if (notSocket) {
                // No FIN without a socket: a write-only descriptor (a pipe's write end) ends its
                // stream by closing, which is all that is left of the connection; one open for
                // reading too (a terminal) cannot end its output alone, and stays open.
                if (writeOnly) {
                    finish(null, false);
                }
                return;
            }
            int r = Platform.current().shutdownOutput(fd);
            if (r < 0 && r != -Err.ENOTCONN) {
                finish(Errors.exception("shutdown(fd " + fd + ", SHUT_WR)", -r), false);
            } else if (lingering || lingeringAfterTlsClose) {
                lingerFromNow(); // the peer gets the whole linger time from the FIN on
            }
        }
    }

    /** The FIN of a TLS close is out: the wait for the peer's end is bounded from here by the linger time. */
    abstract void lingerFromNow();
}
