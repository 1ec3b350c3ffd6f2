package io.ffpoll.http.parse;

import io.ffpoll.multiplexer.net.TlsInfo;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A request as the parser leaves it: method, target and headers as offsets into the
 * connection's read buffer, so parsing allocates nothing, the body's place or its decoded
 * bytes, and what the request is to its connection (peer, TLS, the route's path parameters).
 * The parser fills one per loop, reused for the next request; a {@link io.ffpoll.http.Request}
 * reads it. {@link #copy()} makes one that owns its bytes. Loop thread only, unless copied.
 */
public final class RequestHead {
    public static final int MAX_HEADERS = 100;

    public MemorySegment buffer;
    public long methodOffset;
    public int methodLength;
    public long targetOffset;
    public int targetLength;
    public boolean http11;
    public int headerCount;
    public long[] nameOffset = new long[16];
    public int[] nameLength = new int[16];
    public long[] valueOffset = new long[16];
    public int[] valueLength = new int[16];
    public long contentLength = -1;
    public boolean chunked;
    public boolean keepAlive;
    public boolean expectContinue;
    public long bodyOffset;     // for a Content-Length body: where it starts in the buffer
    public byte[] chunkedBody;  // for a chunked body: decoded, in its first chunkedLength bytes
    public int chunkedLength;
    public InetSocketAddress remote;
    public TlsInfo tls;
    public String[] paramNames;  // the matched route's {name}s, or null
    public String[] paramValues;
    public Map<String, List<String>> queryParameters; // parsed on first use

    /** Empties this head for a head of {@code owner}'s, taking what is the connection's from it. */
    public void reset(MemorySegment buffer, ParseState<?> owner) {
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
        queryParameters = null;
    }

    public void setPathParameters(String[] names, String[] values) {
        paramNames = names;
        paramValues = values;
    }

    public boolean methodIs(byte[] m) {
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

    public String string(long offset, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, offset, b, 0, length);
        // Header values may carry obs-text; ISO-8859-1 maps every byte to one char.
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    public byte at(long offset) {
        return buffer.get(ValueLayout.JAVA_BYTE, offset);
    }

    /** {@return the target's path: up to {@code ?}, without scheme and authority in absolute-form} */
    public String path() {
        int q = queryStart();
        int start = pathStart();
        return string(targetOffset + start, (q < 0 ? targetLength : q) - start);
    }

    /**
     * Where the path starts in the target: 0 in origin-form; after {@code scheme://authority}
     * in absolute-form (RFC 9112 3.2.2), which a server must accept.
     */
    public int pathStart() {
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

    /** {@return the target after {@code ?}, or null} */
    public String query() {
        int q = queryStart();
        return q < 0 ? null : string(targetOffset + q + 1, targetLength - q - 1);
    }

    public int queryStart() {
        for (int i = 0; i < targetLength; i++) {
            if (at(targetOffset + i) == '?') {
                return i;
            }
        }
        return -1;
    }

    /** Whether field {@code i}'s name is {@code name}, ignoring ASCII case on both sides. */
    public boolean nameIs(int i, String name) {
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

    /** {@return the body's length in bytes (0 when there is none)} */
    public long bodyLength() {
        return chunkedBody != null ? chunkedLength : Math.max(0, contentLength);
    }

    /** {@return a copy that owns its bytes, valid after the connection reads on} */
    public RequestHead copy() {
        RequestHead d = new RequestHead();
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
}
