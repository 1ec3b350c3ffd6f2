package io.ffpoll.http;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A strict, zero-copy HTTP/1.1 request parser in picohttpparser's shape: {@link #parseHead}
 * and {@link #parseBody} look at {@code buffer[start, end)} and return how many bytes the part
 * takes, {@link #INCOMPLETE} (-2) or {@link #ERROR} (-1, with {@link #errorStatus()} set).
 * Fields are recorded as offsets in a {@link Request}; nothing is allocated unless a chunked
 * body is decoded. One parser per connection: it keeps the error status and how far an
 * incomplete head was already scanned, so a slow client does not make it rescan.
 *
 * <p>Framing follows RFC 9112 strictly, because framing disagreements between hops are how
 * requests are smuggled: Content-Length with Transfer-Encoding, differing or malformed
 * Content-Length values, a Transfer-Encoding that is not a single final {@code chunked},
 * malformed or overflowing chunk sizes, bare CR or LF, obsolete line folding, whitespace
 * before a colon, control characters in fields, and a missing or repeated Host in HTTP/1.1
 * are all rejected.
 */
final class HttpParser {
    static final long INCOMPLETE = -2;
    static final long ERROR = -1;

    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    private static final boolean[] TCHAR = new boolean[256];

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    final int maxRequestLine;
    final int maxHeadBytes;
    final long maxBody;
    private int errorStatus;
    // Bytes of the current, incomplete head already searched for its end (relative to its start),
    // so that a client sending a byte at a time does not make us rescan (picohttpparser's last_len).
    private long scanned;

    HttpParser(int maxRequestLine, int maxHeadBytes, long maxBody) {
        this.maxRequestLine = maxRequestLine;
        this.maxHeadBytes = maxHeadBytes;
        this.maxBody = maxBody;
        this.window = new byte[maxHeadBytes + 256];
    }

    /** The status to answer with after {@link #ERROR}. */
    int errorStatus() {
        return errorStatus;
    }

    private long fail(int status) {
        errorStatus = status;
        scanned = 0;
        return ERROR;
    }

    private boolean reject(int status) {
        fail(status);
        return false;
    }

    // The request head is copied once into this array and parsed there: array reads are much
    // cheaper than a segment read per byte. Offsets recorded in the Request stay segment offsets.
    private final byte[] window;
    private MemorySegment windowOf;
    private long windowBase;
    private int windowLength;

    private int at(MemorySegment b, long i) {
        long k = i - windowBase;
        if (b == windowOf && k >= 0 && k < windowLength) {
            return window[(int) k] & 0xFF;
        }
        return b.get(BYTE, i) & 0xFF;
    }

    private void fillWindow(MemorySegment b, long start, long end) {
        windowOf = b;
        windowBase = start;
        windowLength = (int) Math.min(end - start, window.length);
        MemorySegment.copy(b, BYTE, start, window, 0, windowLength);
    }

    static boolean equalsIgnoreCase(MemorySegment b, long offset, int length, String lower) {
        if (length != lower.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            int c = b.get(BYTE, offset + i) & 0xFF;
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** {@link #equalsIgnoreCase} through the parser's window. */
    private boolean is(MemorySegment b, long offset, int length, String lower) {
        if (length != lower.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            int c = at(b, offset + i);
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Index just past the first CRLFCRLF in [from, end) of the window, or -1. */
    private long findHeadEnd(long from, long end) {
        byte[] w = window;
        int limit = (int) (Math.min(end, windowBase + windowLength) - windowBase);
        for (int i = (int) (from - windowBase); i + 3 < limit; i++) {
            if (w[i + 3] == '\n' && w[i] == '\r' && w[i + 1] == '\n' && w[i + 2] == '\r') {
                return windowBase + i + 4;
            }
        }
        return -1;
    }

    /**
     * Parses the request line and headers at {@code buffer[start, end)} into {@code r}; returns
     * the head's length including the empty line (and any empty lines before it).
     */
    long parseHead(MemorySegment b, long start, long end, Request r) {
        long p = start;
        // RFC 9112 2.2: ignore empty lines before the request line.
        while (end - p >= 2 && b.get(BYTE, p) == '\r' && b.get(BYTE, p + 1) == '\n' && p - start < 64) {
            p += 2;
        }
        fillWindow(b, p, end);
        long from = Math.min(end, p + Math.max(0, scanned - 3));
        long headEnd = findHeadEnd(from, end);
        if (headEnd < 0) {
            scanned = end - p;
            long lineEnd = indexOf(b, p, Math.min(end, p + maxRequestLine + 2), '\n');
            if (lineEnd < 0 && end - p > maxRequestLine + 1) {
                return fail(414);
            }
            if (end - p > maxHeadBytes) {
                return fail(lineEnd < 0 ? 414 : 431);
            }
            return INCOMPLETE;
        }
        scanned = 0;
        if (headEnd - p > maxHeadBytes) {
            long lineEnd = indexOf(b, p, headEnd, '\n');
            return fail(lineEnd - p > maxRequestLine + 1 ? 414 : 431);
        }
        r.reset(b);
        long q = requestLine(b, p, headEnd, r);
        if (q < 0) {
            return ERROR;
        }
        if (headers(b, q, headEnd, r) < 0) {
            return ERROR;
        }
        return framing(r) ? headEnd - start : ERROR;
    }

    private long indexOf(MemorySegment b, long from, long end, char c) {
        for (long i = from; i < end; i++) {
            if (at(b, i) == c) {
                return i;
            }
        }
        return -1;
    }

    private long requestLine(MemorySegment b, long p, long end, Request r) {
        long m = p;
        while (p < end && TCHAR[at(b, p)]) {
            p++;
        }
        if (p == m || p >= end || at(b, p) != ' ') {
            return fail(400);
        }
        r.methodOffset = m;
        r.methodLength = (int) (p - m);
        long t = ++p;
        while (p < end) {
            int c = at(b, p);
            if (c <= ' ' || c == 0x7F) {
                break;
            }
            p++;
        }
        if (p == t || at(b, p) != ' ') {
            return fail(400);
        }
        if (p - t > maxRequestLine) {
            return fail(414);
        }
        r.targetOffset = t;
        r.targetLength = (int) (p - t);
        int first = at(b, t);
        boolean options = r.methodLength == 7 && is(b, m, 7, "options");
        boolean absolute = startsWith(b, t, p, "http://") || startsWith(b, t, p, "https://");
        if (!(first == '/' || absolute || (first == '*' && r.targetLength == 1 && options))) {
            return fail(400);
        }
        p++;
        // HTTP-version = "HTTP/" DIGIT "." DIGIT, then CRLF
        if (end - p < 10 || !startsWith(b, p, end, "HTTP/") || !isDigit(at(b, p + 5)) || at(b, p + 6) != '.'
                || !isDigit(at(b, p + 7)) || at(b, p + 8) != '\r' || at(b, p + 9) != '\n') {
            return fail(400);
        }
        int major = at(b, p + 5) - '0';
        int minor = at(b, p + 7) - '0';
        if (major != 1 || minor > 1) {
            return fail(505);
        }
        r.http11 = minor == 1;
        r.keepAlive = r.http11;
        return p + 10;
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private boolean startsWith(MemorySegment b, long p, long end, String s) {
        if (end - p < s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (at(b, p + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private int hosts;
    private int transferEncodings;
    private boolean badTransferEncoding;
    private boolean unsupportedTransferEncoding;

    private long headers(MemorySegment b, long p, long end, Request r) {
        hosts = 0;
        transferEncodings = 0;
        badTransferEncoding = false;
        unsupportedTransferEncoding = false;
        while (true) {
            if (at(b, p) == '\r') {
                return at(b, p + 1) == '\n' ? p + 2 : fail(400);
            }
            long n = p;
            while (TCHAR[at(b, p)]) {
                p++;
            }
            // A name must be a non-empty token directly followed by ':' (no whitespace before
            // it, RFC 9112 5.1); a line starting with whitespace is obsolete folding (5.2).
            if (p == n || at(b, p) != ':') {
                return fail(400);
            }
            long nameLength = p - n;
            p++;
            while (at(b, p) == ' ' || at(b, p) == '\t') {
                p++;
            }
            long v = p;
            long lastNonSpace = p;
            while (true) {
                int c = at(b, p);
                if (c == '\r') {
                    break;
                }
                if ((c < 0x20 && c != '\t') || c == 0x7F) {
                    return fail(400); // control characters, bare LF
                }
                p++;
                if (c != ' ' && c != '\t') {
                    lastNonSpace = p;
                }
            }
            if (p + 1 >= end || at(b, p + 1) != '\n') {
                return fail(400); // bare CR
            }
            if (r.headerCount == Request.MAX_HEADERS) {
                return fail(431);
            }
            int i = r.headerCount++;
            r.nameOffset[i] = n;
            r.nameLength[i] = (int) nameLength;
            r.valueOffset[i] = v;
            r.valueLength[i] = (int) (lastNonSpace - v);
            if (!interpret(b, r, i)) {
                return ERROR;
            }
            p += 2;
        }
    }

    /** Applies the headers that shape framing and the connection. */
    private boolean interpret(MemorySegment b, Request r, int i) {
        long n = r.nameOffset[i];
        int nl = r.nameLength[i];
        long v = r.valueOffset[i];
        int vl = r.valueLength[i];
        if (is(b, n, nl, "content-length")) {
            long value = 0;
            if (vl == 0 || vl > 18) {
                return reject(400); // empty, list, or too many digits to be a length we accept
            }
            for (int k = 0; k < vl; k++) {
                int c = at(b, v + k);
                if (!isDigit(c)) {
                    return reject(400);
                }
                value = value * 10 + (c - '0');
            }
            if (r.contentLength >= 0 && r.contentLength != value) {
                return reject(400);
            }
            r.contentLength = value;
        } else if (is(b, n, nl, "transfer-encoding")) {
            transferCodings(b, v, vl, r);
        } else if (is(b, n, nl, "host")) {
            hosts++;
        } else if (is(b, n, nl, "connection")) {
            forEachToken(b, v, vl, (off, len) -> {
                if (is(b, off, len, "close")) {
                    r.keepAlive = false;
                } else if (is(b, off, len, "keep-alive") && !r.http11) {
                    r.keepAlive = true;
                }
            });
        } else if (is(b, n, nl, "expect")) {
            r.expectContinue = is(b, v, vl, "100-continue");
        }
        return true;
    }

    private void transferCodings(MemorySegment b, long v, int vl, Request r) {
        forEachToken(b, v, vl, (off, len) -> {
            transferEncodings++;
            if (is(b, off, len, "chunked")) {
                if (r.chunked) {
                    badTransferEncoding = true; // chunked twice
                }
                r.chunked = true;
            } else {
                if (r.chunked) {
                    badTransferEncoding = true; // a coding after chunked: chunked is not final
                }
                unsupportedTransferEncoding = true;
            }
        });
        if (vl == 0) {
            badTransferEncoding = true;
        }
    }

    private interface TokenVisitor {
        void token(long offset, int length);
    }

    /** Visits the comma-separated elements of a field value, trimmed; empty ones are skipped. */
    private void forEachToken(MemorySegment b, long v, int vl, TokenVisitor visitor) {
        long end = v + vl;
        long p = v;
        while (p < end) {
            while (p < end && (at(b, p) == ' ' || at(b, p) == '\t' || at(b, p) == ',')) {
                p++;
            }
            long s = p;
            while (p < end && at(b, p) != ',') {
                p++;
            }
            long e = p;
            while (e > s && (at(b, e - 1) == ' ' || at(b, e - 1) == '\t')) {
                e--;
            }
            if (e > s) {
                visitor.token(s, (int) (e - s));
            }
        }
    }

    private boolean framing(Request r) {
        if (r.http11 && hosts != 1) {
            return reject(400); // RFC 9112 3.2: exactly one Host in HTTP/1.1
        }
        if (hosts > 1) {
            return reject(400);
        }
        if (transferEncodings > 0) {
            // RFC 9112 6.1: TE in HTTP/1.0 means faulty framing; TE with CL is a smuggling vector.
            if (!r.http11 || r.contentLength >= 0 || badTransferEncoding) {
                return reject(400);
            }
            if (unsupportedTransferEncoding) {
                return reject(r.chunked ? 501 : 400); // a final chunked we would frame, a coding we lack
            }
        }
        if (r.contentLength > maxBody) {
            return reject(413);
        }
        return true;
    }

    /**
     * Finds the end of the body that starts at {@code start}: returns its length on the wire,
     * INCOMPLETE or ERROR. A chunked body is validated and, once complete, decoded into
     * {@code r.chunkedBody}; a Content-Length body stays in the buffer at {@code r.bodyOffset}.
     */
    long parseBody(MemorySegment b, long start, long end, Request r) {
        r.bodyOffset = start;
        if (!r.chunked) {
            long length = Math.max(0, r.contentLength);
            return end - start >= length ? length : INCOMPLETE;
        }
        long wire = chunked(b, start, end, null);
        if (wire >= 0) {
            long size = chunkedSize;
            byte[] body = new byte[(int) size];
            chunked(b, start, end, body);
            r.chunkedBody = body;
        }
        return wire;
    }

    private long chunkedSize;

    /** One pass over a chunked body: validates it, and copies its data into {@code into} if given. */
    private long chunked(MemorySegment b, long start, long end, byte[] into) {
        long p = start;
        long total = 0;
        long wireLimit = 2 * maxBody + maxHeadBytes + 1024; // chunk overhead on top of the data
        while (true) {
            if (p - start > wireLimit) {
                return fail(413);
            }
            long size = 0;
            long digits = p;
            while (p < end) {
                int c = at(b, p);
                int d = Character.digit(c, 16);
                if (d < 0 || c > 'f') {
                    break;
                }
                if (p - digits == 16) {
                    return fail(400); // more hex digits than a 64-bit size can hold
                }
                size = (size << 4) | d;
                p++;
            }
            if (p == end) {
                return INCOMPLETE;
            }
            if (p == digits || size < 0) {
                return fail(400);
            }
            // chunk-ext: BWS ";" ... up to CRLF; no control characters but HTAB.
            int c = at(b, p);
            if (c != '\r') {
                if (c != ';' && c != ' ' && c != '\t') {
                    return fail(400);
                }
                while (p < end && at(b, p) != '\r') {
                    int e = at(b, p);
                    if ((e < 0x20 && e != '\t') || e == 0x7F) {
                        return fail(400);
                    }
                    if (p - digits > maxHeadBytes) {
                        return fail(400);
                    }
                    p++;
                }
            }
            p = lineEnd(b, p, end);
            if (p < 0) {
                return p;
            }
            if (size == 0) {
                return trailers(b, start, p, end, total);
            }
            if (size > maxBody || total + size > maxBody) {
                return fail(413);
            }
            if (end - p < size + 2) {
                return INCOMPLETE;
            }
            if (into != null) {
                MemorySegment.copy(b, BYTE, p, into, (int) total, (int) size);
            }
            total += size;
            p += size;
            if (at(b, p) != '\r' || at(b, p + 1) != '\n') {
                return fail(400); // chunk data longer than its size said
            }
            p += 2;
        }
    }

    private long trailers(MemorySegment b, long start, long p, long end, long total) {
        long trailerStart = p;
        while (true) {
            if (p - trailerStart > maxHeadBytes) {
                return fail(431);
            }
            if (end - p < 2) {
                return INCOMPLETE;
            }
            if (at(b, p) == '\r') {
                if (at(b, p + 1) != '\n') {
                    return fail(400);
                }
                chunkedSize = total;
                return p + 2 - start;
            }
            long n = p;
            while (p < end && TCHAR[at(b, p)]) {
                p++;
            }
            if (p == end) {
                return INCOMPLETE;
            }
            if (p == n || at(b, p) != ':') {
                return fail(400);
            }
            while (p < end && at(b, p) != '\r') {
                int c = at(b, p);
                if ((c < 0x20 && c != '\t') || c == 0x7F) {
                    return fail(400);
                }
                p++;
            }
            p = lineEnd(b, p, end);
            if (p < 0) {
                return p;
            }
        }
    }

    /** At the CR that ends a line: the index after its CRLF, INCOMPLETE, or ERROR for a bare CR. */
    private long lineEnd(MemorySegment b, long p, long end) {
        if (end - p < 2) {
            return INCOMPLETE;
        }
        return at(b, p + 1) == '\n' ? p + 2 : fail(400);
    }
}
