package io.ffpoll.http.parse;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decoding of query strings ({@code a=1&b=x+y&a=2}, as HTML forms send them: {@code +} is a
 * space) and of percent-encoded path segments (RFC 3986 2.1), as UTF-8.
 */
public final class QueryString {
    private QueryString() {}

    /**
     * {@code s} with %XX sequences (and, for a query, {@code +}) decoded as UTF-8; null if a %
     * is not followed by two hex digits. Malformed UTF-8 becomes U+FFFD.
     */
    public static String decode(String s, boolean plusIsSpace) {
        if (s.indexOf('%') < 0 && (!plusIsSpace || s.indexOf('+') < 0)) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    return null;
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c == '+' && plusIsSpace) {
                out.write(' ');
            } else if (c < 256) {
                out.write(c); // the request's own bytes (its Strings are ISO-8859-1)
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * Every parameter of {@code query} (null: none), decoded, in order, repeated keys kept; a
     * key without {@code =} has the value "". Pairs that do not decode are skipped.
     */
    public static Map<String, List<String>> parse(String query) {
        if (query == null || query.isEmpty()) {
            return Collections.emptyMap();
        }
        Map<String, List<String>> params = new LinkedHashMap<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq), true);
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1), true);
            if (key != null && value != null) {
                params.computeIfAbsent(key, k -> new ArrayList<>(1)).add(value);
            }
        }
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            e.setValue(List.copyOf(e.getValue()));
        }
        return Collections.unmodifiableMap(params);
    }
}
