package io.ffpoll.http;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * An immutable response: status, headers and body, with the header block encoded once when it
 * is built. A handler that returns the same Response every time (a constant) makes serving it
 * allocation-free. The server adds {@code Server}, {@code Date} and, when it closes the
 * connection, {@code Connection: close}.
 */
public final class Response {
    final int status;
    final byte[] headers;  // "Name: value\r\n"..., including Content-Length or Transfer-Encoding
    final byte[] body;     // null when chunks is set
    final List<byte[]> chunks;

    private Response(int status, byte[] headers, byte[] body, List<byte[]> chunks) {
        this.status = status;
        this.headers = headers;
        this.body = body;
        this.chunks = chunks;
    }

    private static void checkStatus(int status) {
        if (!HttpStatus.isValid(status)) {
            throw new IllegalArgumentException("status must be 100..599, got " + status);
        }
    }

    /** A response with a body of known length (Content-Length framing). */
    public static Response of(int status, String contentType, byte[] body) {
        checkStatus(status);
        String h = (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                + "Content-Length: " + body.length + "\r\n";
        return new Response(status, ascii(h), body.clone(), null);
    }

    public static Response text(int status, String text) {
        return of(status, "text/plain", text.getBytes(StandardCharsets.UTF_8));
    }

    public static Response json(int status, String json) {
        return of(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /** A streamed response: each part is sent as one chunk (Transfer-Encoding: chunked). */
    public static Response chunked(int status, String contentType, List<byte[]> parts) {
        checkStatus(status);
        String h = (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                + "Transfer-Encoding: chunked\r\n";
        return new Response(status, ascii(h), null, List.copyOf(parts.stream().map(byte[]::clone).toList()));
    }

    /** This response with one more header. Rejects names that are not tokens and values with CR or LF. */
    public Response withHeader(String name, String value) {
        if (name.isEmpty() || !name.chars().allMatch(c -> c < 128 && isTchar((char) c))) {
            throw new IllegalArgumentException("invalid header name '" + name + "'");
        }
        if (value.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
            throw new IllegalArgumentException("header value contains CR, LF or NUL");
        }
        byte[] extra = ascii(name + ": " + value + "\r\n");
        byte[] h = new byte[headers.length + extra.length];
        System.arraycopy(extra, 0, h, 0, extra.length);
        System.arraycopy(headers, 0, h, extra.length, headers.length);
        return new Response(status, h, body, chunks);
    }

    private static boolean isTchar(char c) {
        return Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
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
