package io.ffpoll.http.serve;

import io.ffpoll.http.AsyncHttpHandler;
import io.ffpoll.http.BodyProducer;
import io.ffpoll.http.Request;
import io.ffpoll.http.Response;
import io.ffpoll.http.internal.HttpAccess;
import io.ffpoll.http.observe.RequestRecord;
import io.ffpoll.http.parse.ParseState;
import io.ffpoll.http.parse.RequestHead;
import io.ffpoll.http.parse.RequestParser;
import io.ffpoll.multiplexer.internal.Described;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.ConnectionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.RejectedExecutionException;

/**
 * HTTP/1.1 over one {@link Connection}: parses each request where it lies in the read buffer,
 * answers quick handlers on the spot (pipelined responses go out together, one send per loop
 * iteration) and offloads blocking ones to a virtual thread, reading no further request on
 * this connection until its response is written, so responses stay in request order; an
 * async handler's stage is waited for the same way, without a thread.
 *
 * <p>Back-pressure: while the client does not read its responses (the connection's write queue
 * is past its high watermark) no further request is parsed and nothing more is read; reading
 * resumes when the queue drains below the low watermark. A client that takes nothing for the
 * write timeout is cut off. After an error response, or a response that ends the connection,
 * the connection is closed lingering, so a client still sending reads its response instead of
 * a reset.
 */
public final class HttpConnection implements ConnectionHandler, AsyncReply.Done, Described {
    private static final HttpAccess HTTP = HttpAccess.get();
    private static final Logger LOG = LoggerFactory.getLogger(HttpConnection.class);
    private static final Response ASYNC_TIMEOUT = Response.text(503, "Service Unavailable\n");

    private final LoopState loop;
    // Only while a request is under way (its bytes came in pieces, or onData runs): between
    // requests it goes back to the loop's spares, so an idle connection holds none.
    private ParseState<Routes.Route> parse;
    private Connection connection; // from onOpen on
    private Connection accepted;   // from the accept on: a TLS connection is made before its handshake
    private boolean awaitingHandler; // a blocking handler runs: no further request is parsed
    private AsyncReply pendingAsync; // an async route's response not yet complete
    private boolean waitingForWrites; // back-pressure: reading paused until the queue drains
    private boolean closing;
    private BodyStream stream; // a streamed body on its way out: no further request is answered
    private Upgraded webSocket; // after an upgrade: the connection is the WebSocket's
    HttpConnection prev, next; // the loop's list of open connections (LoopState)
    private boolean keepAfterStream;
    long lastActivity;
    private long requestStarted; // 0 while between requests
    private boolean answered; // at least one response: a drain may close this connection between requests
    private long sentAtLastSweep;
    private long unacknowledgedAtLastSweep = Long.MAX_VALUE; // the socket's unacknowledged bytes then, where the kernel tells
    private long lastWriteProgress;
    private RequestRecord trace; // the request under way, while the access log or JFR observes

    HttpConnection(LoopState loop) {
        this.loop = loop;
    }

    /** Whether reading is paused (a blocking handler runs, or the client does not read). */
    public boolean readingPaused() {
        return awaitingHandler || waitingForWrites;
    }

    /** When the request being read began (nanoTime), 0 between requests: tests count the partial ones. */
    public long requestStarted() {
        return requestStarted;
    }

    /** The connection once open (onOpen ran); null before. */
    public Connection connection() {
        return connection;
    }

    /** The connection from its accept on, before onOpen too (a TLS one whose handshake is under way); null before. */
    Connection transport() {
        return connection != null ? connection : accepted;
    }

    /** The connection {@code Connection.open} made: a TLS one opens (onOpen) only after its handshake. */
    void accepted(Connection c) {
        accepted = c;
    }

    @Override
    public void onOpen(Connection c) {
        connection = c;
        lastActivity = System.nanoTime();
        lastWriteProgress = lastActivity;
        c.setMaxPending(loop.maxPending);
    }

    @Override
    public long onData(Connection c, MemorySegment data) {
        if (webSocket != null) {
            return webSocket.onData(data);
        }
        if (parse == null) {
            parse = loop.takeParseState(c);
        }
        try {
            return readRequests(c, data);
        } finally {
            if (parse.isFresh()) {
                loop.giveBack(parse);
                parse = null;
            }
        }
    }

