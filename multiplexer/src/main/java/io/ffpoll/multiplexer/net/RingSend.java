package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.multiplexer.backend.Backend;

import java.io.IOException;

/**
 * A connection's sends on the loop's ring (io_uring): one send SQE at a time gathering a queue,
 * submitted by the loop's next poll. The queue is the connection's own on plain TCP, or its TLS
 * records ({@link TlsLayer#cipherOut}). The bytes stay queued (and count against the
 * watermarks) until the kernel says it took them, so none is gathered twice and none is freed
 * while the kernel reads it. Made on the connection's first ring flush. Loop thread only.
 */
final class RingSend implements Backend.SendCompletion {
    private final ConnectionWriting c;
    private final WriteQueue queue;
    private final boolean records; // TLS records: the TLS layer counts the plaintext they carry as sent
    private long handle = -1; // the send in flight, in the backend; -1 when none
    private Gather gather;    // what the kernel reads for it; null while the queue is empty
    private boolean zeroCopyRefused; // the socket failed a zero-copy send with EOPNOTSUPP

    RingSend(ConnectionWriting c, WriteQueue queue) {
        this.c = c;
        this.queue = queue;
        this.records = queue != c.queue;
    }

    /** Whether a send is in flight: its completion flushes on. */
    boolean inFlight() {
        return handle >= 0;
    }

    /** The queue drained by other means (a file's sendfile): an idle connection holds no gather. */
    void idle() {
        if (handle < 0 && gather != null) {
            c.io.giveBack(gather);
            gather = null;
        }
    }

    void flush() {
        if (handle >= 0) {
            return; // its completion comes back here
        }
        if (queue.isEmpty()) {
            if (!records) {
                c.afterDrained();
            }
            return;
        }
        if (gather == null) {
            gather = c.io.takeGather();
        }
        int count = queue.gather(gather);
        try {
            handle = c.io.sender.send(c.fd, gather, count, this);
        } catch (IOException e) {
            c.finish(e, false);
        }
    }

    /**
     * A TCP socket may take zero-copy sends; a Unix-domain one fails them with EOPNOTSUPP (so
     * might a socket opened on a TCP-looking address that is not one, which then copies).
     */
    @Override
    public boolean mayZeroCopy() {
        return !zeroCopyRefused && c.remote instanceof java.net.InetSocketAddress;
    }

    @Override
    public void zeroCopyRefused() {
        zeroCopyRefused = true;
    }

    /** The ring's send came back: {@code result} bytes sent, or -errno. */
    @Override
    public void completed(int result) {
        handle = -1;
        if (c.closed) {
            release(); // finish() left the chunks to this completion: the kernel is done with them now
            return;
        }
        if (result == -Err.EAGAIN || result == -Err.EINTR) {
            // Up to Linux 6.6 a send retried by an io-wq worker can end EAGAIN on a non-blocking
            // socket (and a refused zero-copy send ends so too); nothing was sent: send again.
            if (!records && c.tls != null) {
                idle(); // TLS (STARTTLS) took over: the send again is the TLS layer's
            }
            c.requestFlush();
            return;
        }
        if (result < 0) {
            c.ringSendFailed(result, records);
            return;
        }
        queue.sentBy(result);
        boolean drained = queue.isEmpty();
        if (records) {
            if (drained) {
                idle();
            }
            c.recordsSent(drained);
            return;
        }
        if (drained || c.tls != null) {
            // An idle connection holds no gather; nor does a plain send that TLS (STARTTLS)
            // took over from: the connection's sends are the TLS layer's from now on.
            idle();
        }
        c.sentSome();
        if (c.writableAgain()) {
            if (c.closed) {
                return;
            }
            // The handler heard it and may have written more, then closed or shut its output:
            // the queue it refilled goes out before the close or the FIN.
            drained = queue.isEmpty();
        }
        if (drained && c.tls == null) {
            c.afterDrained();
        } else {
            c.requestFlush();
        }
    }

    /**
     * The connection is finished: gives the queue's chunks back, or, while a send of them is in
     * flight, cancels it and leaves them to its completion.
     */
    void release() {
        if (handle >= 0) {
            try {
                c.io.sender.cancelSend(handle);
            } catch (IOException | RuntimeException e) {
                ConnectionState.LOG.debug("cancelling the send in flight of {} failed: {}", c.who(), e.toString());
            }
            return;
        }
        queue.clear();
        if (gather != null) {
            c.io.giveBack(gather);
            gather = null;
        }
    }
}
