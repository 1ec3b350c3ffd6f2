package io.ffpoll.http.serve;

import io.ffpoll.http.HttpServer;
import io.ffpoll.http.Request;
import io.ffpoll.http.internal.HttpAccess;
import io.ffpoll.http.parse.ParseState;
import io.ffpoll.http.parse.RequestParser;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Timer;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.observe.JfrSwitch;
import io.ffpoll.multiplexer.net.Connection;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * What one loop of the server keeps: its connections, the Date line, counters, and a sweeper
 * that runs once a second to apply the request-read and idle timeouts (one timer per loop, not
 * one per request). Loop thread only, except the counters read through {@link HttpServer}.
 */
public final class LoopState {
    static {
        JfrSwitch.whenRecorderStarts(RequestTraces::preloadEvents);
    }

    private static final HttpAccess HTTP = HttpAccess.get();
    private static final LoopAccess LOOPS = LoopAccess.get();
    public final EventLoop loop;
    public final ServerConfig config;
    final DateHeader date = new DateHeader();
    final EncodedResponses encoded = new EncodedResponses();
    final RequestParser parser;
    final Request request; // the loop's, around its parser's head: what quick handlers get
    final long maxPending;
    private final ConnectionLimit limit;
    // The open connections, linked through their own fields: a set's entry and table slot would
    // cost about 50 bytes more per idle connection (IdleConnectionMemoryTest counts them).
    private HttpConnection first;
    private HttpConnection last;
    public volatile long accepted;
    public long served;
    /** The route this loop dispatched last, named in a JFR event about a slow callback; loop thread only. */
    Routes.Route lastRoute;
    boolean draining;
    public long sweeps; // runs of the sweeper: the loop's own once-a-second clock, which tests can wait on
    private Timer sweeper;
    // Parse states that connections gave back between requests, for the next that reads one.
    private final ArrayDeque<ParseState<Routes.Route>> spareParseStates = new ArrayDeque<>();
    private static final int MOST_SPARE_PARSE_STATES = 256;

    LoopState(EventLoop loop, ServerConfig config, ConnectionLimit limit) {
        this.loop = loop;
        this.config = config;
        this.limit = limit;
        this.parser = new RequestParser(config.maxRequestLine(), config.maxHeadBytes(), config.maxBody());
        this.request = HTTP.request(parser.head);
        this.maxPending = config.maxPending();
    }

    void startSweeper() {
        sweeper = loop.schedule(Duration.ofSeconds(1), this::sweep);
    }

    private void sweep() {
        long now = System.nanoTime();
        sweeps++;
        for (HttpConnection c : connections()) {
            c.sweep(now);
        }
        if (!loop.isClosed()) {
            startSweeper();
        }
    }

    /** The open connections, in the order they opened: a copy, which the caller may close them from (loop thread only). */
    public List<HttpConnection> connections() {
        List<HttpConnection> all = new ArrayList<>();
        for (HttpConnection c = first; c != null; c = c.next) {
            all.add(c);
        }
        return all;
    }

    /** A connection was accepted: it holds its place in the limit until {@link #closed}. */
    void opened(HttpConnection c) {
        c.prev = last;
        if (last == null) {
            first = c;
        } else {
            last.next = c;
        }
        last = c;
    }

    void closed(HttpConnection c) {
        if (c.prev == null && first != c) {
            return; // not listed (closed already)
        }
        if (c.prev == null) {
            first = c.next;
        } else {
            c.prev.next = c.next;
        }
        if (c.next == null) {
            last = c.prev;
        } else {
            c.next.prev = c.prev;
        }
        c.prev = null;
        c.next = null;
        limit.closed();
    }

    /**
     * The loop's clock for this iteration ({@link LoopAccess#polledAt}): what a read's last
     * activity and a response's Date are taken from, so that a read of 16 pipelined requests
     * costs no clock read of its own, where a clock read per response was 2-3% of the server's
     * CPU in a pipelined profile.
     */
    long now() {
        return LOOPS.polledAt(loop);
    }

    /** A parse state for a request of {@code c}'s: a spare one when there is one. */
    ParseState<Routes.Route> takeParseState(Connection c) {
        ParseState<Routes.Route> p = spareParseStates.pollLast();
        if (p == null) {
            p = new ParseState<>();
        }
        p.remote = c.remoteAddress();
        p.tls = c.tls();
        return p;
    }

    /** {@code p}'s connection has no request under way: kept, clean, for the next request, as long as spares are few. */
    void giveBack(ParseState<Routes.Route> p) {
        // Reset here, whatever the connection did: a head refused in one read leaves the state
        // looking fresh (nothing kept) with its counts still up, and the next request of any
        // connection of this loop would start from them (ParseStateReuseTest).
        p.reset();
        p.errorStatus = 0;
        p.remote = null;
        p.tls = null;
        if (spareParseStates.size() < MOST_SPARE_PARSE_STATES) {
            spareParseStates.addLast(p);
        }
    }

    /** Stop keeping connections alive: idle ones close now, busy ones after their response. */
    void drain() {
        draining = true;
        connections().forEach(HttpConnection::drain);
    }

    /** The grace period is over on loops the server does not own: what is left is cut off. */
    void abortConnections() {
        for (HttpConnection c : connections()) {
            Connection t = c.transport(); // a TLS connection in its handshake too
            if (t != null && t.isOpen()) {
                t.abort();
            }
        }
    }

    void stopSweeper() {
        if (sweeper != null) {
            sweeper.cancel();
        }
    }
}
