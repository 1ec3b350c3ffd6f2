package io.ffpoll.http;

import java.util.concurrent.CompletionStage;

/**
 * Answers a request later: the response is a stage that any thread may complete, so a
 * response can wait for another connection (a proxy, a pub/sub hub) without holding a thread.
 * Route it with {@link HttpServer.Builder#asyncRoute}.
 *
 * <p>The handler itself runs on the connection's loop and must not block. Until the stage
 * completes, the connection reads and answers no further request (responses stay in pipeline
 * order); the loop serves its other connections. The response is written on the loop. A stage
 * completed exceptionally, or with null, is answered like a handler that threw: the
 * {@link HttpServer.Builder#onError} response (given the stage's cause), else 500. A stage not
 * completed within the server's request timeout is answered 503 and the connection closed. If
 * the connection closes first (the client left, the server stopped), the stage's result is
 * dropped when it comes; the server never cancels the stage, which the handler may share.
 */
@FunctionalInterface
public interface AsyncHttpHandler {
    /**
     * Starts answering one request.
     *
     * @param request the request, a {@link Request#detach() detached} copy the handler and
     *     whatever completes the stage may keep and read from any thread
     * @return the response, when it is ready; never null
     * @throws Exception to answer 500 (or the {@link HttpServer.Builder#onError} response) at once
     */
    CompletionStage<Response> handle(Request request) throws Exception;
}
