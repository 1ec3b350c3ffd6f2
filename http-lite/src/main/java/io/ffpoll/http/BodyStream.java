package io.ffpoll.http;

import io.ffpoll.multiplexer.net.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * One streamed response body on its way out: pieces are pulled from the producer while the
 * connection is writable, framed as chunks, with a Content-Length, or up to the close, and the
 * pull resumes when the client has caught up. Loop thread only.
 */
final class BodyStream {
    private static final Logger LOG = LoggerFactory.getLogger(BodyStream.class);
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Connection c;
    private final BodyProducer producer;
    private final ResponseWriter.Framing framing;
    private final long declared; // the Content-Length, for LENGTH
    private long sent;

    BodyStream(Connection c, BodyProducer producer, ResponseWriter.Framing framing, long declared) {
        this.c = c;
        this.producer = producer;
        this.framing = framing;
        this.declared = declared;
    }

    /**
     * Writes pieces while the connection is writable. Returns true when the body is complete,
     * false when it waits for the client (call again once writable) or the connection ended.
     */
    boolean pump() {
        while (c.isOpen() && c.isWritable()) {
            byte[] piece;
            try {
                piece = producer.next();
            } catch (Throwable t) {
                LOG.warn("the body producer for {} failed; aborting the response", c.remoteAddress(), t);
                c.abort();
                return false;
            }
            if (piece == null) {
                return finish();
            }
            if (piece.length == 0) {
                continue;
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

    private boolean finish() {
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
        LOG.warn("the body producer for {} {}; aborting the response", c.remoteAddress(), why);
        c.abort(); // a wrong length would desynchronise the client: reset
    }
}
