package io.ffpoll.http.serve;

import io.ffpoll.http.HttpServer;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.net.AcceptOptions;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.GroupListener;
import io.ffpoll.multiplexer.net.TlsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A server's life on its loops: the state it keeps on each loop, the listener that feeds them,
 * the connection limit, and the steps of starting and stopping, each a future so that no step
 * waits on a loop thread. The loops are the server's own, or a group the caller runs.
 */
public final class ServerLoops {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    public final List<LoopState> states = new ArrayList<>();
    private final Map<EventLoop, LoopState> byLoop = new IdentityHashMap<>();
    private final ServerConfig config;
    private final HttpServer.AcceptMode mode;
    public final ConnectionLimit limit;
    public EventLoopGroup group;
    private boolean ownsGroup;
    public GroupListener listener;    // plain HTTP's, or null
    public GroupListener tlsListener; // HTTPS's, or null

    public ServerLoops(ServerConfig config, HttpServer.AcceptMode mode) {
        this.config = config;
        this.mode = mode;
        this.limit = new ConnectionLimit(config.maxConnections());
    }

    /**
     * Starts on the settings' group or loops of its own; the future fails if it cannot listen.
     * Everything it needs of the builder's settings was read into {@code b} on the caller's
     * thread: a builder changed or reused afterwards does not change the server.
     */
    public CompletableFuture<Void> start(ListenSettings b) {
        java.net.SocketAddress address = b.address();
        GroupListener.Options options = GroupListener.Options.DEFAULTS
                .mode(mode == HttpServer.AcceptMode.REUSEPORT ? GroupListener.Mode.REUSEPORT : GroupListener.Mode.ACCEPTOR)
                .backlog(b.backlog())
                // Responses are complete when written: do not wait for Nagle.
                .accept(AcceptOptions.DEFAULTS.noDelay(true))
                // Counted on the accepting thread, so that reaching the limit stops the very
                // next accept; loops racing past it close what they took. A connection accepted
                // while a shutdown closes the listeners is kept and answered (Connection: close):
                // closing it with its request unread would reset it, and on a socket shared with
                // other worker processes none of them can serve it any more.
                .admission(fd -> limit.admit());
        GroupListener.Options plainOptions = b.inheritedFd() >= 0 ? options.inheritedFd(b.inheritedFd()) : options;
        GroupListener.Options tlsOptions = b.tlsInheritedFd() >= 0 ? options.inheritedFd(b.tlsInheritedFd()) : options;
        boolean plain = b.plain();
        TlsConfig tls = b.tls();
        java.net.SocketAddress tlsAddress = b.tlsAddress();
        List<CompletableFuture<?>> sweepers = new ArrayList<>();
        try {
            ownsGroup = b.group() == null;
            group = ownsGroup ? EventLoopGroup.start("http-lite", b.threads(), b.backend()) : b.group();
            for (EventLoop loop : group.loops()) {
                LoopState state = new LoopState(loop, config, limit);
                states.add(state);
                byLoop.put(loop, state);
                sweepers.add(loop.onLoop(() -> {
                    state.startSweeper();
                    return null;
                }));
            }
        } catch (IOException | RuntimeException e) {
            // Nothing may run on: the loops this started (the caller's own are left alone).
            CompletableFuture<Void> failed = CompletableFuture.failedFuture(e);
            return group == null || !ownsGroup ? failed : group.closeAsync().thenCompose(x -> failed);
        }
        // One listener after the other: if the second cannot bind, the shutdown that follows
        // the failure closes the first.
        return CompletableFuture.allOf(sweepers.toArray(CompletableFuture[]::new))
                .thenCompose(x -> !plain ? CompletableFuture.completedFuture(null)
                        : GroupListener.startAsync(group, address, plainOptions, (loop, fd, peer) -> accept(loop, fd, peer, null))
                                .thenAccept(started -> {
                                    listener = started;
                                    limit.watch(started);
                                }))
                .thenCompose(x -> tls == null ? CompletableFuture.completedFuture(null)
                        : GroupListener.startAsync(group, tlsAddress, tlsOptions, (loop, fd, peer) -> accept(loop, fd, peer, tls))
                                .thenAccept(started -> {
                                    tlsListener = started;
                                    limit.watch(started);
                                }));
    }

    /** An accepted connection, on its own loop: plain HTTP, or HTTPS with {@code tls}. */
    private void accept(EventLoop loop, int fd, InetSocketAddress peer, TlsConfig tls) {
        LoopState state = byLoop.get(loop);
        state.accepted++;
        HttpConnection http = new HttpConnection(state);
        // Counted from the accept, not from onOpen: a TLS connection opens only once its
        // handshake is done, and one whose handshake fails closes without ever opening; it
        // must give its place back all the same, and a shutdown must find it to abort it.
        state.opened(http);
        try {
            // On the connection's own loop: done when it returns (join cannot wait); a TLS
            // connection is made, its handshake under way.
            http.accepted(tls == null ? Connection.open(loop, fd, peer, http).join()
                    : Connection.open(loop, fd, peer, tls, http).join());
        } catch (RuntimeException e) {
            state.closed(http); // it never opened: it holds no place (unless onClosed gave it back already)
            throw e;
        }
    }

    /**
     * The shutdown's steps, none of which waits: responses say {@code Connection: close}, the
     * listeners close, idle connections close, requests in flight finish until
     * {@code deadline}; then the rest is closed: with the loops when they are the server's own,
     * else connection by connection.
     *
     * @return true once everything finished before the deadline
     */
    public CompletableFuture<Boolean> stop(long deadline) {
        // Responses from here on say Connection: close, before any client can see a refused
        // connect and conclude that the server is going away.
        return onEveryLoop(s -> s.draining = true)
                .thenCompose(x -> listener != null ? listener.closeAsync() : CompletableFuture.completedFuture(null))
                .thenCompose(x -> tlsListener != null ? tlsListener.closeAsync() : CompletableFuture.completedFuture(null))
                .thenCompose(x -> onEveryLoop(LoopState::drain))
                .thenCompose(x -> limit.none().thenApply(y -> true)
                        .completeOnTimeout(false, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS))
                .thenCompose(clean -> {
                    if (!clean) {
                        LOG.warn("shutdown grace period over with {} connection(s) open; closing them", limit.open());
                    }
                    return onEveryLoop(LoopState::stopSweeper)
                            .thenCompose(x -> group == null ? CompletableFuture.completedFuture(null)
                                    : ownsGroup ? group.closeAsync()
                                    // Aborted connections close at once; bounded all the same,
                                    // since a loop of the caller's may be gone meanwhile.
                                    : onEveryLoop(LoopState::abortConnections).thenCompose(y -> limit.none()
                                            .completeOnTimeout(null, 30, TimeUnit.SECONDS)))
                            .thenApply(x -> clean);
                });
    }

    /** Runs {@code step} on every loop; a loop closed already has nothing left to do. */
    private CompletableFuture<Void> onEveryLoop(java.util.function.Consumer<LoopState> step) {
        return CompletableFuture.allOf(states.stream().map(s -> s.loop.onLoop(() -> {
            step.accept(s);
            return null;
        }).exceptionally(closed -> null)).toArray(CompletableFuture[]::new));
    }
}
