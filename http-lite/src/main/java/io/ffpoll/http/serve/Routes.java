package io.ffpoll.http.serve;

import io.ffpoll.http.AsyncHttpHandler;
import io.ffpoll.http.HttpHandler;
import io.ffpoll.http.Response;
import io.ffpoll.http.parse.Grammar;
import io.ffpoll.http.parse.RequestHead;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The server's routes, matched on the request's bytes. In order: exact paths (no String is
 * made: the fast path); then patterns with {@code {name}} segments, in the order they were
 * added; then prefixes ({@code /static/*}), longest first; then the fallback, else 404. A
 * route's method must match too: a HEAD request uses the GET route, method {@code "*"} takes
 * any. When routes match the path but none the method, the answer is 405 with {@code Allow}
 * (RFC 9110 15.5.6). A method neither RFC 9110 (nor RFC 5789's PATCH) nor any route names gets
 * 501 wherever it is sent (RFC 9110 9.1), unless a fallback handler was set: that takes
 * whatever no route took.
 */
public final class Routes {
    /**
     * {@code handler} answers on the loop, or on a virtual thread if {@code blocking}; or, when
     * {@code async} is set instead, with a stage. {@code rejects}: the built-in 404 or a 405,
     * answered without reading a body.
     */
    record Route(byte[] method, String pattern, HttpHandler handler, AsyncHttpHandler async, boolean blocking,
                 boolean rejects) {
        boolean takes(RequestHead r) {
            return method.length == 1 && method[0] == '*' || r.methodIs(method) || r.methodIs(HEAD) && matches(method, GET);
        }

        /** {@code "GET /users/{id} (com.example.Users)"}, for diagnostics. */
        String describe() {
            Object h = async != null ? async : handler;
            return new String(method, java.nio.charset.StandardCharsets.US_ASCII) + " "
                    + (pattern == null ? "(no route)" : pattern) + " (" + h.getClass().getName() + ")";
        }
    }

    private static final byte[] HEAD = {'H', 'E', 'A', 'D'};
    private static final byte[] GET = {'G', 'E', 'T'};
    private static final Response NOT_FOUND_RESPONSE = Response.text(404, "Not Found\n");
    private static final Route NOT_FOUND = new Route(new byte[] {'*'}, null, r -> NOT_FOUND_RESPONSE, null, false, true);
    private static final Response NOT_IMPLEMENTED_RESPONSE = Response.text(501, "Not Implemented\n");
    private static final Route NOT_IMPLEMENTED =
            new Route(new byte[] {'*'}, null, r -> NOT_IMPLEMENTED_RESPONSE, null, false, true);

    private final List<Route> exact = new ArrayList<>();
    private final List<byte[]> exactPaths = new ArrayList<>();
    private final List<Route> patterns = new ArrayList<>();
    private final List<String[]> patternSegments = new ArrayList<>();
    private final List<Route> prefixes = new ArrayList<>();
    private Route fallback = NOT_FOUND;
    // The methods the server knows: RFC 9110's, PATCH, and every route's own.
    private final List<byte[]> knownMethods = new ArrayList<>(java.util.stream.Stream.of(
            "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
            .map(m -> m.getBytes(StandardCharsets.US_ASCII)).toList());

    public void add(String method, String path, HttpHandler handler, boolean blocking) {
        add(method, path, java.util.Objects.requireNonNull(handler, "handler"), null, blocking);
    }

    public void addAsync(String method, String path, AsyncHttpHandler handler) {
        add(method, path, null, java.util.Objects.requireNonNull(handler, "handler"), false);
    }

    private void add(String method, String path, HttpHandler handler, AsyncHttpHandler async, boolean blocking) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with '/': " + path);
        }
        if (method.isEmpty() || !method.equals("*") && !method.chars().allMatch(c -> c < 128 && Grammar.TCHAR[c])) {
            throw new IllegalArgumentException("invalid method '" + method + "'");
        }
        if (path.indexOf('*') >= 0 && !path.endsWith("/*") || path.indexOf('*') != path.lastIndexOf('*')) {
            throw new IllegalArgumentException("'*' ends a prefix path (/static/*) and appears nowhere else: " + path);
        }
        String shape = shape(path);
        for (List<Route> kind : List.of(exact, patterns, prefixes)) {
            for (Route r : kind) {
                String other = new String(r.method(), StandardCharsets.US_ASCII);
                if (shape(r.pattern()).equals(shape) && (other.equals(method) || other.equals("*") || method.equals("*"))) {
                    // The first would take every request the second asks for: it would never run.
                    throw new IllegalArgumentException("a " + other + " route for " + r.pattern() + " takes the "
                            + method + " requests for " + path + " already");
                }
            }
        }
        Route route = new Route(method.getBytes(StandardCharsets.US_ASCII), path, handler, async, blocking, false);
        if (!method.equals("*") && knownMethods.stream().noneMatch(m -> Arrays.equals(m, route.method()))) {
            knownMethods.add(route.method());
        }
        if (path.endsWith("/*")) {
            prefixes.add(route);
            prefixes.sort(Comparator.comparingInt((Route p) -> p.pattern().length()).reversed());
        } else if (path.contains("{")) {
            String[] segments = path.substring(1).split("/", -1);
            for (String s : segments) {
                if (s.startsWith("{") != s.endsWith("}") || s.startsWith("{") && s.length() < 3) {
                    throw new IllegalArgumentException("a path parameter is a whole segment, {name}: " + path);
                }
            }
            patterns.add(route);
            patternSegments.add(segments);
        } else {
            exact.add(route);
            exactPaths.add(path.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The server's compression (null: off), for the static-file routes, which compress as they read. */
    public void compression(Compression compression) {
        for (Route r : prefixes) {
            if (r.handler() instanceof ServerBound files) {
                files.compression(compression);
            }
        }
    }

    /** A path with its parameters' names taken out: /u/{id} and /u/{name} match the same requests. */
    private static String shape(String path) {
        return path.replaceAll("\\{[^/]*}", "{}");
    }

    /** The server stopped: the static-file routes close their directories. */
    public void close() {
        for (Route r : prefixes) {
            if (r.handler() instanceof ServerBound files) {
                files.close();
            }
        }
    }

    public void fallback(HttpHandler handler, boolean blocking) {
        fallback = new Route(new byte[] {'*'}, null, java.util.Objects.requireNonNull(handler, "handler"), null, blocking, false);
    }

    /** The route for {@code r}: a match (its path parameters set on {@code r}), a 405, or the fallback. */
    Route find(RequestHead r) {
        int q = r.queryStart();
        int start = r.pathStart();
        long pathOffset = r.targetOffset + start;
        int pathLength = (q < 0 ? r.targetLength : q) - start;
        Set<String> allowed = null;
        for (int i = 0; i < exact.size(); i++) {
            if (matches(r.buffer, pathOffset, pathLength, exactPaths.get(i))) {
                Route route = exact.get(i);
                if (route.takes(r)) {
                    return route;
                }
                allowed = allow(allowed, route);
            }
        }
        if (!patterns.isEmpty() || !prefixes.isEmpty()) {
            String path = r.path();
            for (int i = 0; i < patterns.size(); i++) {
                String[] values = PathPattern.match(patternSegments.get(i), path);
                if (values != null) {
                    Route route = patterns.get(i);
                    if (route.takes(r)) {
                        r.setPathParameters(PathPattern.names(patternSegments.get(i)), values);
                        return route;
                    }
                    allowed = allow(allowed, route);
                }
            }
            for (Route route : prefixes) {
                String prefix = route.pattern().substring(0, route.pattern().length() - 1); // keeps the '/'
                if (path.startsWith(prefix) || path.equals(prefix.substring(0, prefix.length() - 1))) {
                    if (route.takes(r)) {
                        return route;
                    }
                    allowed = allow(allowed, route);
                }
            }
        }
        if (allowed != null && !knows(r)) {
            return NOT_IMPLEMENTED; // not a method another would allow here: unknown anywhere
        }
        if (allowed != null) {
            String allow = String.join(", ", allowed);
            Response response = Response.text(405, "Method Not Allowed\n").withHeader("Allow", allow);
            return new Route(new byte[] {'*'}, null, req -> response, null, false, true);
        }
        if (fallback == NOT_FOUND && !knows(r)) {
            return NOT_IMPLEMENTED;
        }
        return fallback;
    }

    /** Whether {@code r}'s method is one the server knows (methods are case-sensitive: "get" is not GET). */
    private boolean knows(RequestHead r) {
        for (int i = 0; i < knownMethods.size(); i++) {
            if (r.methodIs(knownMethods.get(i))) {
                return true;
            }
        }
        return false;
    }

    private static Set<String> allow(Set<String> allowed, Route route) {
        Set<String> s = allowed == null ? new TreeSet<>() : allowed;
        String m = new String(route.method(), StandardCharsets.US_ASCII);
        s.add(m);
        if (m.equals("GET")) {
            s.add("HEAD");
        }
        return s;
    }

    private static boolean matches(byte[] a, byte[] b) {
        return java.util.Arrays.equals(a, b);
    }

    private static boolean matches(MemorySegment s, long offset, int length, byte[] expected) {
        if (length != expected.length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, offset + i) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    static boolean isHead(RequestHead r) {
        return r.methodIs(HEAD);
    }
}
