package io.ffpoll.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A strict reader of one flat JSON object (strings, integers, null), as the access log writes
 * them: enough to prove a line is JSON and read its fields back, escapes decoded. Anything
 * else (a trailing comma, a raw control character, a bad escape) throws.
 */
final class JsonLine {
    private final String s;
    private int i;

    private JsonLine(String s) {
        this.s = s;
    }

    static Map<String, Object> parse(String line) {
        JsonLine p = new JsonLine(line);
        Map<String, Object> fields = p.object();
        if (p.i != line.length()) {
            throw new IllegalArgumentException("text after the object at " + p.i + ": " + line);
        }
        return fields;
    }

    private Map<String, Object> object() {
        Map<String, Object> m = new LinkedHashMap<>();
        expect('{');
        if (peek() == '}') {
            i++;
            return m;
        }
        do {
            String key = string();
            expect(':');
            if (m.put(key, value()) != null) {
                throw new IllegalArgumentException("duplicate key " + key);
            }
        } while (next() == ',');
        i--;
        expect('}');
        return m;
    }

    private Object value() {
        char c = peek();
        if (c == '"') {
            return string();
        }
        if (s.startsWith("null", i)) {
            i += 4;
            return null;
        }
        int start = i;
        if (c == '-') {
            i++;
        }
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        if (i == start) {
            throw new IllegalArgumentException("no value at " + start + ": " + s);
        }
        return Long.parseLong(s.substring(start, i));
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        for (;;) {
            char c = next();
            if (c == '"') {
                return b.toString();
            }
            if (c < 0x20) {
                throw new IllegalArgumentException("raw control character in a string at " + (i - 1) + ": " + s);
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> throw new IllegalArgumentException("bad escape \\" + e + " in " + s);
            }
        }
    }

    private void expect(char c) {
        if (next() != c) {
            throw new IllegalArgumentException("expected '" + c + "' at " + (i - 1) + ": " + s);
        }
    }

    private char peek() {
        return s.charAt(i);
    }

    private char next() {
        return s.charAt(i++);
    }
}
