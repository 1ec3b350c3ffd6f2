package io.ffpoll.http;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An immutable response: status, header fields and body, with the fields encoded once when it
 * is built. A handler that returns the same Response every time (a constant) makes serving it
 * allocation-free.
 *
 * <p>Framing is the server's alone: it adds {@code Content-Length} or
 * {@code Transfer-Encoding}, {@code Connection}, {@code Date} and {@code Server}, and a handler
 * cannot set them. 204 and 304 responses carry no body and no Content-Length (RFC 9110 6.4.1,
 * 8.6), whatever body they were given; HEAD gets the head without the body. 1xx statuses are
 * interim and sent by the server itself (100 Continue), so a handler cannot return one.
 */
public final class Response {
    // Fields the server owns: framing (a second Content-Length is response splitting) and the
    // connection-level ones it manages itself (RFC 9110 7.6.1).
    private static final Set<String> RESERVED = Set.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "date", "server");

    final int status;
    final byte[] fields;  // "Name: value\r\n"..., the handler's
    final byte[] body;    // null when chunks is set
    final List<byte[]> chunks;
    final long length;    // of the body (all chunks)
    final byte[] lengthField;  // "Content-Length: N\r\n", or empty where no body may be sent

    private Response(int status, byte[] fields, byte[] body, List<byte[]> chunks) {
        this.status = status;
        this.fields = fields;
        this.body = body;
        this.chunks = chunks;
        long n = 0;
        if (body != null) {
            n = body.length;
        } else {
            for (byte[] c : chunks) {
                n += c.length;
            }
        }
        this.length = n;
        this.lengthField = hasContent() ? ascii("Content-Length: " + n + "\r\n") : new byte[0];
    }

    private static void checkStatus(int status) {
        if (status < 200 || status > 599) {
            throw new IllegalArgumentException("status must be 200..599 (1xx are sent by the server itself), got " + status);
        }
    }

    /** False for 204 and 304: such a response has no body, and says nothing of its length. */
    boolean hasContent() {
        return status != 204 && status != 304;
    }

    private static byte[] contentType(String contentType) {
        if (contentType == null) {
            return new byte[0];
        }
        checkValue("Content-Type", contentType);
        return ascii("Content-Type: " + contentType.strip() + "\r\n");
    }

    /** A response with a body of known length (Content-Length framing). */
    public static Response of(int status, String contentType, byte[] body) {
        checkStatus(status);
        return new Response(status, contentType(contentType), body.clone(), null);
    }

    /** A text body, encoded as UTF-8 ({@code text/plain; charset=utf-8}). */
    public static Response text(int status, String text) {
        return of(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    /** A JSON body, encoded as UTF-8 ({@code application/json}). */
    public static Response json(int status, String json) {
        return of(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A streamed response: each part is sent as one chunk (Transfer-Encoding: chunked); an
     * HTTP/1.0 client, which has no chunked coding, gets the parts as one body with its length.
     */
    public static Response chunked(int status, String contentType, List<byte[]> parts) {
        checkStatus(status);
        return new Response(status, contentType(contentType), null, List.copyOf(parts.stream().map(byte[]::clone).toList()));
    }

    /**
     * This response with one more header field. The name must be a token and not one the
     * server owns (Content-Length, Transfer-Encoding, Connection, Keep-Alive, TE, Trailer,
     * Upgrade, Date, Server); the value may not contain control characters other than HTAB
     * (no CR, LF or NUL) or characters beyond ISO-8859-1, and is sent without surrounding
     * whitespace.
     */
    public Response withHeader(String name, String value) {
        if (name.isEmpty() || !name.chars().allMatch(c -> c < 128 && Grammar.TCHAR[c])) {
            throw new IllegalArgumentException("invalid header name '" + name + "'");
        }
        if (RESERVED.contains(name.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException(name + " is set by the server, not by handlers");
        }
        checkValue(name, value);
        byte[] extra = ascii(name + ": " + value.strip() + "\r\n");
        byte[] f = new byte[fields.length + extra.length];
        System.arraycopy(fields, 0, f, 0, fields.length);
        System.arraycopy(extra, 0, f, fields.length, extra.length);
        return new Response(status, f, body, chunks);
    }

    private static void checkValue(String name, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7F || c > 0xFF) {
                throw new IllegalArgumentException("the value of " + name + " has a character not allowed in a field value: U+"
                        + String.format("%04X", (int) c));
            }
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    public int status() {
        return status;
    }

    @Override
    public String toString() {
        return "Response[" + status + " " + HttpStatus.reason(status) + "]";
    }
}
