package io.ffpoll.http.serve;

import io.ffpoll.http.ErrorHandler;
import io.ffpoll.http.Request;
import io.ffpoll.http.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls a route's handler on behalf of a connection: a handler that throws or returns null costs
 * its request a response from the server's error handler, else a 500, and never the connection
 * or the loop. Logged under the connection's logger, where the failures were always logged.
 */
final class HandlerCalls {
    private static final Logger LOG = LoggerFactory.getLogger(HttpConnection.class);
    static final Response INTERNAL_ERROR = Response.text(500, "Internal Server Error\n");

    private HandlerCalls() {}

    /** The handler's response; if it threw (or returned null), what {@link #failed} says. */
    static Response handle(Routes.Route route, Request r, ErrorHandler onError) {
        try {
            Response response = route.handler().handle(r);
            if (response == null) {
                throw new IllegalStateException("handler returned null");
            }
            return response;
        } catch (Throwable t) {
            return failed(r, onError, t);
        }
    }

    /** The answer to a handler's failure {@code t}: the error handler's response, else a 500. */
    static Response failed(Request r, ErrorHandler onError, Throwable t) {
        LOG.warn("handler for {} failed", r, t);
        if (onError != null) {
            try {
                Response custom = onError.handle(r, t);
                if (custom != null) {
                    return custom;
                }
            } catch (Throwable again) {
                LOG.warn("the error handler failed too for {}", r, again);
            }
        }
        return INTERNAL_ERROR;
    }
}
