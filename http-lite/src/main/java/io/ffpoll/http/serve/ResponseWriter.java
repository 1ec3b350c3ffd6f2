package io.ffpoll.http.serve;

import io.ffpoll.http.Response;
import io.ffpoll.http.internal.HttpAccess;
import io.ffpoll.multiplexer.net.Connection;

import java.nio.charset.StandardCharsets;

/**
 * Writes a {@link Response} onto a connection with the framing this request calls for:
 * status line, Server, Date, the handler's fields, Content-Length or chunked (or, for an
 * HTTP/1.0 client, the length, or the connection's close), the Connection field where it is
 * not the default, and the body unless the request was HEAD or the status has none. Whole
 * keep-alive HTTP/1.1 responses with a fixed body are encoded once per second and written
 * with one copy ({@link EncodedResponses}); streamed bodies go through a {@link BodyStream}.
 */
final class ResponseWriter {
    private static final HttpAccess HTTP = HttpAccess.get();
    // Short: it goes out with every response (a pipelined batch of 16 carries it 16 times).
    static final byte[] SERVER = "Server: ffpoll\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE = "Connection: close\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEEP_ALIVE = "Connection: keep-alive\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHUNKED = "Transfer-Encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    static final byte[] CRLF = {'\r', '\n'};
    static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private ResponseWriter() {}

    /** How a streamed body goes on the wire. */
    enum Framing { NONE, LENGTH, CHUNKED, UNTIL_CLOSE }

    /** The framing of {@code r}'s body for this request (NONE: no body is sent). */
    static Framing framing(Response r, boolean http11, boolean head) {
        if (head || !HTTP.hasContent(r)) {
            return Framing.NONE;
        }
        if (http11 && (HTTP.chunkedOn11(r) || HTTP.length(r) < 0)) {
            return Framing.CHUNKED;
        }
        return HTTP.length(r) >= 0 ? Framing.LENGTH : Framing.UNTIL_CLOSE;
    }

    /**
     * Writes {@code r} with a fixed body, or the head of a streamed one; returns false if the
     * connection was closed meanwhile (nothing to answer). A body delimited by the close
     * forces {@code keepAlive} off: the caller reads that from {@link #keeps}.
     */
    static boolean write(Connection c, LoopState loop, Response r, boolean keepAlive, boolean http11, boolean head) {
        if (keepAlive && http11 && !head && HTTP.body(r) != null) {
            return c.write(loop.encoded.get(r, loop.date.line(loop.now()))); // the common case in one piece
        }
        Framing framing = HTTP.body(r) != null ? (head || !HTTP.hasContent(r) ? Framing.NONE : Framing.LENGTH)
                : framing(r, http11, head);
        boolean keep = keeps(keepAlive, framing);
        boolean ok = c.write(HttpStatus.line(r.status()));
        ok &= c.write(SERVER);
        ok &= c.write(loop.date.line(loop.now()));
        ok &= c.write(HTTP.fields(r));
        // HEAD gets the framing fields a GET would have (RFC 9110 9.3.2), where they are known.
        boolean chunked = framing == Framing.CHUNKED || head && HTTP.source(r) != null && http11 && HTTP.hasContent(r)
                && (HTTP.chunkedOn11(r) || HTTP.length(r) < 0);
        ok &= c.write(chunked ? CHUNKED : HTTP.lengthField(r));
        if (!keep) {
            ok &= c.write(CLOSE);
        } else if (!http11) {
            ok &= c.write(KEEP_ALIVE);
        }
        ok &= c.write(CRLF);
        if (HTTP.body(r) != null && framing != Framing.NONE) {
            ok &= c.write(HTTP.body(r));
        }
        if (HTTP.file(r) != null) {
            try {
                if (ok && framing != Framing.NONE) {
                    ok = c.sendFile(HTTP.file(r), HTTP.filePosition(r), HTTP.length(r));
                }
            } finally {
                HTTP.file(r).close(); // the connection holds it while it sends
            }
        }
        return ok; // false: the peer went away meanwhile
    }

    /** Whether the connection stays open after a response framed so. */
    static boolean keeps(boolean keepAlive, Framing framing) {
        return keepAlive && framing != Framing.UNTIL_CLOSE;
    }

    /** Writes {@code bytes} unless the connection is closed already. */
    static void writeRaw(Connection c, byte[] bytes) {
        c.write(bytes); // false: closed, nothing to answer
    }
}
