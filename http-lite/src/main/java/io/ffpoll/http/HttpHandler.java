package io.ffpoll.http;

/**
 * Answers a request. A quick handler runs on the connection's loop and must not block; mark a
 * route blocking ({@link HttpServer.Builder#blockingRoute}) to run it on a virtual thread.
 */
@FunctionalInterface
public interface HttpHandler {
    Response handle(Request request) throws Exception;
}
