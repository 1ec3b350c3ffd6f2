package io.ffpoll.http.parse;

import java.lang.foreign.MemorySegment;

/**
 * The second pass over a complete head that {@link HeadScanner} has checked: records where the
 * method, target and each field's name and value are (offsets into the segment, no copies) in
 * a {@link RequestHead}, and interprets the fields that decide framing and the connection.
 * Framing follows RFC 9112 strictly, because framing disagreements between hops are how
 * requests are smuggled: Content-Length with Transfer-Encoding, differing or malformed
 * Content-Length values, a Transfer-Encoding that is not a single final {@code chunked}, and a
 * missing, repeated or malformed Host in HTTP/1.1 are all rejected. Loop thread only.
 */
final class HeadFields implements Ascii.MemberVisitor {
    private static final int CONNECTION = 1;
    private static final int EXPECT = 2;
    private static final int TRANSFER_ENCODING = 3;

    // The list being visited: which field, in which bytes, for which request (no lambda, no allocation).
    private int listOf;
    private byte[] listBytes;
    private RequestHead listRequest;
    private int hosts;
    private boolean badHost;
    private int transferEncodings;
    private boolean badTransferEncoding;
    private boolean unsupportedTransferEncoding;
    private boolean unknownExpectation;

    /**
     * Fills {@code r} from the head of {@code s.headLength} bytes at {@code b[start]}; the head
     * is in the window after this. Returns 0, or the status to answer an invalid head with.
     */
    int read(MemorySegment b, long start, ParseState<?> s, ByteWindow w, RequestHead r, long maxBody) {
        w.load(b, start, start + s.headLength); // the head is at most the window's size
        w.examined += s.headLength - s.requestLineEnd;
        byte[] a = w.bytes;
        int o = w.index(start);
        r.reset(b, s);
        r.methodOffset = start + s.lineStart;
        r.methodLength = s.methodEnd - s.lineStart;
        r.targetOffset = start + s.targetStart;
        r.targetLength = s.targetEnd - s.targetStart;
        r.http11 = s.minor == 1;
        r.keepAlive = r.http11;
        // CONNECT's authority-form (RFC 9112 3.2.3) is well formed: the tunnel it asks for is
        // what this server does not implement (RFC 9110 9.3.6, 15.6.2), not a bad request. Its
        // head is still checked as any request's (a missing Host is 400 first, 3.2).
        boolean tunnel = false;
        if (!targetForm(a, o + s.targetStart, o + s.targetEnd, a, o + s.lineStart, r.methodLength)) {
            if (!isConnect(a, o + s.lineStart, r.methodLength) || !authorityForm(a, o + s.targetStart, o + s.targetEnd)) {
                return 400;
            }
            tunnel = true;
        }
        hosts = 0;
        badHost = false;
        transferEncodings = 0;
        badTransferEncoding = false;
        unsupportedTransferEncoding = false;
        unknownExpectation = false;
        int p = o + s.requestLineEnd;
        int headEnd = o + s.headLength - 2;
        while (p < headEnd) {
            int name = p;
            while (a[p] != ':') {
                p++;
            }
            int nameEnd = p++;
            while (a[p] == ' ' || a[p] == '\t') {
                p++;
            }
            int value = p;
            p = Words.skipToCr(a, p, headEnd);
            while (a[p] != '\r') {
                p++;
            }
            int valueEnd = p;
            while (valueEnd > value && (a[valueEnd - 1] == ' ' || a[valueEnd - 1] == '\t')) {
                valueEnd--;
            }
            r.addField(start + name - o, nameEnd - name, start + value - o, valueEnd - value);
            interpret(a, name, nameEnd, value, valueEnd, r);
            p += 2;
        }
        int status = framing(r, maxBody);
        return status == 0 && tunnel ? 501 : status;
    }

    /** origin-form, absolute-form (http/https), or "*" for OPTIONS (RFC 9112 3.2). */
    private static boolean targetForm(byte[] a, int t, int tEnd, byte[] m, int mStart, int mLength) {
        int first = a[t];
        if (first == '/') {
            return true;
        }
        if (first == '*') {
            return tEnd - t == 1 && mLength == 7 && Ascii.equalsIgnoreCase(m, mStart, mLength, "options");
        }
        return Ascii.startsWithIgnoreCase(a, t, tEnd, "http://") || Ascii.startsWithIgnoreCase(a, t, tEnd, "https://");
    }

    /** A method is case-sensitive (RFC 9110 9.1). */
    private static boolean isConnect(byte[] m, int mStart, int mLength) {
        return java.util.Arrays.equals(m, mStart, mStart + mLength, CONNECT, 0, CONNECT.length);
    }

