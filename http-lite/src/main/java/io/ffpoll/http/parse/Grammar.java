package io.ffpoll.http.parse;

/**
 * Byte classes of the HTTP grammar (RFC 9110 5.6.2 token, 5.5 field values; RFC 9112 3.2
 * request-target) as lookup tables, and the Host syntax of RFC 3986 3.2.2.
 */
public final class Grammar {
    /** tchar: the bytes of a token (method, field name, chunk-ext name). */
    public static final boolean[] TCHAR = new boolean[256];
    /** field-vchar, SP and HTAB: the bytes of a field value (obs-text included). */
    static final boolean[] FIELD = new boolean[256];
    /**
     * The bytes of a request-target: visible ASCII and obs-text (no CTL, SP or DEL), but not
     * '#': a fragment is never sent (RFC 9110 7.1). The other bytes RFC 3986 leaves out ({@code
     * " < > \ ^ ` { | }} and obs-text) pass, as nginx lets them: clients send them raw.
     */
    static final boolean[] TARGET = new boolean[256];
    /** qdtext of a quoted-string (RFC 9110 5.6.4). */
    static final boolean[] QDTEXT = new boolean[256];
    /** unreserved, sub-delims (RFC 3986 2.2, 2.3): the bytes of a reg-name besides pct-encoded. */
    private static final boolean[] REG_NAME = new boolean[256];

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
        for (int c = 0x21; c < 256; c++) {
            FIELD[c] = c != 0x7F;
            TARGET[c] = c != 0x7F;
            QDTEXT[c] = c != 0x7F && c != '"' && c != '\\';
        }
        TARGET['#'] = false;
        FIELD[' '] = true;
        FIELD['\t'] = true;
        QDTEXT[' '] = true;
        QDTEXT['\t'] = true;
        for (int c = 0; c < 128; c++) {
            REG_NAME[c] = Character.isLetterOrDigit(c) || "-._~!$&'()*+,;=".indexOf(c) >= 0;
        }
    }

    private Grammar() {}

    static boolean isHexDigit(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    static int hexValue(int c) {
        return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    }

    /**
     * Whether {@code v[from, to)} is a Host field value: {@code uri-host [ ":" port ]}, where
     * uri-host is an IP-literal in brackets, or a reg-name (which covers IPv4 addresses) of
     * unreserved characters, pct-encodings and sub-delims; port is digits. Empty is allowed
     * (RFC 9112 3.2: a target without an authority is sent with an empty Host). No whitespace,
     * no userinfo ("@"), no path.
     */
    static boolean isHost(byte[] v, int from, int to) {
        int p = from;
        if (p < to && v[p] == '[') {
            int close = p + 1;
            while (close < to && v[close] != ']') {
                close++;
            }
            if (close == to || !isIpLiteral(v, p + 1, close)) {
                return false;
            }
            p = close + 1;
        } else {
            while (p < to && v[p] != ':') {
                int c = v[p] & 0xFF;
                if (c == '%') {
                    if (p + 2 >= to || !isHexDigit(v[p + 1]) || !isHexDigit(v[p + 2])) {
                        return false;
                    }
                    p += 3;
                } else if (REG_NAME[c]) {
                    p++;
                } else {
                    return false;
                }
            }
        }
        if (p == to) {
            return true;
        }
        if (v[p] != ':') {
            return false;
        }
        for (p++; p < to; p++) {
            if (v[p] < '0' || v[p] > '9') {
                return false;
            }
        }
        return true;
    }

    /** IPv6address (hex digits, colons, and a dotted IPv4 tail) or IPvFuture, between the brackets. */
    private static boolean isIpLiteral(byte[] v, int from, int to) {
        if (from == to) {
            return false;
        }
        if (v[from] == 'v' || v[from] == 'V') { // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
            int p = from + 1;
            int hex = p;
            while (p < to && isHexDigit(v[p])) {
                p++;
            }
            if (p == hex || p == to || v[p] != '.' || p + 1 == to) {
                return false;
            }
            for (p++; p < to; p++) {
                int c = v[p] & 0xFF;
                if (c != ':' && (c >= 128 || !REG_NAME[c])) {
                    return false;
                }
            }
            return true;
        }
        int colons = 0;
        for (int p = from; p < to; p++) {
            int c = v[p] & 0xFF;
            if (c == ':') {
                colons++;
            } else if (!isHexDigit(c) && c != '.') {
                return false;
            }
        }
        return colons >= 2;
    }
}
