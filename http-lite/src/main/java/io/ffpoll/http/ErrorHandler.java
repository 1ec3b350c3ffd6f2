package io.ffpoll.http;

/**
 * Answers a request whose handler threw ({@link HttpServer.Builder#onError}), instead of the
 * plain 500. Runs where the handler ran (the loop, or the blocking route's virtual thread).
 */
@FunctionalInterface
public interface ErrorHandler {
    /**
     * The response for {@code request}, whose handler threw {@code failure}; null, or a throw,
     * gives the plain 500.
     *
     * @param request the request (a loop's request is valid during this call only)
     * @param failure what the handler threw
     * @return the response to send
     */
    Response handle(Request request, Throwable failure);
}
