package io.ffpoll.http;

import io.ffpoll.multiplexer.ClosedConnectionException;
import io.ffpoll.multiplexer.Connection;
import io.ffpoll.multiplexer.ConnectionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.RejectedExecutionException;

/**
 * HTTP/1.1 over one {@link Connection}: parses each request where it lies in the read buffer,
 * answers quick handlers on the spot (pipelined responses go out together, one send per loop
 * iteration) and offloads blocking ones to a virtual thread, reading no further request on
 * this connection until its response is written, so responses stay in request order.
 */
final class HttpConnection implements ConnectionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(HttpConnection.class);
    static final byte[] SERVER = "Server: ffpoll-http-lite\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE = "Connection: close\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEEP_ALIVE = "Connection: keep-alive\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final LoopState loop;
    private final HttpParser parser;
    private final Request request = new Request();
    private Connection connection;
    private boolean continueSent;
    private boolean awaitingHandler;
    private boolean closing;
    long lastActivity = System.nanoTime();
    long requestStarted; // 0 while between requests

    HttpConnection(LoopState loop) {
        this.loop = loop;
        this.parser = new HttpParser(loop.config.maxRequestLine(), loop.config.maxHeadBytes(), loop.config.maxBody());
    }

    @Override
    public void onOpen(Connection c) {
        connection = c;
        c.setMaxPending(loop.config.maxHeadBytes() + 2 * loop.config.maxBody() + 65536);
        loop.opened(this);
    }

    @Override
    public long onData(Connection c, MemorySegment data) {
        long now = System.nanoTime();
        lastActivity = now;
        long pos = 0;
        long end = data.byteSize();
        while (pos < end && !awaitingHandler && !closing) {
            long head = parser.parseHead(data, pos, end, request);
            if (head == HttpParser.INCOMPLETE) {
                break;
            }
            if (head == HttpParser.ERROR) {
                fail(c, parser.errorStatus());
                return end;
            }
            long body = parser.parseBody(data, pos + head, end, request);
            if (body == HttpParser.INCOMPLETE) {
                if (request.expectContinue && request.http11 && !continueSent) {
                    continueSent = true; // RFC 9110 10.1.1: tell the client to send the body
                    write(c, CONTINUE);
                }
                break;
            }
            if (body == HttpParser.ERROR) {
                fail(c, parser.errorStatus());
                return end;
            }
            continueSent = false;
            requestStarted = 0;
            pos += head + body;
            dispatch(c);
        }
        if (pos < end && requestStarted == 0) {
            requestStarted = now; // a partial request: the read timeout runs
        }
        return closing ? end : pos;
    }

    private void dispatch(Connection c) {
        Routes.Route route = loop.config.routes().find(request);
        if (route == null) {
            respond(c, request, NOT_FOUND);
            return;
        }
        if (!route.blocking()) {
            respond(c, request, handle(route, request));
            return;
        }
        Request detached = request.detach();
        awaitingHandler = true;
        c.pauseReading();
        Thread.startVirtualThread(() -> {
            Response done = handle(route, detached);
            try {
                c.loop().execute(() -> {
                    awaitingHandler = false;
                    requestStarted = 0; // a pipelined partial request's read timeout starts on resume
                    if (c.isOpen()) {
                        respond(c, detached, done);
                        if (!closing) {
                            c.resumeReading(); // pipelined requests kept meanwhile are read now
                        }
                    }
                });
            } catch (RejectedExecutionException loopGone) {
                // the server stopped: the connection is closed already
            }
        });
    }

    /** The handler's response, or 500 if it threw (logged: the client learns nothing more). */
    private static Response handle(Routes.Route route, Request r) {
        try {
            Response response = route.handler().handle(r);
            if (response == null) {
                throw new IllegalStateException("handler returned null");
            }
            return response;
        } catch (Exception e) {
            LOG.warn("handler for {} failed", r, e);
            return INTERNAL_ERROR;
        }
    }

    private static final Response NOT_FOUND = Response.text(404, "Not Found");
    private static final Response INTERNAL_ERROR = Response.text(500, "Internal Server Error");

    private void respond(Connection c, Request r, Response response) {
        boolean keepAlive = r.keepAlive && !loop.draining;
        boolean head = Routes.isHead(r);
        loop.served++;
        if (keepAlive && r.http11 && !head && response.body != null) {
            // The common case in one piece, encoded once per response and second.
            write(c, loop.encoded.get(response, loop.date.line()));
            return;
        }
        send(c, response, keepAlive, r.http11, head);
    }

    /** Answers a request that could not be parsed (or did not arrive in time), then closes. */
    private void fail(Connection c, int status) {
        send(c, Response.text(status, status + " " + HttpStatus.reason(status) + "\n"), false, true, false);
    }

    /** Writes {@code response} piece by piece; closes the connection after it unless kept alive. */
    private void send(Connection c, Response response, boolean keepAlive, boolean http11, boolean head) {
        boolean chunkedForOldClient = response.chunks != null && !http11;
        write(c, HttpStatus.line(response.status));
        write(c, SERVER);
        write(c, loop.date.line());
        if (chunkedForOldClient) {
            // HTTP/1.0 has no chunked coding: send the parts as one body, framed by the close.
            keepAlive = false;
        } else {
            write(c, response.headers);
        }
        write(c, keepAlive ? (http11 ? null : KEEP_ALIVE) : CLOSE);
        write(c, CRLF);
        boolean noBody = head || response.status == 204 || response.status == 304 || response.status < 200;
        if (!noBody) {
            if (response.body != null) {
                write(c, response.body);
            } else {
                for (byte[] part : response.chunks) {
                    if (chunkedForOldClient) {
                        write(c, part);
                    } else if (part.length > 0) {
                        write(c, (Integer.toHexString(part.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        write(c, part);
                        write(c, CRLF);
                    }
                }
                if (!chunkedForOldClient) {
                    write(c, LAST_CHUNK);
                }
            }
        }
        if (!keepAlive) {
            closing = true;
            c.close(); // after the queued response is sent
        }
    }

    private static void write(Connection c, byte[] bytes) {
        if (bytes == null) {
            return;
        }
        try {
            c.write(bytes);
        } catch (ClosedConnectionException e) {
            // the peer went away meanwhile: nothing to answer
        }
    }

    /** Called by the loop's sweeper; closes the connection if a timeout passed. */
    void sweep(long now) {
        if (awaitingHandler || closing || connection == null) {
            return;
        }
        if (requestStarted != 0 && now - requestStarted > loop.config.requestTimeout().toNanos()) {
            fail(connection, 408);
        } else if (requestStarted == 0 && now - lastActivity > loop.config.idleTimeout().toNanos()) {
            closing = true;
            connection.close();
        }
    }

    /** Draining: close now if between requests, else after the current response. */
    void drain() {
        if (!awaitingHandler && !closing && requestStarted == 0 && connection != null) {
            closing = true;
            connection.close();
        }
    }

    @Override
    public void onClosed(Connection c, IOException cause) {
        loop.closed(this);
        if (cause != null && LOG.isDebugEnabled()) {
            LOG.debug("connection from {} ended: {}", c.remoteAddress(), cause.toString());
        }
    }
}