    private long readRequests(Connection c, MemorySegment data) {
        loop.lastRoute = null;
        long now = loop.now();
        lastActivity = now;
        RequestParser parser = loop.parser;
        parser.beginDelivery();
        long pos = 0;
        long end = data.byteSize();
        while (pos < end && !awaitingHandler && !closing && c.isOpen()) { // a response may have closed it (a full queue)
            if (!c.isWritable()) {
                // The client is not reading its responses: answer no more until it does.
                waitingForWrites = true;
                requestStarted = 0; // the read timeout restarts when reading does
                c.pauseReading();
                return pos;
            }
            long n = parser.parse(data, pos, end, parse);
            if (n == RequestParser.ERROR) {
                fail(c, parse.errorStatus);
                return end;
            }
            if (parse.headComplete() && !parse.routed) {
                parse.routed(loop.config.routes().find(parser.head), parser.head);
                trace = RequestTraces.begin(loop, parser.head, parse.route);
            }
            if (n == RequestParser.INCOMPLETE) {
                awaitBody(c);
                break;
            }
            Routes.Route route = parse.route;
            parse.reset();
            requestStarted = 0;
            pos += n;
            dispatch(c, loop.request, route);
            if (webSocket != null) {
                return pos + webSocket.onData(data.asSlice(pos)); // frames that came with the handshake
            }
        }
        if (pos < end && requestStarted == 0) {
            requestStarted = now; // a partial request: the read timeout runs
        }
        return closing ? end : pos;
    }

    /** The head is in but not the body: answer an expectation of 100-continue (RFC 9110 10.1.1). */
    private void awaitBody(Connection c) {
        if (!parse.headComplete() || !parse.expectContinue || parse.continueSent) {
            return;
        }
        parse.continueSent = true;
        if (parse.route.rejects()) {
            // Not worth the body: the final status now, and the connection ends (the client
            // may send the body regardless; the lingering close discards it).
            respond(c, parse.http11, false, HandlerCalls.handle(parse.route, loop.request, loop.config.errorHandler()), false, loop.request);
        } else {
            ResponseWriter.writeRaw(c, ResponseWriter.CONTINUE);
        }
    }

    /** For a JFR event about a slow callback: the route it ran, if it ran one. */
    @Override
    public String describeCallback() {
        Routes.Route r = loop.lastRoute;
        String who = "http-lite connection " + (accepted != null ? accepted.remoteAddress() : "");
        return r == null ? who : who + ", route " + r.describe();
    }

    private void dispatch(Connection c, Request request, Routes.Route route) {
        loop.lastRoute = route;
        RequestHead h = HTTP.head(request);
        if (route.handler() instanceof UpgradeRoute ws) {
            Response refusal = ws.refusal(request); // once: it asks the handler's accepts()
            if (refusal != null) {
                respond(c, h.http11, h.keepAlive, refusal, Routes.isHead(h), request);
            } else {
                upgrade(c, request, ws);
            }
            return;
        }
        if (route.async() != null) {
            dispatchAsync(c, request, route.async());
            return;
        }
        if (!route.blocking()) {
            respond(c, h.http11, h.keepAlive, HandlerCalls.handle(route, request, loop.config.errorHandler()), Routes.isHead(h), request);
            return;
        }
        Request detached = request.detach();
        awaitingHandler = true;
        c.pauseReading();
        Thread.startVirtualThread(() -> {
            Response response = HandlerCalls.INTERNAL_ERROR;
            try {
                response = HandlerCalls.handle(route, detached, loop.config.errorHandler());
            } finally {
                Response done = response;
                try {
                    c.loop().execute(() -> handlerDone(c, detached, done));
                } catch (RejectedExecutionException loopGone) {
                    // the server stopped: the connection is closed already
                }
            }
        });
    }

    /**
     * Reading pauses, as for a blocking route, until the stage completes on any thread and
     * {@link #asyncDone} runs on the loop. The handler gets a detached request: the loop's is
     * another connection's by the time a stage completes.
     */
    private void dispatchAsync(Connection c, Request request, AsyncHttpHandler handler) {
        Request detached = request.detach();
        awaitingHandler = true;
        c.pauseReading();
        AsyncReply reply = new AsyncReply(this, c.loop(), detached, System.nanoTime());
        pendingAsync = reply;
        java.util.concurrent.CompletionStage<Response> stage;
        try {
            stage = java.util.Objects.requireNonNull(handler.handle(detached), "async handler returned null");
        } catch (Throwable t) {
            reply.accept(null, t); // answered from the loop's queue, as a completed stage would be
            return;
        }
        stage.whenComplete(reply);
    }

