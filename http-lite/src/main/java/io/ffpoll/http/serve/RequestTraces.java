package io.ffpoll.http.serve;

import io.ffpoll.http.Response;
import io.ffpoll.http.internal.HttpAccess;
import io.ffpoll.http.observe.AccessLogWriter;
import io.ffpoll.http.observe.HttpRequestEvent;
import io.ffpoll.http.observe.RequestRecord;
import io.ffpoll.http.parse.RequestHead;
import io.ffpoll.multiplexer.observe.JfrSwitch;
import io.ffpoll.multiplexer.net.Connection;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The one place a connection tells what it answered, for the access log and the
 * {@code ffpoll.HttpRequest} JFR event: {@link #begin} when a request's head is parsed,
 * {@link #end} when its response is out. With the log off and no recording of the event, begin
 * is a null check and one or two field reads and returns null, and end gets null: nothing is
 * allocated per request. The event class is not touched until the recorder runs
 * ({@link JfrSwitch}): its first touch loads JFR. A connection has at most one request traced at a time (it reads no further
 * request until a response is out), so a field of its own holds it.
 */
final class RequestTraces {
    private static final HttpAccess HTTP = HttpAccess.get();

    private RequestTraces() {}

    /** Loads the event class, and JFR's classes with it: for {@link JfrSwitch#whenRecorderStarts}. */
    static void preloadEvents() {
        HttpRequestEvent.recording();
    }

    /** A record of the request {@code head} holds now, routed to {@code route}; null when nothing observes requests. */
    static RequestRecord begin(LoopState loop, RequestHead head, Routes.Route route) {
        boolean jfr = JfrSwitch.on() && HttpRequestEvent.recording();
        if (loop.config.accessLog() == null && !jfr) {
            return null;
        }
        // Copied now: the head's bytes are the next request's once this one is consumed.
        byte[] line = new byte[head.methodLength + head.targetLength];
        MemorySegment.copy(head.buffer, ValueLayout.JAVA_BYTE, head.methodOffset, line, 0, head.methodLength);
        MemorySegment.copy(head.buffer, ValueLayout.JAVA_BYTE, head.targetOffset, line, head.methodLength, head.targetLength);
        HttpRequestEvent event = null;
        if (jfr) {
            event = new HttpRequestEvent();
            event.path = route.pattern() != null ? route.pattern() : head.path(); // no route: the path itself
        }
        return new RequestRecord(line, head.methodLength, head.http11, head.remote, route.pattern(), event);
    }

    /** A record of a request that could not be parsed (or did not arrive in time): its line unknown. */
    static RequestRecord unparsed(LoopState loop, Connection c) {
        boolean jfr = JfrSwitch.on() && HttpRequestEvent.recording();
        if (loop.config.accessLog() == null && !jfr) {
            return null;
        }
        return new RequestRecord(null, 0, true, c.remoteAddress(), null, jfr ? new HttpRequestEvent() : null);
    }

    /** {@code r}'s response is out: {@code status}, {@code bytes} of body. Nothing for null. */
    static void end(LoopState loop, RequestRecord r, int status, long bytes) {
        if (r == null) {
            return;
        }
        r.end(status, bytes);
        AccessLogWriter log = loop.config.accessLog();
        if (log != null) {
            log.offer(r); // the record is the writer's from here on
        }
    }

    /** The body bytes a fixed or file response sends: none for HEAD, 204 and 304. */
    static long bodyBytes(Response r, boolean head) {
        return head || !HTTP.hasContent(r) ? 0 : HTTP.length(r);
    }
}
