package io.ffpoll.http;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Exact method + path routes, matched on the request's bytes without making Strings. A HEAD
 * request uses the GET route; a route for method {@code "*"} takes any method.
 */
final class Routes {
    record Route(byte[] method, byte[] path, HttpHandler handler, boolean blocking) {}

    private final List<Route> routes = new ArrayList<>();

    void add(String method, String path, HttpHandler handler, boolean blocking) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with '/': " + path);
        }
        routes.add(new Route(method.getBytes(StandardCharsets.US_ASCII), path.getBytes(StandardCharsets.US_ASCII),
                handler, blocking));
    }

    /** The route for {@code r}, or null. */
    Route find(Request r) {
        int q = r.queryStart();
        int pathStart = r.pathStart();
        int pathLength = (q < 0 ? r.targetLength : q) - pathStart;
        boolean head = matches(r.buffer, r.methodOffset, r.methodLength, HEAD);
        for (int i = 0; i < routes.size(); i++) {
            Route route = routes.get(i);
            if (matches(r.buffer, r.targetOffset + pathStart, pathLength, route.path)
                    && (route.method.length == 1 && route.method[0] == '*'
                    || matches(r.buffer, r.methodOffset, r.methodLength, route.method)
                    || head && matches(route.method, GET))) {
                return route;
            }
        }
        return null;
    }

    private static final byte[] HEAD = {'H', 'E', 'A', 'D'};
    private static final byte[] GET = {'G', 'E', 'T'};

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

    static boolean isHead(Request r) {
        return matches(r.buffer, r.methodOffset, r.methodLength, HEAD);
    }
}
