package io.ffpoll.http;

import io.ffpoll.http.internal.HttpAccess;
import io.ffpoll.http.internal.SegmentInputStream;
import io.ffpoll.http.parse.QueryString;
import io.ffpoll.http.parse.RequestHead;
import io.ffpoll.multiplexer.net.TlsInfo;

import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One parsed request. Method, target and headers are offsets into the connection's read
 * buffer until an accessor asks for a String, so parsing allocates nothing. The object a quick
 * handler gets belongs to the loop and is reused for the next request: it is valid only during
 * that call. Blocking and async handlers get a {@link #detach() detached} copy they may keep.
 *
 * <p>A Content-Length body stays in the connection's read buffer. A chunked body is decoded
 * into heap the loop lends it, and the chunked bodies in flight on one loop share a budget:
 * the system property {@code ffpoll.http.chunkedBodyBudget} (bytes per loop), by default a
 * quarter of the maximum heap divided by the number of processors, and never less than the
 * body limit. A request whose body would take the loop past it is answered 503 with
 * {@code Retry-After} and its connection closed; the heap is the loop's again once a request
 * is complete, so an idle connection holds none.
 */
public final class Request {
    static {
        HttpAccess.install(new HttpAccessBridge()); // the layers under the API reach its internals through it
    }

    // The request's bytes and where its parts are, as the parser left them: the loop's head,
    // reused for the next request, or a detached copy's own.
    final RequestHead head;

    Request(RequestHead head) { // one per loop, around its parser's head; and by detach
        this.head = head;
    }

    /** {@return the method, e.g. {@code GET}} */
    public String method() {
        return head.string(head.methodOffset, head.methodLength);
    }

    /**
     * The request target as sent, e.g. {@code /search?q=x}.
     *
     * @return the target
     */
    public String target() {
        return head.string(head.targetOffset, head.targetLength);
    }

    /**
     * The target's path: up to {@code ?}, without scheme and authority in absolute-form.
     *
     * @return the path
     */
    public String path() {
        return head.path();
    }

    /**
     * The target after {@code ?}, or null.
     *
     * @return the query, or null
     */
    public String query() {
        return head.query();
    }

    /**
     * The value of the route's path parameter {@code name} ({@code /users/{id}} and
     * {@code /users/42} give {@code pathParameter("id")} = "42"), percent-decoded as UTF-8.
     *
     * @param name a parameter of the matched route's pattern
     * @return its value, never empty
     * @throws IllegalArgumentException if the matched route has no such parameter
     */
    public String pathParameter(String name) {
        String[] names = head.paramNames;
        if (names != null) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(name)) {
                    return head.paramValues[i];
                }
            }
        }
        throw new IllegalArgumentException("the route has no path parameter '" + name + "'");
    }

    /**
     * The query's parameters, decoded ({@code %XX} as UTF-8, {@code +} as a space), in order,
     * with every value of a repeated key; a key without {@code =} has the value "". A pair
     * whose key or value is not valid percent-encoding ({@code %zz}, a {@code %} at the end) is
     * left out: a handler that must see every pair, or refuse a bad one, reads {@link #query()}
     * itself. Invalid UTF-8 decodes to U+FFFD. Empty when there is no query. The map cannot
     * be modified.
     *
     * @return parameter names to their values
     */
    public Map<String, List<String>> queryParameters() {
        if (head.queryParameters == null) {
            head.queryParameters = QueryString.parse(query());
        }
        return head.queryParameters;
    }

    /**
     * The first value of query parameter {@code name}, decoded, or null.
     *
     * @param name the parameter, as decoded
     * @return its first value, or null if absent
     */
    public String queryParameter(String name) {
        List<String> values = queryParameters().get(name);
        return values == null ? null : values.get(0);
    }

    /**
     * The client's address (for a proxied request, the proxy's). Null on a Unix-domain socket,
     * where a client has no IP address (and almost never a name): a proxy in front of a Unix
     * socket tells the client's address in its own headers (X-Forwarded-For, Forwarded).
     *
     * @return the peer of the connection the request came on, or null on a Unix socket
     */
    public InetSocketAddress remoteAddress() {
        return head.remote;
    }

    /**
     * What the TLS handshake of the connection this request came on settled: protocol, cipher
     * suite, ALPN, SNI name and the client's certificates (with
     * {@link io.ffpoll.multiplexer.net.TlsConfig.Builder#clientAuth}). Null for a request over
     * plain HTTP, so {@code request.tls() != null} tells an HTTPS request.
     *
     * @return the connection's TLS parameters, or null over plain HTTP
     */
    public TlsInfo tls() {
        return head.tls;
    }

    /**
     * {@code "HTTP/1.1"} or {@code "HTTP/1.0"}.
     *
     * @return the version
     */
    public String version() {
        return head.http11 ? "HTTP/1.1" : "HTTP/1.0";
    }

    /** {@return the number of header fields} */
    public int headerCount() {
        return head.headerCount;
    }

    /**
     * The name of header field {@code i}.
     *
     * @param i the field's index, from 0
     * @return its name, as sent
     */
    public String headerName(int i) {
        java.util.Objects.checkIndex(i, head.headerCount);
        return head.string(head.nameOffset[i], head.nameLength[i]);
    }

    /**
     * The value of header field {@code i}.
     *
     * @param i the field's index, from 0
     * @return its value, without surrounding whitespace
     */
    public String headerValue(int i) {
        java.util.Objects.checkIndex(i, head.headerCount);
        return head.string(head.valueOffset[i], head.valueLength[i]);
    }

    /**
     * The first header named {@code name}, compared ignoring ASCII case on both sides, or null.
     *
     * @param name the name
     * @return the value, or null
     */
    public String header(String name) {
        for (int i = 0; i < head.headerCount; i++) {
            if (head.nameIs(i, name)) {
                return headerValue(i);
            }
        }
        return null;
    }

    /**
     * Every line of the header named {@code name} as one value, the lines' values joined with
     * {@code ", "} in the order they came, or null if none came. RFC 9110 5.3: a list field
     * (If-None-Match, Accept-Encoding, Cache-Control...) sent on several lines means that one
     * list; {@link #header} gives the first line alone. For a field that is not a list, a joined
     * value of two lines is one the field's grammar refuses.
     *
     * @param name the name, compared ignoring ASCII case
     * @return the joined value, or null
     */
    public String headerList(String name) {
        String first = null;
        StringBuilder joined = null;
        for (int i = 0; i < head.headerCount; i++) {
            if (head.nameIs(i, name)) {
                if (first == null) {
                    first = headerValue(i);
                } else {
                    if (joined == null) {
                        joined = new StringBuilder(first);
                    }
                    joined.append(", ").append(headerValue(i));
                }
            }
        }
        return joined != null ? joined.toString() : first;
    }

    /**
     * How many lines of the header named {@code name} came.
     *
     * @param name the name, compared ignoring ASCII case
     * @return the count, 0 if none
     */
    public int headerLines(String name) {
        int n = 0;
        for (int i = 0; i < head.headerCount; i++) {
            if (head.nameIs(i, name)) {
                n++;
            }
        }
        return n;
    }

    /**
     * The body's length in bytes (0 when there is none).
     *
     * @return the length
     */
    public long bodyLength() {
        return head.bodyLength();
    }

    /**
     * The body as a copy.
     *
     * @return a copy of the body
     */
    public byte[] body() {
        if (head.chunkedBody != null) {
            return Arrays.copyOf(head.chunkedBody, head.chunkedLength);
        }
        byte[] b = new byte[(int) bodyLength()];
        MemorySegment.copy(head.buffer, ValueLayout.JAVA_BYTE, head.bodyOffset, b, 0, b.length);
        return b;
    }

    /**
     * The body as a stream, without copying it; valid as long as the request is (a detached
     * request's always).
     *
     * @return a stream of the body's bytes
     */
    public InputStream bodyStream() {
        return new SegmentInputStream(bodySegment());
    }

    /**
     * The body without copying, read-only; valid as long as the request is.
     *
     * @return a read-only view of the body
     */
    public MemorySegment bodySegment() {
        if (head.chunkedBody != null) {
            return MemorySegment.ofArray(head.chunkedBody).asSlice(0, head.chunkedLength).asReadOnly();
        }
        return head.buffer.asSlice(head.bodyOffset, bodyLength()).asReadOnly();
    }

    /**
     * Whether the connection stays open after the response.
     *
     * @return whether the connection stays open after the response (HTTP/1.1 without Connection: close, or HTTP/1.0 with keep-alive)
     */
    public boolean keepAlive() {
        return head.keepAlive;
    }

    /**
     * A copy that owns its bytes, valid after the connection reads on.
     *
     * @return the copy
     */
    public Request detach() {
        return new Request(head.copy());
    }

    @Override
    public String toString() {
        return method() + " " + target() + " " + version();
    }
}