    private static final byte[] CONNECT = {'C', 'O', 'N', 'N', 'E', 'C', 'T'};

    /** {@code uri-host ":" port}, a port of at least one digit. */
    private static boolean authorityForm(byte[] a, int t, int tEnd) {
        int colon = tEnd - 1;
        while (colon > t && a[colon] >= '0' && a[colon] <= '9') {
            colon--;
        }
        return colon > t && colon < tEnd - 1 && a[colon] == ':' && Grammar.isHost(a, t, tEnd);
    }

    private void interpret(byte[] a, int n, int nEnd, int v, int vEnd, RequestHead r) {
        int nl = nEnd - n;
        if (Ascii.equalsIgnoreCase(a, n, nl, "content-length")) {
            contentLength(a, v, vEnd, r);
        } else if (Ascii.equalsIgnoreCase(a, n, nl, "transfer-encoding")) {
            transferCodings(a, v, vEnd, r);
        } else if (Ascii.equalsIgnoreCase(a, n, nl, "host")) {
            hosts++;
            badHost |= !Grammar.isHost(a, v, vEnd);
        } else if (Ascii.equalsIgnoreCase(a, n, nl, "connection")) {
            visitList(CONNECTION, a, v, vEnd, r);
        } else if (Ascii.equalsIgnoreCase(a, n, nl, "expect") && r.http11) {
            // RFC 9110 10.1.1: an HTTP/1.0 client cannot mean it, so it is ignored there.
            visitList(EXPECT, a, v, vEnd, r);
        }
    }

    private void visitList(int field, byte[] a, int v, int vEnd, RequestHead r) {
        listOf = field;
        listBytes = a;
        listRequest = r;
        Ascii.forEachListMember(a, v, vEnd, this);
        listBytes = null;
        listRequest = null;
    }

    @Override
    public void member(int from, int to) {
        byte[] a = listBytes;
        RequestHead r = listRequest;
        int length = to - from;
        switch (listOf) {
            case CONNECTION -> {
                if (Ascii.equalsIgnoreCase(a, from, length, "close")) {
                    r.keepAlive = false;
                } else if (Ascii.equalsIgnoreCase(a, from, length, "keep-alive") && !r.http11) {
                    r.keepAlive = true;
                }
            }
            case EXPECT -> {
                if (Ascii.equalsIgnoreCase(a, from, length, "100-continue")) {
                    r.expectContinue = true;
                } else {
                    unknownExpectation = true;
                }
            }
            default -> {
                transferEncodings++;
                if (Ascii.equalsIgnoreCase(a, from, length, "chunked")) {
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
            }
        }
    }

    private void contentLength(byte[] a, int v, int vEnd, RequestHead r) {
        if (vEnd == v || vEnd - v > 18) {
            r.contentLength = -2; // empty, a list, or more digits than a length we accept
            return;
        }
        long value = 0;
        for (int k = v; k < vEnd; k++) {
            int c = a[k];
            if (c < '0' || c > '9') {
                r.contentLength = -2; // signs, hex, lists, spaces
                return;
            }
            value = value * 10 + (c - '0');
        }
        if (r.contentLength == -2 || (r.contentLength >= 0 && r.contentLength != value)) {
            r.contentLength = -2;
        } else {
            r.contentLength = value;
        }
    }

    private void transferCodings(byte[] a, int v, int vEnd, RequestHead r) {
        int before = transferEncodings;
        visitList(TRANSFER_ENCODING, a, v, vEnd, r);
        if (transferEncodings == before) {
            // A field with no coding at all (empty, or only commas): present, so another parser
            // may frame by it, but naming nothing we could frame by.
            badTransferEncoding = true;
        }
    }

    private int framing(RequestHead r, long maxBody) {
        if (r.contentLength == -2) {
            return 400; // malformed or conflicting Content-Length
        }
        if (hosts > 1 || (r.http11 && hosts == 0) || badHost) {
            return 400; // RFC 9112 3.2: exactly one valid Host in HTTP/1.1
        }
        if (transferEncodings > 0 || badTransferEncoding) {
            // RFC 9112 6.1: TE in HTTP/1.0 means faulty framing; TE with CL is a smuggling vector.
            if (!r.http11 || r.contentLength >= 0 || badTransferEncoding) {
                return 400;
            }
            if (unsupportedTransferEncoding) {
                return r.chunked ? 501 : 400; // a final chunked we would frame, a coding we lack
            }
        }
        if (unknownExpectation) {
            return 417;
        }
        if (r.contentLength > maxBody) {
            return 413;
        }
        return 0;
    }
}
