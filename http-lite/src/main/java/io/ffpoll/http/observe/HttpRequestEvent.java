package io.ffpoll.http.observe;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One HTTP request http-lite answered, as JFR records it: its duration runs from the moment
 * the request's head was parsed to the moment the response's last byte was queued. Off by
 * default (a busy server answers hundreds of thousands a second): turn it on with
 * {@code jfr configure}, a {@code .jfc} file, or {@code Recording.enable("ffpoll.HttpRequest")};
 * a threshold there keeps only the slow ones.
 *
 * <p>Public, in a package the module does not export: JFR instruments and registers an event
 * class of a named module wherever it lies, as long as the class is public
 * ({@code HttpRequestEventTest} records it on the class path, {@code ModulePathTest} on the
 * module path).
 */
@Name("ffpoll.HttpRequest")
@Label("HTTP Request")
@Category({"ffpoll", "HTTP"})
@Description("A request http-lite answered: method, route, status and body bytes, from its head parsed to its response queued")
@Enabled(false)
@StackTrace(false) // the loop's stack at the response says nothing about the request
public final class HttpRequestEvent extends Event {
    // One instance that is never committed: isEnabled() on it is how a loop asks, without
    // allocating, whether to make an event for the request at hand.
    private static final HttpRequestEvent PROBE = new HttpRequestEvent();

    @Label("Method")
    public String method;

    @Label("Path Template")
    @Description("The pattern of the route that matched, e.g. /users/{id}; for a request no route matched, its path")
    public String path;

    @Label("Status")
    public int status;

    @Label("Body Bytes")
    @Description("Bytes of the response's body sent (none for HEAD, 204 and 304), after gzip")
    @DataAmount
    public long bytes;

    /** {@return whether a recording has this event on now: one field read, no allocation} */
    public static boolean recording() {
        return PROBE.isEnabled();
    }
}
