package io.ffpoll.http;

import io.ffpoll.http.parse.Grammar;
import io.ffpoll.http.serve.Compression;
import io.ffpoll.http.serve.HttpStatus;
import io.ffpoll.multiplexer.net.OpenFile;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

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
    private static final byte[] GZIP_FIELDS = "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] VARY = "Vary: Accept-Encoding\r\n".getBytes(StandardCharsets.US_ASCII);
    // Fields the server owns: framing (a second Content-Length is response splitting) and the
    // connection-level ones it manages itself (RFC 9110 7.6.1).
    private static final Set<String> RESERVED = Set.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "date", "server");

    final int status;
    final byte[] fields;  // "Name: value\r\n"..., the handler's
    final byte[] body;    // a fixed body, or null for a streamed one
    final Supplier<BodyProducer> source; // a streamed body: a fresh producer for each time it is sent
    final long length;    // of the body; -1 when a streamed body's length is not known
    final boolean chunkedOn11; // streamed chunked to HTTP/1.1 clients even when the length is known
    final byte[] lengthField;  // "Content-Length: N\r\n", or empty where no body may be sent or the length is unknown
    final OpenFile file;       // a file's bytes as the body ({@link #file}), or null
    final long filePosition;
    final String type;         // the Content-Type, or null
    final boolean encoded;     // a Content-Encoding, ETag, Content-Range or no-transform was set: never compressed
    // This response as gzip, and as identity with Vary, made on first need: a constant
    // response is compressed once. Racy but benign: both makers make equal responses.
    private Response gzipped;
    private int gzippedLevel;
    private Response varied;

    private Response(int status, String type, byte[] body, Supplier<BodyProducer> source, long length,
                     boolean chunkedOn11) {
        this(status, contentType(type), body, source, length, chunkedOn11, null, 0, type == null ? null : type.strip(), false);
    }

    private Response(int status, byte[] fields, byte[] body, Supplier<BodyProducer> source, long length,
                     boolean chunkedOn11, OpenFile file, long filePosition, String type, boolean encoded) {
        this.file = file;
        this.filePosition = filePosition;
        this.type = type;
        this.encoded = encoded;
        this.status = status;
        this.fields = fields;
        this.body = body;
        this.source = source;
        this.length = body != null ? body.length : length;
        this.chunkedOn11 = chunkedOn11;
        this.lengthField = hasContent() && this.length >= 0 ? ascii("Content-Length: " + this.length + "\r\n") : new byte[0];
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

    /**
     * A response with a body of known length (Content-Length framing).
     *
     * @param status the status code, 200..599
     * @param contentType the Content-Type, or null for none
     * @param body the body; empty for none (a 204 or 304 must have none)
     * @return the response
     * @throws NullPointerException if {@code body} is null
     */
    public static Response of(int status, String contentType, byte[] body) {
        checkStatus(status);
        java.util.Objects.requireNonNull(body, "body: an empty array for a response without one");
        return new Response(status, contentType, body.clone(), null, -1, false);
    }

    /**
     * A text body, encoded as UTF-8 ({@code text/plain; charset=utf-8}).
     *
     * @param status the status code, 200..599
     * @param text the text
     * @return the response
     */
    public static Response text(int status, String text) {
        return of(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A JSON body, encoded as UTF-8 ({@code application/json}).
     *
     * @param status the status code, 200..599
     * @param json the JSON text
     * @return the response
     */
    public static Response json(int status, String json) {
        return of(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A response of parts, each sent as one chunk (Transfer-Encoding: chunked); an HTTP/1.0
     * client, which has no chunked coding, gets the parts as one body with its length.
     *
     * @param status      200..599
     * @param contentType the Content-Type, or null for none
     * @param parts       the body's parts, copied
     * @return the response
     */
    public static Response chunked(int status, String contentType, List<byte[]> parts) {
        checkStatus(status);
        List<byte[]> copy = List.copyOf(parts.stream().map(byte[]::clone).toList());
        long length = copy.stream().mapToLong(p -> p.length).sum();
        return new Response(status, contentType, null, () -> {
            java.util.Iterator<byte[]> it = copy.iterator();
            return () -> it.hasNext() ? it.next() : null;
        }, length, true);
    }

    /**
     * A body produced piece by piece while it is sent, with back-pressure: the server asks the
     * producer for the next piece only while the client keeps up (the connection's write queue
     * is below its high watermark), so a large body never sits in memory whole. HTTP/1.1
     * clients get it chunked; an HTTP/1.0 client gets it delimited by the connection's close.
     * {@code body} makes a fresh producer each time the response is sent, so the Response may
     * be a constant. The producer runs on the connection's loop thread and must not block. If
     * it throws, the connection is aborted (the status line is gone already). A producer whose
     * data comes from elsewhere returns an empty piece when it has nothing yet and runs its
     * resume handle, from any thread, when it has more; it is told if the client leaves
     * first ({@link BodyProducer}). Meanwhile the connection answers no further request and
     * the loop serves its other connections.
     *
     * @param status      200..599
     * @param contentType the Content-Type, or null for none
     * @param body        makes the producer for one sending
     * @return the response
     */
    public static Response stream(int status, String contentType, Supplier<BodyProducer> body) {
        checkStatus(status);
        return new Response(status, contentType, null, java.util.Objects.requireNonNull(body, "body"), -1, true);
    }

    /**
     * {@link #stream(int, String, Supplier)} of a body whose length is known: sent with that
     * Content-Length, unchunked. A producer that yields more or fewer bytes aborts the
     * connection.
     *
     * @param status      200..599
     * @param contentType the Content-Type, or null for none
     * @param length      the body's length in bytes
     * @param body        makes the producer for one sending
     * @return the response
     */
    public static Response stream(int status, String contentType, long length, Supplier<BodyProducer> body) {
        checkStatus(status);
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        return new Response(status, contentType, null, java.util.Objects.requireNonNull(body, "body"), length, false);
    }

    /**
     * A body of {@code count} bytes of {@code file} from {@code position}, sent with
     * {@code Connection.sendFile} (sendfile(2) where it serves) and Content-Length framing. The
     * response owns the file: the server closes it once it is handed to the connection, or
     * not needed (HEAD). So such a response is sent once, and made for each request.
     */
    static Response file(int status, byte[] fields, OpenFile file, long position, long count) {
        return new Response(status, fields, null, null, count, false, file, position, null, false);
    }

    /** A fixed body with fields built by the server (static files); {@code type} is among them. */
    static Response withFields(int status, byte[] fields, byte[] body, String type, boolean encoded) {
        return new Response(status, fields, body, null, -1, false, null, 0, type, encoded);
    }

    /** This fixed-body response with its body in gzip and Content-Encoding and Vary said. */
    Response gzipped(Compression.Gzip gzip) {
        Response g = gzipped;
        if (g == null || gzippedLevel != gzip.level) { // a constant shared by servers of other levels
            g = new Response(status, concat(fields, GZIP_FIELDS), gzip.compress(body, 0, body.length), null, -1,
                    false, null, 0, type, true);
            gzippedLevel = gzip.level;
            gzipped = g;
        }
        return g;
    }

    /** This response with Vary: Accept-Encoding, for a client that did not take gzip. */
    Response varied() {
        Response v = varied;
        if (v == null) {
            v = new Response(status, concat(fields, VARY), body, source, length, chunkedOn11, file, filePosition,
                    type, encoded);
            varied = v;
        }
        return v;
    }

    /** {@code fields} without the lines that start with {@code lowerPrefix}, ignoring case. */
    private static byte[] withoutField(byte[] fields, String lowerPrefix) {
        StringBuilder out = new StringBuilder(fields.length);
        for (String line : new String(fields, StandardCharsets.ISO_8859_1).split("(?<=\r\n)")) {
            if (!line.toLowerCase(Locale.ROOT).startsWith(lowerPrefix)) {
                out.append(line);
            }
        }
        return ascii(out.toString());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /**
     * This response with one more header field. The name must be a token and not one the
     * server owns (Content-Length, Transfer-Encoding, Connection, Keep-Alive, TE, Trailer,
     * Upgrade, Date, Server); the value may not contain control characters other than HTAB
     * (no CR, LF or NUL) or characters beyond ISO-8859-1, and is sent without surrounding
     * whitespace. Content-Type replaces the one the response has; other fields add a line.
     * A field that names these exact bytes (ETag, Content-Range, Content-Encoding,
     * Cache-Control with no-transform) keeps the response from being gzipped.
     *
     * @param name the name
     * @param value the value
     * @return a new response with the field added
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
        String lower = name.toLowerCase(Locale.ROOT);
        byte[] kept = lower.equals("content-type") ? withoutField(fields, "content-type:") : fields; // one type, replaced
        // Fields that name these exact bytes: another coding would contradict them (a tag for
        // one representation, a range of it, a cache told not to transform it).
        boolean fixed = lower.equals("content-encoding") || lower.equals("etag") || lower.equals("content-range")
                || lower.equals("cache-control") && value.toLowerCase(Locale.ROOT).contains("no-transform");
        return new Response(status, concat(kept, extra), body, source, length, chunkedOn11, file, filePosition,
                lower.equals("content-type") ? value.strip() : type, encoded || fixed);
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

    /** {@return the status code} */
    public int status() {
        return status;
    }

    @Override
    public String toString() {
        return "Response[" + status + " " + HttpStatus.reason(status) + "]";
    }
}
