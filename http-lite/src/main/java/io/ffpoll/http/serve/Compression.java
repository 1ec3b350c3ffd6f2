package io.ffpoll.http.serve;

import io.ffpoll.http.Request;
import io.ffpoll.http.Response;
import io.ffpoll.http.internal.HttpAccess;

import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip content coding (RFC 9110 8.4.1.3, RFC 1952) for responses whose client accepts it:
 * what the server compresses ({@link #wants}), whether a request accepts it ({@link #accepts}),
 * and a thread's compressor ({@link Gzip}), a Deflater kept for the thread's life (a loop's)
 * so that a response allocates only its output. Bounded: bodies above {@link #maxLength} go uncompressed, so one
 * response never costs more than that much CPU and output memory.
 *
 * @param level     1 (fastest) to 9 (smallest)
 * @param minLength bodies shorter than this go as they are: gzip's 20 bytes of framing and the
 *                  CPU are not worth it
 * @param maxLength the largest body compressed
 */
public record Compression(int level, int minLength, long maxLength) {
    private static final HttpAccess HTTP = HttpAccess.get();
    public static final Compression DEFAULT = new Compression(6, 1024, 8L << 20);
    /** The largest body that may be compressed at all: one array holds it. */
    static final long MOST = 1L << 30;

    public Compression {
        if (level < 1 || level > 9) {
            throw new IllegalArgumentException("the gzip level is 1..9, got " + level);
        }
        if (minLength < 0 || maxLength < minLength || maxLength > MOST) {
            throw new IllegalArgumentException("gzip lengths must be 0 <= min <= max <= 1 GiB, got " + minLength + ", " + maxLength);
        }
    }

    /** Whether a body of {@code length} bytes of {@code type}, not encoded already, is worth compressing. */
    public boolean wants(String type, boolean encoded, long length) {
        return length >= minLength && length <= maxLength && !encoded && type != null && compressible(type);
    }

    /** Whether a type is text that compresses well (text/*, JSON, XML, JavaScript, SVG). */
    static boolean compressible(String type) {
        return type.startsWith("text/") || type.startsWith("application/json") || type.startsWith("application/xml")
                || type.startsWith("image/svg+xml") || type.startsWith("application/javascript");
    }

    /**
     * Whether the request's Accept-Encoding takes gzip (or x-gzip, or {@code *}) with a q-value
     * above 0 (RFC 9110 12.5.3). No field at all means any coding would do, but a client
     * that sent none is served identity, as every server does: most such clients are tools.
     */
    public static boolean accepts(Request r) {
        String field = r.headerList("Accept-Encoding"); // one list, however many lines (RFC 9110 5.3)
        if (field == null) {
            return false;
        }
        boolean star = false;
        for (String element : field.split(",")) {
            String[] parts = element.split(";");
            String coding = parts[0].strip();
            boolean zero = false;
            boolean valid = true;
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i].strip();
                if (p.length() >= 2 && (p.charAt(0) == 'q' || p.charAt(0) == 'Q') && p.charAt(1) == '=') {
                    String q = p.substring(2).strip();
                    zero = isZero(q);
                    valid = zero || QVALUE.matcher(q).matches();
                }
            }
            if (!valid) {
                continue; // not a qvalue (12.4.2: 0 to 1, three decimals at most): the element is not one
            }
            if (coding.equalsIgnoreCase("gzip") || coding.equalsIgnoreCase("x-gzip")) {
                return !zero;
            }
            if (coding.equals("*")) {
                star = !zero;
            }
        }
        return star;
    }

    private static final java.util.regex.Pattern ZERO = java.util.regex.Pattern.compile("0(\\.0{0,3})?");
    private static final java.util.regex.Pattern QVALUE = java.util.regex.Pattern.compile("0(\\.[0-9]{0,3})?|1(\\.0{0,3})?");

    private static boolean isZero(String q) {
        return ZERO.matcher(q).matches(); // compiled once: String.matches compiles at every call
    }

    // One compressor per thread and level: a loop thread (where every response is sent, a
    // blocking route's too) keeps its own for its life, and the Deflater's memory with it.
    private static final ThreadLocal<Gzip[]> GZIP = ThreadLocal.withInitial(() -> new Gzip[10]);

    /** This thread's compressor at this setting's level. */
    public Gzip gzip() {
        Gzip[] mine = GZIP.get();
        Gzip g = mine[level];
        if (g == null) {
            g = new Gzip(level);
            mine[level] = g;
        }
        return g;
    }

    /**
     * The response to send for {@code r}: gzipped if the request takes it, with Vary if it
     * could have; {@code r} itself if its body is not one to compress. A HEAD gets the same
     * choice: its fields are GET's, and its Content-Length and ETag must be those of the body GET
     * would send (RFC 9110 9.3.2, 8.6).
     */
    Response variant(Response r, Request request) {
        if (HTTP.body(r) == null || r.status() != 200 || !wants(HTTP.type(r), HTTP.encoded(r), HTTP.body(r).length)) {
            return r;
        }
        return accepts(request) ? HTTP.gzipped(r, gzip()) : HTTP.varied(r);
    }

    /** A thread's compressor at one level. */
    public static final class Gzip {
        private static final byte[] HEADER = {0x1f, (byte) 0x8b, Deflater.DEFLATED, 0, 0, 0, 0, 0, 0, (byte) 0xff};
        private final Deflater deflater;
        private final CRC32 crc = new CRC32();
        public final int level;

        Gzip(int level) {
            this.level = level;
            deflater = new Deflater(level, true);
        }

        /** {@code src[offset, offset + length)} as one gzip member. */
        public byte[] compress(byte[] src, int offset, int length) {
            deflater.reset();
            crc.reset();
            crc.update(src, offset, length);
            deflater.setInput(src, offset, length);
            deflater.finish();
            // Deflate's worst case is 5 bytes per 16 KiB block beyond the input.
            byte[] out = new byte[HEADER.length + length + (length >> 12) + 64 + 8];
            System.arraycopy(HEADER, 0, out, 0, HEADER.length);
            int n = HEADER.length;
            while (!deflater.finished()) {
                if (n == out.length - 8) {
                    out = java.util.Arrays.copyOf(out, out.length * 2);
                }
                n += deflater.deflate(out, n, out.length - 8 - n);
            }
            int c = (int) crc.getValue();
            for (int i = 0; i < 4; i++) {
                out[n++] = (byte) (c >>> (8 * i));
            }
            for (int i = 0; i < 4; i++) {
                out[n++] = (byte) (length >>> (8 * i));
            }
            return java.util.Arrays.copyOf(out, n);
        }
    }
}
