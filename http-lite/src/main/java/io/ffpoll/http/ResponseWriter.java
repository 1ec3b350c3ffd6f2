package io.ffpoll.http;

import io.ffpoll.multiplexer.net.Connection;

import java.nio.charset.StandardCharsets;

/**
 * Writes a {@link Response} onto a connection with the framing this request calls for:
 * status line, Server, Date, the handler's fields, Content-Length or chunked (or, for HTTP/1.0,
 * the length of all chunks), the Connection field where it is not the default, and the body
 * unless the request was HEAD or the status has none. Whole keep-alive HTTP/1.1 responses with
 * a fixed body are encoded once per second and written with one copy ({@link EncodedResponses}).
 */
final class ResponseWriter {
    static final byte[] SERVER = "Server: ffpoll-http-lite\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE = "Connection: close\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEEP_ALIVE = "Connection: keep-alive\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHUNKED = "Transfer-Encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private ResponseWriter() {}

    /** Writes {@code r}; returns false if the connection was closed meanwhile (nothing to answer). */
    static boolean write(Connection c, LoopState loop, Response r, boolean keepAlive, boolean http11, boolean head) {
        if (keepAlive && http11 && !head && r.body != null) {
            return c.write(loop.encoded.get(r, loop.date.line())); // the common case in one piece
        }
        boolean ok = true;
        ok &= c.write(HttpStatus.line(r.status));
        ok &= c.write(SERVER);
        ok &= c.write(loop.date.line());
        ok &= c.write(r.fields);
        boolean chunkedOnTheWire = r.chunks != null && http11 && r.hasContent();
        ok &= c.write(chunkedOnTheWire ? CHUNKED : r.lengthField);
        if (!keepAlive) {
            ok &= c.write(CLOSE);
        } else if (!http11) {
            ok &= c.write(KEEP_ALIVE);
        }
        ok &= c.write(CRLF);
        if (head || !r.hasContent()) {
            return ok;
        }
        if (r.body != null) {
            ok &= c.write(r.body);
        } else {
            for (byte[] part : r.chunks) {
                if (!chunkedOnTheWire) {
                    ok &= c.write(part);
                } else if (part.length > 0) {
                    ok &= c.write((Integer.toHexString(part.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    ok &= c.write(part);
                    ok &= c.write(CRLF);
                }
            }
            if (chunkedOnTheWire) {
                ok &= c.write(LAST_CHUNK);
            }
        }
        return ok; // false: the peer went away meanwhile
    }

    /** Writes {@code bytes} unless the connection is closed already. */
    static void writeRaw(Connection c, byte[] bytes) {
        c.write(bytes); // false: closed, nothing to answer
    }
}
