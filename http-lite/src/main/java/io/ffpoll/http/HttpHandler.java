package io.ffpoll.http;

/**
 * Answers a request. A quick handler runs on the connection's loop and must not block; mark a
 * route blocking ({@link HttpServer.Builder#blockingRoute}) to run it on a virtual thread.
 */
@FunctionalInterface
public interface HttpHandler {
    /**
     * Answers one request. A quick handler runs on the loop and must not block; see {@link HttpServer.Builder#route}.
     * @param request the request (a loop's request is valid during this call only; see {@link Request#detach})
     * @return the response, never null
     * @throws Exception to answer 500 (or the {@link HttpServer.Builder#onError} response)
     */
    Response handle(Request request) throws Exception;
}
