package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.EventLoopGroup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * One {@link DatagramEndpoint} per loop of an {@link EventLoopGroup}, all bound to the same
 * address with SO_REUSEPORT: the kernel spreads the datagrams over them by flow (a hash of the
 * peer's address and port), so each peer stays on one loop. Linux and FreeBSD balance
 * (SO_REUSEPORT_LB); macOS does not, and {@link #bind} throws
 * {@link UnsupportedOperationException} there: use one endpoint.
 *
 * <pre>{@code
 * DatagramGroup echo = DatagramGroup.bind(group, new InetSocketAddress("127.0.0.1", 7007),
 *         DatagramOptions.DEFAULTS, loop -> (endpoint, payload, sender) -> endpoint.send(payload, sender)).get();
 * }</pre>
 *
 * As with {@link GroupListener}, a port that another datagram socket holds already is refused
 * with EADDRINUSE before any endpoint joins it. Thread-safe.
 */
public final class DatagramGroup implements AutoCloseable {
    private static final Platform OS = Platform.current();

    private final List<DatagramEndpoint> endpoints;
    private final InetSocketAddress address;

    private DatagramGroup(List<DatagramEndpoint> endpoints, InetSocketAddress address) {
        this.endpoints = List.copyOf(endpoints);
        this.address = address;
    }

    /**
     * Binds an endpoint on every loop of {@code group} to {@code address} (port 0: a free port,
     * the same for all; see {@link #address()}), each with the handler {@code handlers} makes
     * for its loop. Any thread; never waits.
     *
     * @param group the loops
     * @param address the address, resolved
     * @param options the options of every endpoint (reusePort is set)
     * @param handlers a handler per loop
     * @return the group once every endpoint is served, or the first failure (an
     *     {@link IOException} of socket, setsockopt or bind; those that opened are closed again)
     * @throws UnsupportedOperationException where the kernel does not balance (macOS)
     */
    public static CompletableFuture<DatagramGroup> bind(EventLoopGroup group, InetSocketAddress address,
                                                        DatagramOptions options,
                                                        Function<EventLoop, DatagramHandler> handlers) {
        Objects.requireNonNull(handlers, "handlers");
        if (!OS.options().balancesReusePort()) {
            throw new UnsupportedOperationException(OS.name() + " does not spread datagrams over sockets on one port"
                    + " (no balancing SO_REUSEPORT): bind one DatagramEndpoint");
        }
        DatagramCalls calls = OS.datagrams();
        DatagramOptions shared = options.reusePort(true);
        List<CompletableFuture<DatagramEndpoint>> starting = new ArrayList<>();
        Throwable failure = null;
        InetSocketAddress at = address;
        List<DatagramEndpoint> opened = new ArrayList<>();
        try {
            if (address.getPort() != 0) {
                DatagramSockets.requireUnused(address, calls);
            }
            for (int i = 0; i < group.size(); i++) { // bind does not block: all here, then onto the loops
                EventLoop loop = group.get(i);
                DatagramEndpoint e = DatagramSockets.open(loop, at, shared, handlers.apply(loop), calls);
                opened.add(e);
                at = e.localAddress(); // later loops bind the port the first got
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
            opened.forEach(o -> OS.close(o.fd()));
            opened.clear();
        }
        for (DatagramEndpoint e : opened) {
            starting.add(e.start());
        }
        InetSocketAddress bound = at;
        Throwable openFailure = failure;
        return CompletableFuture.allOf(starting.stream().map(f -> f.exceptionally(t -> null))
                .toArray(CompletableFuture[]::new)).thenCompose(x -> {
                    List<DatagramEndpoint> up = new ArrayList<>();
                    Throwable first = openFailure;
                    for (CompletableFuture<DatagramEndpoint> f : starting) {
                        Throwable t = f.handle((e, err) -> err).join();
                        if (t == null) {
                            up.add(f.join());
                        } else if (first == null) {
                            first = OnLoop.unwrap(t);
                        }
                    }
                    DatagramGroup g = new DatagramGroup(up, bound);
                    if (first == null) {
                        return CompletableFuture.completedFuture(g);
                    }
                    Throwable cause = first;
                    return g.closeAsync().thenApply(y -> {
                        throw new CompletionException(cause);
                    });
                });
    }

    /** {@return the bound address, with the port the kernel chose for port 0} */
    public InetSocketAddress address() {
        return address;
    }

    /** {@return the endpoints, one per loop, in the group's order} */
    public List<DatagramEndpoint> endpoints() {
        return endpoints;
    }

    /**
     * Starts closing every endpoint. Any thread.
     *
     * @return a future completed once all are closed
     */
    public CompletableFuture<Void> closeAsync() {
        return CompletableFuture.allOf(endpoints.stream().map(DatagramEndpoint::closeAsync)
                .toArray(CompletableFuture[]::new));
    }

    /**
     * Closes every endpoint; off every loop thread it waits until they are, on a loop thread it
     * only starts closing. Idempotent.
     */
    @Override
    public void close() {
        CompletableFuture<Void> done = closeAsync();
        if (EventLoop.current() == null) {
            done.join();
        }
    }
}