    @Override
    public void asyncDone(AsyncReply reply, Response response, Throwable failure) {
        if (reply != pendingAsync) {
            return; // the connection closed, or stopped waiting: dropped
        }
        pendingAsync = null;
        reply.drop();
        Response r = response;
        if (failure != null || response == null) {
            r = HandlerCalls.failed(reply.request, loop.config.errorHandler(), failure != null ? failure : new IllegalStateException("async handler's stage completed with null"));
        }
        handlerDone(connection, reply.request, r);
    }

    private void handlerDone(Connection c, Request r, Response response) {
        awaitingHandler = false;
        requestStarted = 0; // a pipelined partial request's read timeout starts on resume
        if (!c.isOpen()) {
            return;
        }
        RequestHead h = HTTP.head(r);
        respond(c, h.http11, h.keepAlive, response, Routes.isHead(h), r);
        if (closing || stream != null) {
            return;
        }
        if (c.isWritable()) {
            c.resumeReading(); // pipelined requests kept meanwhile are read now
        } else {
            waitingForWrites = true;
        }
    }

    /** A WebSocket handshake: 101, and the connection is the session's (set before its onOpen, which may end it). */
    private void upgrade(Connection c, Request request, UpgradeRoute route) {
        loop.served++;
        answered = true;
        webSocket = route.upgrade(c, loop.config, request);
        if (webSocket != null) {
            finished(101, 0);
            webSocket.opened(loop.draining); // draining: the server began to stop since the handshake came
        }
    }

    @Override
    public void onWritabilityChanged(Connection c, boolean writable) {
        if (webSocket != null) {
            webSocket.writabilityChanged(writable);
            return;
        }
        if (writable && stream != null) {
            pumpStream(c);
            return;
        }
        if (writable && waitingForWrites && !awaitingHandler && !closing) {
            waitingForWrites = false;
            c.resumeReading();
        }
    }

    /** Sends {@code response} to {@code request} (null for an error of the connection's own: never compressed). */
    private void respond(Connection c, boolean http11, boolean keepAlive, Response response, boolean head, Request request) {
        Compression compression = loop.config.compression();
        if (compression != null && request != null) {
            response = compression.variant(response, request);
        }
        boolean keep = keepAlive && !loop.draining;
        loop.served++;
        ResponseWriter.Framing framing = HTTP.source(response) == null ? null : ResponseWriter.framing(response, http11, head);
        if (framing != null) {
            keep = ResponseWriter.keeps(keep, framing);
        }
        if (!ResponseWriter.write(c, loop, response, keep, http11, head)) {
            trace = null; // nobody takes the response: not logged
            return;
        }
        if (framing != null && framing != ResponseWriter.Framing.NONE) {
            BodyProducer producer;
            try {
                producer = java.util.Objects.requireNonNull(HTTP.source(response).get(), "body producer");
            } catch (Throwable t) {
                LOG.warn("making the body producer for {} failed; aborting the response", c.remoteAddress(), t);
                finished(response.status(), 0);
                c.abort();
                return;
            }
            BodyStream s = new BodyStream(c, response.status(), producer, framing, HTTP.length(response), () -> pumpStream(c));
            stream = s;
            keepAfterStream = keep;
            if (!s.pump()) {
                // It waits for the client or the producer; or the connection ended, and
                // onClosed has cancelled it (or will).
                if (stream == s && c.isOpen()) {
                    awaitingHandler = true; // no further request until the body is out
                    c.pauseReading();
                }
                return;
            }
            stream = null;
            finished(s.status, s.sent());
        } else {
            finished(response.status(), RequestTraces.bodyBytes(response, head));
        }
        afterResponse(c, keep);
    }

    /** The response to the request traced is out: its access-log line and JFR event, if either is on. */
    private void finished(int status, long bytes) {
        RequestTraces.end(loop, trace, status, bytes);
        trace = null;
    }

    private void afterResponse(Connection c, boolean keep) {
        answered = true;
        if (!keep) {
            closing = true;
            c.closeLingering(); // after the response is sent; what the client still sends is discarded
        }
    }

    /**
     * The client caught up, or the producer has more: more of the streamed body; when it is
     * complete, the next request.
     */
    private void pumpStream(Connection c) {
        if (stream == null || !stream.pump()) {
            return;
        }
        finished(stream.status, stream.sent());
        stream = null;
        awaitingHandler = false;
        afterResponse(c, keepAfterStream && !loop.draining);
        if (closing) {
            return;
        }
        if (c.isWritable()) {
            c.resumeReading(); // pipelined requests kept meanwhile are read now
        } else {
            waitingForWrites = true;
        }
    }

