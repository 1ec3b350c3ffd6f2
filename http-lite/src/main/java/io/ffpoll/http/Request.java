package io.ffpoll.http;

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
    static final int MAX_HEADERS = 100;

    Request() {} // made by the parser (one per loop) and by detach

    MemorySegment buffer;
    long methodOffset;
    int methodLength;
    long targetOffset;
    int targetLength;
    boolean http11;
    int headerCount;
    long[] nameOffset = new long[16];
    int[] nameLength = new int[16];
    long[] valueOffset = new long[16];
    int[] valueLength = new int[16];
    long contentLength = -1;
    boolean chunked;
    boolean keepAlive;
    boolean expectContinue;
    long bodyOffset;     // for a Content-Length body: where it starts in the buffer
    byte[] chunkedBody;  // for a chunked body: decoded, in its first chunkedLength bytes
    int chunkedLength;
    InetSocketAddress remote;
    TlsInfo tls;
    String[] paramNames;  // the matched route's {name}s, or null
    String[] paramValues;
    private Map<String, List<String>> query; // parsed on first use

    /** Empties this request for a head of {@code owner}'s, taking what is the connection's from it. */
    void reset(MemorySegment buffer, ParseState owner) {
        this.buffer = buffer;
        remote = owner.remote;
        tls = owner.tls;
        paramNames = owner.paramNames;
        paramValues = owner.paramValues;
        headerCount = 0;
        contentLength = -1;
        chunked = false;
        keepAlive = false;
        expectContinue = false;
        chunkedBody = null;
        chunkedLength = 0;
        query = null;
    }

    void setPathParameters(String[] names, String[] values) {
        paramNames = names;
        paramValues = values;
    }

    boolean methodIs(byte[] m) {
        if (methodLength != m.length) {
            return false;
        }
        for (int i = 0; i < m.length; i++) {
            if (at(methodOffset + i) != m[i]) {
                return false;
            }
        }
        return true;
    }

    void addField(long name, int nameLen, long value, int valueLen) {
        int i = headerCount++;
        if (i == nameOffset.length) {
            int n = Math.min(MAX_HEADERS, i * 2);
            nameOffset = Arrays.copyOf(nameOffset, n);
            nameLength = Arrays.copyOf(nameLength, n);
            valueOffset = Arrays.copyOf(valueOffset, n);
            valueLength = Arrays.copyOf(valueLength, n);
        }
        nameOffset[i] = name;
        nameLength[i] = nameLen;
        valueOffset[i] = value;
        valueLength[i] = valueLen;
    }

    private String string(long offset, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, offset, b, 0, length);
        // Header values may carry obs-text; ISO-8859-1 maps every byte to one char.
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private byte at(long offset) {
        return buffer.get(ValueLayout.JAVA_BYTE, offset);
    }

    /** {@return the method, e.g. {@code GET}} */
    public String method() {
        return string(methodOffset, methodLength);
    }

    /**
     * The request target as sent, e.g. {@code /search?q=x}.
     *
     * @return the target
     */
    public String target() {
        return string(targetOffset, targetLength);
    }

    /**
     * The target's path: up to {@code ?}, without scheme and authority in absolute-form.
     *
     * @return the path
     */
    public String path() {
        int q = queryStart();
        int start = pathStart();
        return string(targetOffset + start, (q < 0 ? targetLength : q) - start);
    }

    /**
     * Where the path starts in the target: 0 in origin-form; after {@code scheme://authority}
     * in absolute-form (RFC 9112 3.2.2), which a server must accept.
     */
    int pathStart() {
        if (targetLength == 0 || at(targetOffset) == '/') {
            return 0;
        }
        int slashes = 0;
        for (int i = 0; i < targetLength; i++) {
            byte c = at(targetOffset + i);
            if (c == '/' && ++slashes == 3) {
                return i;
            }
            if (c == '?') {
                break;
            }
        }
        return targetLength; // an authority without a path: no route matches it
    }

    /**
     * The target after {@code ?}, or null.
     *
     * @return the query, or null
     */
    public String query() {
        int q = queryStart();
        return q < 0 ? null : string(targetOffset + q + 1, targetLength - q - 1);
    }

    int queryStart() {
        for (int i = 0; i < targetLength; i++) {
            if (at(targetOffset + i) == '?') {
                return i;
            }
        }
        return -1;
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
        if (paramNames != null) {
            for (int i = 0; i < paramNames.length; i++) {
                if (paramNames[i].equals(name)) {
                    return paramValues[i];
                }
            }
        }
        throw new IllegalArgumentException("the route has no path parameter '" + name + "'");
    }

    /**
     * The query's parameters, decoded ({@code %XX} as UTF-8, {@code +} as a space), in order,
     * with every value of a repeated key; a key without {@code =} has the value "". Empty
     * when there is no query. The map cannot be modified.
     *
     * @return parameter names to their values
     */
    public Map<String, List<String>> queryParameters() {
        if (query == null) {
            query = QueryString.parse(query());
        }
        return query;
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
        return remote;
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
        return tls;
    }

    /**
     * {@code "HTTP/1.1"} or {@code "HTTP/1.0"}.
     *
     * @return the version
     */
    public String version() {
        return http11 ? "HTTP/1.1" : "HTTP/1.0";
    }

    /** {@return the number of header fields} */
    public int headerCount() {
        return headerCount;
    }

    /**
     * The name of header field {@code i}.
     *
     * @param i the field's index, from 0
     * @return its name, as sent
     */
    public String headerName(int i) {
        java.util.Objects.checkIndex(i, headerCount);
        return string(nameOffset[i], nameLength[i]);
    }

    /**
     * The value of header field {@code i}.
     *
     * @param i the field's index, from 0
     * @return its value, without surrounding whitespace
     */
    public String headerValue(int i) {
        java.util.Objects.checkIndex(i, headerCount);
        return string(valueOffset[i], valueLength[i]);
    }

    /**
     * The first header named {@code name}, compared ignoring ASCII case on both sides, or null.
     *
     * @param name the name
     * @return the value, or null
     */
    public String header(String name) {
        for (int i = 0; i < headerCount; i++) {
            if (nameIs(i, name)) {
                return headerValue(i);
            }
        }
        return null;
    }

    private boolean nameIs(int i, String name) {
        if (nameLength[i] != name.length()) {
            return false;
        }
        long o = nameOffset[i];
        for (int k = 0; k < name.length(); k++) {
            if (Ascii.lower(at(o + k) & 0xFF) != Ascii.lower(name.charAt(k))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The body's length in bytes (0 when there is none).
     *
     * @return the length
     */
    public long bodyLength() {
        return chunkedBody != null ? chunkedLength : Math.max(0, contentLength);
    }

    /**
     * The body as a copy.
     *
     * @return a copy of the body
     */
    public byte[] body() {
        if (chunkedBody != null) {
            return Arrays.copyOf(chunkedBody, chunkedLength);
        }
        byte[] b = new byte[(int) bodyLength()];
        MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, bodyOffset, b, 0, b.length);
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
        if (chunkedBody != null) {
            return MemorySegment.ofArray(chunkedBody).asSlice(0, chunkedLength).asReadOnly();
        }
        return buffer.asSlice(bodyOffset, bodyLength()).asReadOnly();
    }

    /**
     * Whether the connection stays open after the response.
     *
     * @return whether the connection stays open after the response (HTTP/1.1 without Connection: close, or HTTP/1.0 with keep-alive)
     */
    public boolean keepAlive() {
        return keepAlive;
    }

    /**
     * A copy that owns its bytes, valid after the connection reads on.
     *
     * @return the copy
     */
    public Request detach() {
        Request d = new Request();
        long end = Math.max(targetOffset + targetLength, chunkedBody == null ? bodyOffset + bodyLength() : 0);
        for (int i = 0; i < headerCount; i++) {
            end = Math.max(end, valueOffset[i] + valueLength[i]);
        }
        d.buffer = MemorySegment.ofArray(buffer.asSlice(0, end).toArray(ValueLayout.JAVA_BYTE)).asReadOnly();
        d.methodOffset = methodOffset;
        d.methodLength = methodLength;
        d.targetOffset = targetOffset;
        d.targetLength = targetLength;
        d.http11 = http11;
        d.headerCount = headerCount;
        d.nameOffset = Arrays.copyOf(nameOffset, headerCount);
        d.nameLength = Arrays.copyOf(nameLength, headerCount);
        d.valueOffset = Arrays.copyOf(valueOffset, headerCount);
        d.valueLength = Arrays.copyOf(valueLength, headerCount);
        d.contentLength = contentLength;
        d.chunked = chunked;
        d.keepAlive = keepAlive;
        d.expectContinue = expectContinue;
        d.bodyOffset = bodyOffset;
        d.chunkedBody = chunkedBody == null ? null : Arrays.copyOf(chunkedBody, chunkedLength);
        d.chunkedLength = chunkedLength;
        d.remote = remote;
        d.tls = tls;
        d.paramNames = paramNames;
        d.paramValues = paramValues;
        return d;
    }

    @Override
    public String toString() {
        return method() + " " + target() + " " + version();
    }
}
