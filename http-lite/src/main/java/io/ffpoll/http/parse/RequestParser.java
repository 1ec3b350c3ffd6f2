package io.ffpoll.http.parse;

import java.lang.foreign.MemorySegment;

/**
 * One loop's request parser in picohttpparser's shape: {@link #parse} looks at
 * {@code buffer[start, end)}, where a request starts, and returns the request's length once it
 * is complete, {@link #INCOMPLETE}, or {@link #ERROR} (with the status to answer in the
 * connection's {@link ParseState}). Every byte is examined a bounded number of times however it
 * arrives: the head is scanned once as it comes ({@link HeadScanner}) and read once when
 * complete ({@link HeadFields}, again when its body completes in a later call, since the
 * {@link #head} it fills belongs to the loop: each fill takes what is the connection's, its
 * peer and path parameters, from the connection's {@link ParseState}); a chunked body is decoded once
 * ({@link ChunkedDecoder}); a Content-Length body is not examined at all. The memory it works
 * in is the loop's; a connection keeps only its small {@link ParseState}. Loop thread only.
 */
public final class RequestParser {
    public static final long INCOMPLETE = -2;
    public static final long ERROR = -1;

    /** The request {@link #parse} completed (or whose head it completed); the loop's, reused. */
    public final RequestHead head = new RequestHead();
    private final ByteWindow window;
    private final HeadFields fields = new HeadFields();
    /** The heap this loop lends to decoded chunked bodies, within its budget. */
    final ChunkedBodies bodies;
    final int maxRequestLine;
    final int maxHeadBytes;
    final long maxBody;

    public RequestParser(int maxRequestLine, int maxHeadBytes, long maxBody) {
        this(maxRequestLine, maxHeadBytes, maxBody, ChunkedBodies.defaultBudget(maxBody));
    }

    RequestParser(int maxRequestLine, int maxHeadBytes, long maxBody, long chunkedBudget) {
        this.bodies = new ChunkedBodies(chunkedBudget);
        this.maxRequestLine = maxRequestLine;
        this.maxHeadBytes = maxHeadBytes;
        this.maxBody = maxBody;
        this.window = new ByteWindow(Math.max(16 * 1024, maxHeadBytes));
    }

    /** The bytes parsing has examined, and copied into the loop's window, so far (work, not time). */
    long[] work() {
        return new long[] {window.examined, window.copied};
    }

    /** Call once per delivery of bytes, before parsing in them: kept bytes move between deliveries. */
    public void beginDelivery() {
        window.forget();
    }

    /**
     * Parses on the request at {@code b[start]}. When this returns a length, {@link #head}
     * holds the whole request; when the head completed in this call, {@link #head} holds the
     * head (and {@code s.headComplete()} is true) even if the body is incomplete.
     */
    public long parse(MemorySegment b, long start, long end, ParseState<?> s) {
        boolean headNow = false;
        if (!s.headComplete()) {
            long h = HeadScanner.scan(b, start, end, s, window, maxRequestLine, maxHeadBytes);
            if (h < 0) {
                return h;
            }
            if (!readHead(b, start, s, (int) h)) {
                return ERROR;
            }
            s.contentLength = head.contentLength;
            s.chunked = head.chunked;
            s.http11 = head.http11;
            s.keepAlive = head.keepAlive;
            s.expectContinue = head.expectContinue;
            headNow = true;
        }
        long bodyStart = start + s.headLength;
        long wire;
        if (s.chunked) {
            if (s.decoder == null) {
                s.decoder = new ChunkedDecoder(maxBody, maxHeadBytes, bodies);
            }
            wire = s.decoder.decode(b, bodyStart, end, window);
            if (wire == ERROR) {
                s.errorStatus = s.decoder.errorStatus;
                s.decoder.reset(); // the connection closes: what it held is the loop's again now
                return ERROR;
            }
        } else {
            long need = Math.max(0, s.contentLength);
            wire = end - bodyStart >= need ? need : INCOMPLETE;
        }
        if (wire == INCOMPLETE) {
            return INCOMPLETE;
        }
        if (!headNow) {
            readHead(b, start, s, s.headLength); // the loop's request served others since: all of it again
        }
        head.bodyOffset = bodyStart;
        if (s.chunked) {
            head.chunkedBody = s.decoder.data();
            head.chunkedLength = s.decoder.length();
        }
        return s.headLength + wire;
    }

    private boolean readHead(MemorySegment b, long start, ParseState<?> s, int headLength) {
        s.headLength = headLength;
        int status = fields.read(b, start, s, window, head, maxBody);
        if (status != 0) {
            s.errorStatus = status;
            return false;
        }
        return true;
    }
}
