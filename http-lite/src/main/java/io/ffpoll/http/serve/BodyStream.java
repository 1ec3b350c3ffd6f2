package io.ffpoll.http.serve;

import io.ffpoll.http.BodyProducer;
import io.ffpoll.multiplexer.net.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One streamed response body on its way out: pieces are pulled from the producer while the
 * connection is writable, framed as chunks, with a Content-Length, or up to the close. The
 * pull stops when the client falls behind (again once it has caught up: the owner calls
 * {@link #pump()} then) and when the producer has nothing yet (again once it runs its resume
 * handle, which hops onto the loop and calls {@code ready}). Loop thread only, except
 * {@link #resume()}.
 */
final class BodyStream {
    private static final Logger LOG = LoggerFactory.getLogger(BodyStream.class);
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Connection c;
    private final BodyProducer producer;
    private final ResponseWriter.Framing framing;
    private final long declared; // the Content-Length, for LENGTH
    private final Runnable ready; // the owner's pump, once the producer has more
    final int status; // the response's, for its line in the access log
    private final AtomicBoolean resumeQueued = new AtomicBoolean();
    private long sent;
    private boolean started;
    private boolean waiting; // the producer had nothing: no asking until it resumes
    private volatile boolean ended; // complete, failed or cancelled: the producer hears no more

    BodyStream(Connection c, int status, BodyProducer producer, ResponseWriter.Framing framing, long declared, Runnable ready) {
        this.c = c;
        this.status = status;
        this.producer = producer;
        this.framing = framing;
        this.declared = declared;
        this.ready = ready;
    }

    /**
     * Writes pieces while the connection is writable and the producer has them. Returns true
     * when the body is complete; false when it waits for the client or the producer, or the
     * connection ended (then {@link #cancel()} follows from the owner's onClosed).
     */
    boolean pump() {
        if (!started) {
            started = true;
            try {
                producer.start(this::resume);
            } catch (Throwable t) {
                return failed(t);
            }
        }
        while (!waiting && !ended && c.isOpen() && c.isWritable()) {
            byte[] piece;
            try {
                piece = producer.next();
            } catch (Throwable t) {
                return failed(t);
            }
            if (piece == null) {
                return finish();
            }
            if (piece.length == 0) {
                // Nothing yet: asking again at once would spin the loop (issue 19); the
                // producer's resume brings us back.
                waiting = true;
                return false;
            }
            sent += piece.length;
            if (framing == ResponseWriter.Framing.LENGTH && sent > declared) {
                fail("produced more than the declared " + declared + " bytes");
                return false;
            }
            if (framing == ResponseWriter.Framing.CHUNKED) {
                c.write((Integer.toHexString(piece.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                c.write(piece);
                c.write(ResponseWriter.CRLF);
            } else {
                c.write(piece);
            }
        }
        return false;
    }

    /** {@return the body's bytes written so far, without the chunks' framing} */
    long sent() {
        return sent;
    }

    /** The producer's resume handle: any thread; merged into one task on the loop. */
    private void resume() {
        if (ended || !resumeQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            c.loop().execute(this::resumed);
        } catch (RejectedExecutionException loopGone) {
            // the server stopped: the connection is closed already
        }
    }

    private void resumed() {
        resumeQueued.set(false); // first: a resume from now on queues another ask
        if (waiting && !ended) {
            waiting = false;
            ready.run();
        }
    }

    /** The client left or the connection closed before the body was complete: tell the producer, once. */
    void cancel() {
        if (ended) {
            return;
        }
        ended = true;
        try {
            producer.onCancel();
        } catch (Throwable t) {
            LOG.warn("the body producer for {} failed in onCancel", c.remoteAddress(), t);
        }
    }

    private boolean failed(Throwable t) {
        ended = true; // before the abort, whose onClosed would cancel: the producer knows it threw
        LOG.warn("the body producer for {} failed; aborting the response", c.remoteAddress(), t);
        c.abort();
        return false;
    }

    private boolean finish() {
        ended = true;
        if (framing == ResponseWriter.Framing.LENGTH && sent != declared) {
            fail("produced " + sent + " of the declared " + declared + " bytes");
            return false;
        }
        if (framing == ResponseWriter.Framing.CHUNKED) {
            c.write(LAST_CHUNK);
        }
        return true;
    }

    private void fail(String why) {
        ended = true;
        LOG.warn("the body producer for {} {}; aborting the response", c.remoteAddress(), why);
        c.abort(); // a wrong length would desynchronise the client: reset
    }
}
