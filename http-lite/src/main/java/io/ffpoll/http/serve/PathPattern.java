package io.ffpoll.http.serve;

import io.ffpoll.http.parse.QueryString;

/** Matching a path against a pattern's segments ({@code users}, {@code {id}}), with decoding. */
final class PathPattern {
    private PathPattern() {}

    /** The parameter names of {@code segments}, in order. */
    static String[] names(String[] segments) {
        int n = 0;
        for (String s : segments) {
            if (s.startsWith("{")) {
                n++;
            }
        }
        String[] names = new String[n];
        int i = 0;
        for (String s : segments) {
            if (s.startsWith("{")) {
                names[i++] = s.substring(1, s.length() - 1);
            }
        }
        return names;
    }

    /** The decoded parameter values if {@code path} matches, else null. A parameter is never empty. */
    static String[] match(String[] segments, String path) {
        if (path.isEmpty() || path.charAt(0) != '/') {
            return null;
        }
        int params = 0;
        for (String s : segments) {
            if (s.startsWith("{")) {
                params++;
            }
        }
        String[] values = new String[params];
        int v = 0;
        int pos = 1;
        for (int i = 0; i < segments.length; i++) {
            int end = path.indexOf('/', pos);
            if (end < 0) {
                end = path.length();
            }
            if (i == segments.length - 1 && end != path.length()) {
                return null; // the path has more segments
            }
            if (i < segments.length - 1 && end == path.length()) {
                return null; // the path has fewer segments
            }
            String segment = path.substring(pos, end);
            String pattern = segments[i];
            if (pattern.startsWith("{")) {
                if (segment.isEmpty()) {
                    return null;
                }
                String decoded = QueryString.decode(segment, false);
                if (decoded == null) {
                    return null; // malformed percent-encoding: not this route
                }
                values[v++] = decoded;
            } else if (!pattern.equals(segment)) {
                return null;
            }
            pos = end + 1;
        }
        return values;
    }
}
