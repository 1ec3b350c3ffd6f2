package io.ffpoll.http.parse;

import java.lang.foreign.MemorySegment;

/**
 * The first pass over a request head: a resumable state machine that checks every byte against
 * the grammar of RFC 9112 (request-line, then field lines, then the empty line) as it arrives,
 * rejects the request at the first byte that cannot belong where it is (a TLS ClientHello fails
 * on its first byte), enforces the size limits as soon as they are passed, and finds the end of
 * the head. It keeps its place in {@link ParseState}, so a head that arrives a byte at a time
 * is scanned once in all, and it records where the request line's parts are. Field lines are
 * split and interpreted afterwards, once, by {@link HeadFields}. Loop thread only.
 */
final class HeadScanner {
    static final long INCOMPLETE = -2;
    static final long ERROR = -1;

    private static final byte START = 0;     // before the request line: empty lines allowed (RFC 9112 2.2)
    private static final byte START_LF = 1;
    private static final byte METHOD = 2;
    private static final byte TARGET_FIRST = 3;
    private static final byte TARGET = 4;
    private static final byte VERSION = 5;   // VERSION + k: expecting byte k of "HTTP/x.y\r\n"
    private static final byte FIELD_START = VERSION + 10;
    private static final byte NAME = FIELD_START + 1;
    private static final byte VALUE = NAME + 1;
    private static final byte VALUE_LF = VALUE + 1;
    private static final byte END_LF = VALUE_LF + 1;
    private static final byte[] HTTP_SLASH = {'H', 'T', 'T', 'P', '/'};

    private HeadScanner() {}

    private static long fail(ParseState<?> s, int status) {
        s.errorStatus = status;
        return ERROR;
    }

    private static boolean inRequestLine(byte state) {
        return state >= METHOD && state < FIELD_START;
    }

    /**
     * Scans {@code b[start, end)}, where a request starts at {@code start}, from where the last
     * call stopped. Returns the head's length (through its empty line), {@link #INCOMPLETE}, or
     * {@link #ERROR} with {@code s.errorStatus} set (400, 414, 431 or 505).
     */
    static long scan(MemorySegment b, long start, long end, ParseState<?> s, ByteWindow w, int maxLine, int maxHead) {
        long p = start + s.scanned;
        byte state = s.scan;
        while (p < end) {
            long limit = start + maxHead;
            if (inRequestLine(state)) {
                limit = Math.min(limit, start + s.lineStart + maxLine + 2); // + its CRLF
            }
            if (p >= limit) {
                return fail(s, inRequestLine(state) ? 414 : 431);
            }
            int n = w.load(b, p, Math.min(end, limit));
            byte[] a = w.bytes;
            int i = w.index(p);
            int stop = i + n;
            w.examined += n; // at most: the scan may stop (done or failed) before the end
            int rel = (int) (p - start) - i; // array index + rel = offset from the request's start
            scan:
            while (i < stop) {
                int c = a[i] & 0xFF;
                switch (state) {
                    case START -> {
                        if (c == '\r') {
                            state = START_LF;
                        } else if (Grammar.TCHAR[c]) {
                            s.lineStart = i + rel;
                            state = METHOD;
                            // The window was sized before the line began: end it at the line's
                            // limit, so a line too long is a 414 however its bytes arrive.
                            stop = Math.min(stop, s.lineStart + maxLine + 2 - rel);
                        } else {
                            return fail(s, 400);
                        }
                        i++;
                    }
                    case START_LF -> {
                        if (c != '\n') {
                            return fail(s, 400);
                        }
                        state = START;
                        i++;
                    }
                    case METHOD -> {
                        while (i < stop && Grammar.TCHAR[a[i] & 0xFF]) {
                            i++;
                        }
                        if (i == stop) {
                            break scan;
                        }
                        if (a[i] != ' ') {
                            return fail(s, 400);
                        }
                        s.methodEnd = i + rel;
                        state = TARGET_FIRST;
                        i++;
                    }
                    case TARGET_FIRST -> {
                        if (!Grammar.TARGET[c]) {
                            return fail(s, 400); // a second space, or a control character
                        }
                        s.targetStart = i + rel;
                        state = TARGET;
                        i++;
                    }
                    case TARGET -> {
                        i = Words.skipTarget(a, i, stop);
                        while (i < stop && Grammar.TARGET[a[i] & 0xFF]) {
                            i++;
                        }
                        if (i == stop) {
                            break scan;
                        }
                        if (a[i] != ' ') {
                            return fail(s, 400); // CR or LF: no version (HTTP/0.9), or a control character
                        }
                        s.targetEnd = i + rel;
                        state = VERSION;
                        i++;
                    }
                    case FIELD_START -> {
                        if (c == '\r') {
                            state = END_LF;
                        } else if (Grammar.TCHAR[c]) {
                            state = NAME;
                        } else {
                            return fail(s, 400); // whitespace: obsolete line folding (RFC 9112 5.2)
                        }
                        i++;
                    }
                    case NAME -> {
                        while (i < stop && Grammar.TCHAR[a[i] & 0xFF]) {
                            i++;
                        }
                        if (i == stop) {
                            break scan;
                        }
                        if (a[i] != ':') {
                            return fail(s, 400); // whitespace before the colon (RFC 9112 5.1), or junk
                        }
                        state = VALUE;
                        i++;
                    }
                    case VALUE -> {
                        i = Words.skipVisible(a, i, stop, ' ');
                        while (i < stop && Grammar.FIELD[a[i] & 0xFF]) {
                            i++;
                        }
                        if (i == stop) {
                            break scan;
                        }
                        if (a[i] != '\r') {
                            return fail(s, 400); // a control character or a bare LF
                        }
                        state = VALUE_LF;
                        i++;
                    }
                    case VALUE_LF -> {
                        if (c != '\n') {
                            return fail(s, 400); // bare CR
                        }
                        if (++s.fields > RequestHead.MAX_HEADERS) {
                            return fail(s, 431);
                        }
                        state = FIELD_START;
                        i++;
                    }
                    case END_LF -> {
                        if (c != '\n') {
                            return fail(s, 400);
                        }
                        s.scan = state;
                        return i + 1 + rel;
                    }
                    default -> { // the version, byte by byte
                        int k = state - VERSION;
                        if (k < 5) {
                            if (c != HTTP_SLASH[k]) {
                                return fail(s, 400);
                            }
                        } else if (k == 5 || k == 7) {
                            if (c < '0' || c > '9') {
                                return fail(s, 400);
                            }
                            if (k == 5) {
                                s.major = (byte) (c - '0');
                            } else {
                                s.minor = (byte) (c - '0');
                            }
                        } else if (k == 6) {
                            if (c != '.') {
                                return fail(s, 400);
                            }
                        } else if (k == 8) {
                            if (c != '\r') {
                                return fail(s, 400);
                            }
                        } else {
                            if (c != '\n') {
                                return fail(s, 400);
                            }
                            if (i + 1 + rel - s.lineStart > maxLine + 2) {
                                return fail(s, 414); // came in one piece, past the limit
                            }
                            if (s.major != 1) {
                                return fail(s, 505);
                            }
                            if (s.minor > 1) {
                                s.minor = 1; // RFC 9110 6.2: read as the highest minor version implemented
                            }
                            s.requestLineEnd = i + 1 + rel;
                            state = FIELD_START;
                            i++;
                            continue;
                        }
                        state++;
                        i++;
                    }
                }
            }
            p = start + i + rel;
        }
        s.scan = state;
        s.scanned = (int) (end - start);
        return INCOMPLETE;
    }
}