    /** Answers a request that could not be parsed (or did not arrive in time), then closes. */
    private void fail(Connection c, int status) {
        trace = trace != null ? trace : RequestTraces.unparsed(loop, c); // no head (yet): "-" for its line
        Response error = Response.text(status, status + " " + HttpStatus.reason(status) + "\n");
        if (status == 503) {
            error = error.withHeader("Retry-After", "1"); // the overload is the moment's (RFC 9110 10.2.3)
        }
        respond(c, true, false, error, false, null);
    }

    /** Called by the loop's sweeper once a second; applies the write, read and idle timeouts. */
    void sweep(long now) {
        if (connection == null || !connection.isOpen()) {
            return;
        }
        long sent = connection.sentBytes();
        // The socket takes no byte while a slow reader drains a send buffer the kernel grew to
        // megabytes (it is writable again only once about a third is gone): what the peer acknowledged
        // is its progress too.
        long unacknowledged = connection.queuedBytes() == 0 ? -1 : connection.unacknowledgedBytes();
        if (connection.queuedBytes() == 0 || sent != sentAtLastSweep
                || (unacknowledged >= 0 && unacknowledged < unacknowledgedAtLastSweep)) {
            sentAtLastSweep = sent;
            unacknowledgedAtLastSweep = unacknowledged < 0 ? Long.MAX_VALUE : unacknowledged;
            lastWriteProgress = now;
        } else if (now - lastWriteProgress > loop.config.writeTimeout().toNanos()) {
            LOG.debug("{} took none of its responses for {}; aborting", connection.remoteAddress(),
                    loop.config.writeTimeout());
            closing = true;
            connection.abort();
            return;
        }
        if (webSocket != null) {
            return; // a WebSocket may be quiet for ever: only the write timeout above applies
        }
        if (pendingAsync != null && now - pendingAsync.started > loop.config.requestTimeout().toNanos()) {
            // A stage nobody completes would hold the connection for ever; the client is told
            // the server could not answer in time, and the connection ends.
            AsyncReply late = pendingAsync;
            pendingAsync = null;
            late.drop();
            awaitingHandler = false;
            LOG.debug("the async response to {} took longer than {}", late.request, loop.config.requestTimeout());
            RequestHead h = HTTP.head(late.request);
            respond(connection, h.http11, false, ASYNC_TIMEOUT, Routes.isHead(h), late.request);
            return;
        }
        if (awaitingHandler || waitingForWrites || closing) {
            return; // the connection's own close timer bounds a closing connection
        }
        if (requestStarted != 0 && now - requestStarted > loop.config.requestTimeout().toNanos()) {
            fail(connection, 408);
        } else if (requestStarted == 0 && now - lastActivity > (loop.draining && !answered
                ? loop.config.requestTimeout() : loop.config.idleTimeout()).toNanos()) {
            closing = true;
            connection.close();
        }
    }

    /**
     * Draining: close now if between requests, else after the current response. A connection
     * that has not had its first request yet is kept for that request (answered with
     * {@code Connection: close}) up to the request timeout: its client connected before the
     * drain began and has not had a chance to send. Clients retry a request that a reused
     * keep-alive connection dropped unanswered (RFC 9112, 9.3.1); none expects a brand-new
     * connection to close before its first request.
     */
    void drain() {
        if (webSocket != null) {
            webSocket.goingAway();
            return;
        }
        if (answered && !awaitingHandler && !closing && requestStarted == 0 && connection != null) {
            closing = true;
            connection.close();
        }
    }

    @Override
    public void onClosed(Connection c, IOException cause) {
        loop.closed(this);
        if (webSocket != null) {
            webSocket.ended(cause);
        }
        if (stream != null) {
            finished(stream.status, stream.sent()); // logged with what was sent of it
            stream.cancel(); // the body will not be completed: its producer is told
            stream = null;
        }
        if (pendingAsync != null) {
            pendingAsync.drop(); // the stage keeps nothing of this connection; its result is ignored
            pendingAsync = null;
        }
        if (parse != null) {
            parse.reset(); // a body cut off mid-way gives its share of the loop's heap back
        }
        if (cause != null && LOG.isDebugEnabled()) {
            LOG.debug("connection from {} ended: {}", c.remoteAddress(), cause.toString());
        }
    }
}
