package io.ffpoll.http.serve;

import io.ffpoll.http.Response;
import io.ffpoll.http.observe.AccessLogWriter;
import io.ffpoll.http.observe.RequestRecord;
import io.ffpoll.http.parse.ParseState;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The connection's hook for the access log and the JFR event: with both off it is a check that
 * allocates nothing; with the log on, a record of the request's bytes, taken before the head's
 * buffer is reused, becomes its line.
 */
class RequestTracesTest {
    private static LoopState loop(AccessLogWriter log) {
        Duration d = Duration.ofSeconds(30);
        Routes routes = new Routes();
        routes.add("GET", "/users/{id}", r -> Response.text(200, "x"), false);
        return new LoopState(null, new ServerConfig(routes, null, 8192, 16384, 1 << 20, 10, d, d, d, null, 1 << 20, 1 << 20, log),
                new ConnectionLimit(10));
    }

    @Test
    void offItAllocatesNothing() {
        LoopState off = loop(null);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        // The best of five windows: a window can catch a one-off allocation of the JIT's; one
        // object per call would show in every window, 16 bytes or more a call.
        long allocated = Long.MAX_VALUE;
        for (int window = 0; window < 5 && allocated != 0; window++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10_000; i++) {
                RequestRecord r = RequestTraces.begin(off, off.parser.head, null);
                RequestTraces.end(off, r, 200, 5);
                if (r != null) {
                    throw new AssertionError("a record while nothing observes");
                }
            }
            allocated = Math.min(allocated, threads.getCurrentThreadAllocatedBytes() - before);
        }
        assertEquals(0, allocated, "10,000 requests' hooks allocated " + allocated + " bytes, in the best of five windows");
    }

    @Test
    void onTheRecordKeepsTheRequestsBytesAfterTheBufferIsReused() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AccessLogWriter log = new AccessLogWriter(out, false, false, 16, "a test's buffer");
        LoopState on = loop(log);
        byte[] request = "GET /users/42?x=1 HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        ParseState<Routes.Route> state = new ParseState<>();
        on.parser.beginDelivery();
        assertEquals(request.length, on.parser.parse(MemorySegment.ofArray(request), 0, request.length, state));
        Routes.Route route = on.config.routes().find(on.parser.head);
        RequestRecord r = RequestTraces.begin(on, on.parser.head, route);
        java.util.Arrays.fill(request, (byte) 'Z'); // the next request's bytes, where this one's were
        assertEquals("/users/{id}", r.route);
        RequestTraces.end(on, r, 200, 1);
        log.closeAsync().get();
        String line = out.toString(StandardCharsets.UTF_8);
        assertTrue(line.matches("- - - \\[.*] \"GET /users/42\\?x=1 HTTP/1\\.0\" 200 1\n"), line);
        assertNull(RequestTraces.unparsed(loop(null), null), "off: nothing for an unparsed request either");
    }
}
