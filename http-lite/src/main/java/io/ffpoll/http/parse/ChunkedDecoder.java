package io.ffpoll.http.parse;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Decodes a chunked request body (RFC 9112 7.1) as its bytes arrive, keeping its place between
 * calls as picohttpparser's decoder does, so every byte is examined once however slowly it
 * comes. Chunk data is copied into a growing array; the wire bytes stay where they are.
 *
 * <p>The grammar is followed exactly: {@code chunk-size} is hex digits, then only
 * {@code chunk-ext = *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )} and
 * CRLF; chunk data is followed by CRLF; trailer fields are field lines. Anything else,
 * including an unterminated quoted string, is a 400. One connection's decoder, reused; the
 * decoded bytes go into an array lent by the loop's {@link ChunkedBodies}, which each chunk's
 * size is reserved from before its data is copied (503 past the loop's budget), and which is
 * given back, with the reservation, by {@link #reset()}: between requests a connection holds
 * no decoded bytes.
 */
final class ChunkedDecoder {
    static final long INCOMPLETE = -2;
    static final long ERROR = -1;
    /** Bytes of chunk extensions allowed on one size line. */
    static final int MAX_EXTENSION = 4096;

    private static final byte SIZE = 0;
    private static final byte EXT_AFTER_VALUE = 1;    // after the size or a value: ";", CR, or BWS
    private static final byte EXT_AFTER_VALUE_WS = 2; // BWS seen: only ";" may follow
    private static final byte EXT_BEFORE_NAME = 3;    // BWS, then a token
    private static final byte EXT_NAME = 4;
    private static final byte EXT_AFTER_NAME = 5;     // "=", ";", CR, or BWS
    private static final byte EXT_AFTER_NAME_WS = 6;  // BWS seen: "=" or ";" may follow
    private static final byte EXT_BEFORE_VALUE = 7;   // BWS, then a token or a quoted-string
    private static final byte EXT_TOKEN = 8;
    private static final byte EXT_QUOTED = 9;
    private static final byte EXT_QUOTED_PAIR = 10;
    private static final byte SIZE_LF = 11;
    private static final byte DATA = 12;
    private static final byte DATA_CR = 13;
    private static final byte DATA_LF = 14;
    private static final byte TRAILER_START = 15;
    private static final byte TRAILER_NAME = 16;
    private static final byte TRAILER_VALUE = 17;
    private static final byte TRAILER_LF = 18;
    private static final byte END_LF = 19;

    private final long maxBody;
    private final int maxTrailers;
    private final ChunkedBodies bodies;
    private long reserved;    // of the loop's budget, for this body
    private byte state;
    private long wire;        // bytes of the body consumed from the wire so far
    private long size;        // of the chunk being read (SIZE), then what is left of it (DATA)
    private int digits;
    private int lineBytes;    // of the current size line's extensions, or of the trailer section
    private byte[] data = ChunkedBodies.EMPTY;
    private int length;
    int errorStatus;

    /** A decoder for bodies of at most {@code maxBody} bytes with at most {@code maxTrailers} bytes of trailers. */
    ChunkedDecoder(long maxBody, int maxTrailers, ChunkedBodies bodies) {
        this.maxBody = maxBody;
        this.maxTrailers = maxTrailers;
        this.bodies = bodies;
    }

    /** Ready for the next body; what this one held of the loop's heap and budget is given back. */
    void reset() {
        state = SIZE;
        wire = 0;
        size = 0;
        digits = 0;
        lineBytes = 0;
        length = 0;
        bodies.give(data);
        data = ChunkedBodies.EMPTY;
        bodies.release(reserved);
        reserved = 0;
    }

    /**
     * The decoded body after a complete decode; the array may be longer than {@link #length()}.
     * Valid until {@link #reset()}, which gives it back to the loop for another body.
     */
    byte[] data() {
        return data;
    }

    int length() {
        return length;
    }

    private long fail(int status) {
        errorStatus = status;
        return ERROR;
    }

    /**
     * Decodes on from where it stopped, in the body that starts at {@code b[start]} and is
     * available up to {@code end}. Returns the body's length on the wire once its last chunk
     * and trailers are complete, {@link #INCOMPLETE}, or {@link #ERROR} (400; 413 over the
     * body limit, or when chunk overhead passes twice the limit; 431 for too many trailer bytes;
     * 503 when the chunk would take the loop's decoded bodies past their budget).
     */
    long decode(MemorySegment b, long start, long end, ByteWindow w) {
        long wireLimit = 2 * maxBody + maxTrailers + 1024; // chunk overhead on top of the data
        long p = start + wire;
        while (p < end) {
            if (p - start > wireLimit) {
                return fail(413);
            }
            if (state == DATA) {
                long n = Math.min(size, end - p);
                w.examined += n;
                append(b, p, (int) n);
                p += n;
                size -= n;
                if (size == 0) {
                    state = DATA_CR;
                }
                continue;
            }
            int n = w.load(b, p, end);
            byte[] a = w.bytes;
            int first = w.index(p);
            int i = first;
            int stop = i + n;
            w.examined += n;
            while (i < stop && state != DATA) {
                long r = step(a[i] & 0xFF);
                if (r == ERROR) {
                    return ERROR;
                }
                i++;
                if (r > 0) {
                    wire = p - start + (i - first);
                    return wire; // the empty line after the trailers
                }
            }
            p += i - first;
        }
        wire = p - start;
        return INCOMPLETE;
    }

    private void append(MemorySegment b, long from, int n) {
        if (length + n > data.length) {
            data = bodies.grow(data, length, length + n, reserved);
        }
        MemorySegment.copy(b, ValueLayout.JAVA_BYTE, from, data, length, n);
        length += n;
    }

    private long extensionByte() {
        return ++lineBytes <= MAX_EXTENSION ? 0 : fail(400);
    }

    /** One byte outside chunk data: 1 when the body is complete, 0 to go on, or ERROR. */
    private long step(int c) {
        switch (state) {
            case SIZE -> {
                if (Grammar.isHexDigit(c)) {
                    if (++digits > 16) {
                        return fail(400); // more hex digits than a 64-bit size can hold
                    }
                    size = (size << 4) | Grammar.hexValue(c);
                    if (size < 0 || length + size > maxBody) {
                        return fail(413);
                    }
                    return 0;
                }
                if (digits == 0) {
                    return fail(400); // no size: a sign, junk, or an empty line
                }
                lineBytes = 0;
                state = EXT_AFTER_VALUE;
                return step(c);
            }
            case EXT_AFTER_VALUE, EXT_AFTER_NAME -> {
                if (c == ' ' || c == '\t') {
                    state = state == EXT_AFTER_VALUE ? EXT_AFTER_VALUE_WS : EXT_AFTER_NAME_WS;
                } else if (c == ';') {
                    state = EXT_BEFORE_NAME;
                } else if (c == '=' && state == EXT_AFTER_NAME) {
                    state = EXT_BEFORE_VALUE;
                } else {
                    return lineEnd(c);
                }
                return extensionByte();
            }
            case EXT_AFTER_VALUE_WS, EXT_AFTER_NAME_WS -> {
                // BWS leads only to ";" (or "=" after a name), never to the line's end.
                if (c == ';') {
                    state = EXT_BEFORE_NAME;
                } else if (c == '=' && state == EXT_AFTER_NAME_WS) {
                    state = EXT_BEFORE_VALUE;
                } else if (c != ' ' && c != '\t') {
                    return fail(400);
                }
                return extensionByte();
            }
            case EXT_BEFORE_NAME -> {
                if (Grammar.TCHAR[c]) {
                    state = EXT_NAME;
                } else if (c != ' ' && c != '\t') {
                    return fail(400);
                }
                return extensionByte();
            }
            case EXT_NAME, EXT_TOKEN -> {
                if (Grammar.TCHAR[c]) {
                    return extensionByte();
                }
                state = state == EXT_NAME ? EXT_AFTER_NAME : EXT_AFTER_VALUE;
                return step(c);
            }
            case EXT_BEFORE_VALUE -> {
                if (c == '"') {
                    state = EXT_QUOTED;
                } else if (Grammar.TCHAR[c]) {
                    state = EXT_TOKEN;
                } else if (c != ' ' && c != '\t') {
                    return fail(400);
                }
                return extensionByte();
            }
            case EXT_QUOTED -> {
                if (c == '"') {
                    state = EXT_AFTER_VALUE;
                } else if (c == '\\') {
                    state = EXT_QUOTED_PAIR;
                } else if (!Grammar.QDTEXT[c]) {
                    return fail(400); // a control character, or CR: the string never ends
                }
                return extensionByte();
            }
            case EXT_QUOTED_PAIR -> {
                if (!Grammar.FIELD[c]) { // HTAB, SP, VCHAR, obs-text
                    return fail(400);
                }
                state = EXT_QUOTED;
                return extensionByte();
            }
            case SIZE_LF -> {
                if (c != '\n') {
                    return fail(400);
                }
                digits = 0;
                lineBytes = 0;
                if (size > 0 && !bodies.reserve(size)) {
                    // RFC 9110 15.6.4: the server cannot take this body now, which is a temporary
                    // overload, not a fault of the request (it is within the body limit, so 413
                    // would tell the client never to send it again).
                    return fail(503);
                }
                reserved += size;
                state = size == 0 ? TRAILER_START : DATA;
                return 0;
            }
            case DATA_CR -> {
                if (c != '\r') {
                    return fail(400); // chunk data longer than its size said
                }
                state = DATA_LF;
                return 0;
            }
            case DATA_LF -> {
                if (c != '\n') {
                    return fail(400);
                }
                state = SIZE;
                return 0;
            }
            case TRAILER_START -> {
                if (c == '\r') {
                    state = END_LF;
                    return 0;
                }
                if (!Grammar.TCHAR[c]) {
                    return fail(400);
                }
                state = TRAILER_NAME;
                return trailerByte();
            }
            case TRAILER_NAME -> {
                if (c == ':') {
                    state = TRAILER_VALUE;
                } else if (!Grammar.TCHAR[c]) {
                    return fail(400);
                }
                return trailerByte();
            }
            case TRAILER_VALUE -> {
                if (c == '\r') {
                    state = TRAILER_LF;
                } else if (!Grammar.FIELD[c]) {
                    return fail(400);
                }
                return trailerByte();
            }
            case TRAILER_LF -> {
                if (c != '\n') {
                    return fail(400);
                }
                state = TRAILER_START;
                return trailerByte();
            }
            case END_LF -> {
                return c == '\n' ? 1 : fail(400);
            }
            default -> throw new AssertionError("chunk data is copied, not stepped through");
        }
    }

    /** At the end of a size line: CR, then SIZE_LF. */
    private long lineEnd(int c) {
        if (c != '\r') {
            return fail(400);
        }
        state = SIZE_LF;
        return 0;
    }

    private long trailerByte() {
        return ++lineBytes <= maxTrailers ? 0 : fail(431);
    }
}
