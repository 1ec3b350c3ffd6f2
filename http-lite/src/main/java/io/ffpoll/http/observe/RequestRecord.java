package io.ffpoll.http.observe;

import java.net.InetSocketAddress;

/**
 * What the access log and the JFR event keep of one request, from its head being parsed to its
 * response's end. Made on the loop only while one of them is on, filled there, then handed to
 * the access log's writer thread through its queue (which publishes it) and never touched on
 * the loop again.
 */
public final class RequestRecord {
    /** The method and target as sent, one after the other (no space); null for a request that could not be parsed. */
    public final byte[] line;
    public final int methodLength;
    public final boolean http11;
    public final InetSocketAddress remote; // null on a Unix socket
    public final String route;             // the matched route's pattern, or null
    public final long startNanos;
    public final HttpRequestEvent event;   // null unless JFR records it
    // Set when the response ends.
    public long endMillis;
    public long durationNanos;
    public int status;
    public long bytes;

    public RequestRecord(byte[] line, int methodLength, boolean http11, InetSocketAddress remote, String route,
                         HttpRequestEvent event) {
        this.line = line;
        this.methodLength = methodLength;
        this.http11 = http11;
        this.remote = remote;
        this.route = route;
        this.event = event;
        this.startNanos = System.nanoTime();
        if (event != null) {
            event.begin();
        }
    }

    /** The response is out (or as much of it as will be): the figures, and the event committed. */
    public void end(int status, long bytes) {
        this.status = status;
        this.bytes = bytes;
        this.durationNanos = System.nanoTime() - startNanos;
        this.endMillis = System.currentTimeMillis();
        HttpRequestEvent e = event;
        if (e != null) {
            e.end();
            if (e.shouldCommit()) { // past the recording's threshold, if it set one
                e.method = line == null ? null : new String(line, 0, methodLength, java.nio.charset.StandardCharsets.US_ASCII);
                e.status = status;
                e.bytes = bytes;
                e.commit();
            }
        }
    }

    /** {@return the bytes of the request line it keeps, for the access log's bound on what waits} */
    public int lineBytes() {
        return line == null ? 0 : line.length;
    }

    /** {@return "HTTP/1.1" or "HTTP/1.0"} */
    public String protocol() {
        return http11 ? "HTTP/1.1" : "HTTP/1.0";
    }
}
