package io.ffpoll.http.parse;

/**
 * Where one connection is in parsing its current request, so that bytes arriving one at a time
 * are each examined a bounded number of times. Offsets are relative to the request's first
 * byte, which stays the first byte the connection keeps until the request is consumed. Small
 * and reused: nothing else about a request is kept between reads. {@code R} is what the server
 * resolves a request to (its route), kept here for it.
 */
public final class ParseState<R> {
    // The head scan (HeadScanner), until the head is complete.
    byte scan;
    int scanned;        // bytes of this request examined so far
    int lineStart;      // the request line's first byte (after empty lines)
    int methodEnd;
    int targetStart;
    int targetEnd;
    int requestLineEnd; // after its CRLF
    int fields;
    byte major;
    byte minor;
    // Once the head is complete (HeadFields).
    int headLength;     // 0 while the head is incomplete
    long contentLength = -1;
    boolean chunked;
    public boolean http11;
    boolean keepAlive;
    public boolean expectContinue;
    public boolean continueSent;
    public R route;        // resolved when the head completes (null: no route)
    public boolean routed;
    // What the request is to this connection rather than in its bytes. The parser fills the
    // loop's shared RequestHead again when a body completes in a later read, after other
    // connections used it: RequestHead.reset takes these from here every time, so a handler never
    // sees another connection's peer or path parameters.
    public java.net.InetSocketAddress remote; // the connection's, for all its requests
    public io.ffpoll.multiplexer.net.TlsInfo tls; // the connection's handshake, null over plain TCP
    String[] paramNames;   // the route's {name}s and their values, once routed
    String[] paramValues;
    ChunkedDecoder decoder; // made for the first chunked body, then reused; holds no bytes between requests
    public int errorStatus;

    /** Records the route found for the request the shared {@code r} holds now, with its path parameters. */
    public void routed(R found, RequestHead r) {
        route = found;
        routed = true;
        paramNames = r.paramNames;
        paramValues = r.paramValues;
    }

    /** Nothing of a request seen since {@link #reset} (or since it was made). */
    public boolean isFresh() {
        return scanned == 0 && headLength == 0;
    }

    public boolean headComplete() {
        return headLength > 0;
    }

    /** Ready for the next request. */
    public void reset() {
        scan = 0;
        scanned = 0;
        lineStart = 0;
        fields = 0;
        headLength = 0;
        contentLength = -1;
        chunked = false;
        expectContinue = false;
        continueSent = false;
        route = null;
        routed = false;
        paramNames = null;
        paramValues = null;
        if (decoder != null) {
            decoder.reset();
        }
    }
}
