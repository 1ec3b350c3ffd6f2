package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.internal.Blocking;
import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

/**
 * Accepts connections on one address for every loop of an {@link EventLoopGroup}, spread over
 * the loops in one of two ways ({@link Mode}): a listening socket per loop that the kernel
 * balances (SO_REUSEPORT on Linux, SO_REUSEPORT_LB on FreeBSD), or one acceptor (on the
 * group's first loop) that hands each connection to the next loop round-robin. Either way the
 * {@link Handler} runs on the loop that owns the connection from then on.
 *
 * <pre>{@code
 * try (EventLoopGroup group = EventLoopGroup.start("echo", 2);
 *      GroupListener server = GroupListener.start(group, new InetSocketAddress("127.0.0.1", 7007),
 *              (loop, fd, peer) -> Connection.open(loop, fd, peer, new EchoHandler()))) {
 *     ...
 * }
 * }</pre>
 *
 * Any thread may start, suspend, resume and close it; the blocking {@link #start} and
 * {@link #close()} refuse to wait on a loop thread ({@link #startAsync}, {@link #closeAsync()}).
 */
public final class GroupListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupListener.class);
    private static final Platform OS = Platform.current();

    /** How accepted connections reach the loops. */
    public enum Mode {
        /** A listening socket per loop on the same port, balanced by the kernel. */
        REUSEPORT,
        /** One acceptor, on the group's first loop, handing connections out round-robin. */
        ACCEPTOR;

        /**
         * REUSEPORT where the kernel balances listeners (Linux, FreeBSD); ACCEPTOR elsewhere (macOS).
         *
         * @return the mode
         */
        public static Mode platformDefault() {
            return OS.options().balancesReusePort() ? REUSEPORT : ACCEPTOR;
        }
    }

    /** Receives an accepted connection on {@code loop}'s thread; the fd is the handler's. */
    @FunctionalInterface
    public interface Handler {
        /**
         * If it throws, the exception is logged, the fd closed (unless the handler registered
         * it on the loop), and accepting goes on.
         *
         * @param loop the event loop
         * @param fd the descriptor
         * @param peer the client's address; null on a Unix-domain socket (see
         *     {@link Connection#peerAddress()})
         */
        void accepted(EventLoop loop, int fd, InetSocketAddress peer);
    }

    /**
     * How to listen. {@code inheritedFd}: a bound, listening socket to serve instead of binding
     * {@code address} (-1: none); in REUSEPORT mode each loop gets a duplicate of it.
     * {@code admission} runs on the accepting thread before a connection is handed out; false
     * closes it at once (a connection limit raced past).
     *
     * @param mode        see {@link Mode}
     * @param backlog     listen(2)'s backlog
     * @param accept      options set on every accepted socket
     * @param inheritedFd a listening socket to serve, or -1
     * @param admission   whether to keep an accepted fd; null keeps all
     */
    public record Options(Mode mode, int backlog, AcceptOptions accept, int inheritedFd, IntPredicate admission) {
        /** The platform's mode, a backlog of 1024, default accept options. */
        public static final Options DEFAULTS = new Options(Mode.platformDefault(), 1024, AcceptOptions.DEFAULTS, -1, null);

        /**
         * Checks the options.
         *
         * @throws IllegalArgumentException for a backlog below 1
         */
        public Options {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(accept, "accept");
            if (backlog < 1) {
                throw new IllegalArgumentException("backlog must be at least 1, got " + backlog);
            }
        }

        /**
         * These options with another mode.
         *
         * @param m the mode
         * @return new options
         */
        public Options mode(Mode m) {
            return new Options(m, backlog, accept, inheritedFd, admission);
        }

        /**
         * These options with another backlog.
         *
         * @param b the backlog, at least 1
         * @return new options
         */
        public Options backlog(int b) {
            return new Options(mode, b, accept, inheritedFd, admission);
        }

        /**
         * These options with other accept options.
         *
         * @param a the options for accepted sockets
         * @return new options
         */
        public Options accept(AcceptOptions a) {
            return new Options(mode, backlog, a, inheritedFd, admission);
        }

        /**
         * These options with an inherited socket to serve.
         *
         * @param fd a bound, listening socket
         * @return new options
         */
        public Options inheritedFd(int fd) {
            if (fd < 0) {
                throw new IllegalArgumentException("invalid fd " + fd);
            }
            return new Options(mode, backlog, accept, fd, admission);
        }

        /**
         * These options with an admission check.
         *
         * @param a whether to keep an accepted fd (null keeps all)
         * @return new options
         */
        public Options admission(IntPredicate a) {
            return new Options(mode, backlog, accept, inheritedFd, a);
        }
    }

    private final EventLoopGroup group;
    private final Options options;
    private final Handler handler;
    private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private java.net.SocketAddress address;
    private UnixListening.SocketFile socketFile; // the file a Unix path made: removed on close

    private GroupListener(EventLoopGroup group, Options options, Handler handler) {
        this.group = group;
        this.options = options;
        this.handler = handler;
    }

    /**
     * {@link #start(EventLoopGroup, InetSocketAddress, Options, Handler)} with {@link Options#DEFAULTS}.
     *
     * @param group the loops to accept for
     * @param address the address
     * @param handler the handler
     * @return the listener, accepting
     * @throws IOException if a socket cannot be made, bound or listened on
     */
    public static GroupListener start(EventLoopGroup group, InetSocketAddress address, Handler handler) throws IOException {
        return start(group, address, Options.DEFAULTS, handler);
    }

    /**
     * {@link #start(EventLoopGroup, java.net.SocketAddress, Options, Handler)} with {@link Options#DEFAULTS}.
     *
     * @param group the loops to accept for
     * @param address an IP or Unix-domain address
     * @param handler the handler
     * @return the listener, accepting
     * @throws IOException if a socket cannot be made, bound or listened on
     */
    public static GroupListener start(EventLoopGroup group, java.net.SocketAddress address, Handler handler)
            throws IOException {
        return start(group, address, Options.DEFAULTS, handler);
    }

    /**
     * {@link #start(EventLoopGroup, InetSocketAddress, Options, Handler)} on any address: an
     * {@link InetSocketAddress}, or a Unix-domain one ({@link UnixAddress}, or the JDK's
     * {@link java.net.UnixDomainSocketAddress} for a path). A Unix address is bound once (the
     * kernel does not balance several Unix listeners on one path: a second bind of the path
     * fails): in REUSEPORT mode every loop accepts on a duplicate of that one socket, each
     * connection waking one loop (EPOLLEXCLUSIVE on epoll; each loop on io_uring, see
     * {@link Listener#startShared}), as for an inherited socket; in
     * ACCEPTOR mode the first loop accepts and hands out. The socket file is handled as
     * {@link Listener#bind} says (a stale file replaced, a live one EADDRINUSE, the file removed
     * when this closes). The handler's {@code peer} is null on a Unix socket.
     *
     * @param group the loops to accept for
     * @param address where to listen
     * @param options the options
     * @param handler the handler
     * @return the listener, accepting
     * @throws IOException if a socket cannot be made, bound or listened on (nothing stays open)
     */
    public static GroupListener start(EventLoopGroup group, java.net.SocketAddress address, Options options,
                                      Handler handler) throws IOException {
        Blocking.refuseOnLoop("listeners on every loop of a group", "GroupListener.startAsync");
        return OnLoop.await(startAsync(group, address, options, handler), "listeners on every loop of a group",
                "GroupListener.startAsync");
    }

    /**
     * Binds {@code address} (port 0 picks a free port, the same for every loop; see
     * {@link #address()}) or takes the inherited socket, and starts accepting; returns once
     * every loop accepts. Not on a loop thread, where it would wait for loops: use
     * {@link #startAsync} there.
     *
     * @throws UnsupportedOperationException for REUSEPORT where the OS does not balance
     * @throws IllegalStateException on a loop thread
     * @throws java.util.concurrent.RejectedExecutionException if a loop of the group is closed
     * @throws IOException if a socket cannot be made, bound or listened on (nothing stays open)
     * @param group the loops to accept for
     * @param address the address
     * @param options the options
     * @param handler the handler
     * @return the listener, accepting
     */
    public static GroupListener start(EventLoopGroup group, InetSocketAddress address, Options options, Handler handler)
            throws IOException {
        Blocking.refuseOnLoop("listeners on every loop of a group", "GroupListener.startAsync");
        return OnLoop.await(startAsync(group, address, options, handler), "listeners on every loop of a group",
                "GroupListener.startAsync");
    }

    /**
     * {@link #start(EventLoopGroup, InetSocketAddress, Options, Handler)} without waiting: the
     * sockets are made and bound by the caller, the listeners start on their loops. Any thread.
     *
     * @param group the loops to accept for
     * @param address the address
     * @param options the options
     * @param handler the handler
     * @return the listener once every loop accepts, or the failure (an {@link IOException} if a
     *     socket cannot be made, bound or listened on; nothing stays open)
     */
    public static CompletableFuture<GroupListener> startAsync(EventLoopGroup group, InetSocketAddress address,
                                                              Options options, Handler handler) {
        return startAsync(group, (java.net.SocketAddress) address, options, handler);
    }

    /**
     * {@link #startAsync(EventLoopGroup, InetSocketAddress, Options, Handler)} on any address
     * (see {@link #start(EventLoopGroup, java.net.SocketAddress, Options, Handler)}). Any thread.
     *
     * @param group the loops to accept for
     * @param address where to listen: IP or Unix-domain (null with an inherited socket)
     * @param options the options
     * @param handler the handler
     * @return the listener once every loop accepts, or the failure
     */
    public static CompletableFuture<GroupListener> startAsync(EventLoopGroup group, java.net.SocketAddress address,
                                                              Options options, Handler handler) {
        GroupListener g = new GroupListener(group, Objects.requireNonNull(options, "options"),
                Objects.requireNonNull(handler, "handler"));
        List<CompletableFuture<Listener>> starting = new ArrayList<>();
        Throwable openFailure = null;
        try {
            g.open(address, starting);
        } catch (IOException | RuntimeException e) {
            openFailure = e;
        }
        Throwable failedToOpen = openFailure;
        // Wait for every listener either way: on a failure, those that started are closed again.
        return CompletableFuture.allOf(starting.stream().map(f -> f.exceptionally(t -> null))
                .toArray(CompletableFuture[]::new)).thenCompose(x -> {
                    Throwable failure = failedToOpen;
                    for (CompletableFuture<Listener> f : starting) {
                        Throwable t = f.handle((l, e) -> e).join();
                        if (t == null) {
                            g.listeners.add(f.join());
                        } else if (failure == null) {
                            failure = OnLoop.unwrap(t);
                        }
                    }
                    if (failure == null) {
                        g.removeFileWhenAllEnd();
                        return CompletableFuture.completedFuture(g);
                    }
                    Throwable cause = failure;
                    return g.closeAsync().thenApply(y -> {
                        throw new CompletionException(cause);
                    });
                });
    }

    /**
     * Makes the sockets here, on the caller's thread (bind and listen do not block), and starts
     * a listener on each loop; a socket whose listener cannot start (its loop is closed) is
     * closed here.
     */
    private void open(java.net.SocketAddress given, List<CompletableFuture<Listener>> starting) throws IOException {
        int inherited = options.inheritedFd();
        if (inherited >= 0) {
            Errors.check(OS.makeNonBlockingCloexec(inherited), "fcntl(" + inherited + ", O_NONBLOCK, FD_CLOEXEC)");
            address = SocketAddresses.localAddress(inherited);
        } else if (SocketAddresses.normalize(given) instanceof UnixAddress unix) {
            openUnix(unix, starting);
            return;
        }
        InetSocketAddress at = (InetSocketAddress) given;
        if (options.mode() == Mode.ACCEPTOR) {
            EventLoop acceptor = group.get(0);
            int fd = inherited >= 0 ? inherited : Tcp.listen(at, options.backlog(), false);
            if (address == null) {
                address = SocketAddresses.localAddress(fd);
            }
            // An inherited socket may be served by other processes too (worker processes).
            starting.add(closeIfNotStarted(fd, inherited >= 0
                    ? Listener.startShared(acceptor, fd, accept(), this::handOff)
                    : Listener.start(acceptor, fd, accept(), this::handOff)));
            return;
        }
        if (inherited < 0 && Objects.requireNonNull(at, "address").getPort() != 0) {
            Tcp.requireUnused(at); // SO_REUSEPORT would otherwise join a running server's port
        }
        // Each loop accepts on its own duplicate (each Listener owns its fd), shared: on epoll a
        // connection wakes one loop, not all.
        int[] copies = inherited >= 0 ? duplicates(inherited) : null;
        for (int i = 0; i < group.size(); i++) {
            EventLoop loop = group.get(i);
            Listener.AcceptHandler local = (fd, peer) -> accepted(loop, fd, peer);
            if (inherited >= 0) {
                int fd = copies[i];
                starting.add(closeIfNotStarted(fd, Listener.startShared(loop, fd, accept(), local)));
            } else {
                int fd = Tcp.listen(address == null ? Objects.requireNonNull(at, "address") : (InetSocketAddress) address,
                        options.backlog(), true);
                try {
                    if (address == null) {
                        address = Tcp.localAddress(fd); // later loops bind the port the first got
                    }
                } catch (IOException | RuntimeException e) {
                    OS.close(fd);
                    throw e;
                }
                starting.add(closeIfNotStarted(fd, Listener.start(loop, fd, accept(), local)));
            }
        }
    }

    /**
     * A Unix address: bound once, then served as an inherited socket is (a duplicate per loop,
     * shared) in REUSEPORT mode, or by the acceptor.
     */
    private void openUnix(UnixAddress at, List<CompletableFuture<Listener>> starting) throws IOException {
        UnixListening.Bound bound = UnixListening.listen(at, options.backlog());
        socketFile = bound.file();
        address = at;
        if (options.mode() == Mode.ACCEPTOR) {
            starting.add(closeIfNotStarted(bound.fd(), Listener.start(group.get(0), bound.fd(), accept(),
                    this::handOff)));
            return;
        }
        int[] copies = duplicates(bound.fd());
        for (int i = 0; i < group.size(); i++) {
            EventLoop loop = group.get(i);
            Listener.AcceptHandler local = (fd, peer) -> accepted(loop, fd, peer);
            starting.add(closeIfNotStarted(copies[i], Listener.startShared(loop, copies[i], accept(), local)));
        }
    }

    /**
     * {@code fd} for the first loop and a duplicate of it for each other, all made before any
     * listener starts: a listener that cannot start (its loop is closed) closes its fd at once,
     * and a duplicate made after that would copy a closed number, or another file's that took it.
     * If one cannot be made, the others and {@code fd} are closed.
     */
    private int[] duplicates(int fd) throws IOException {
        int[] fds = new int[group.size()];
        fds[0] = fd;
        for (int i = 1; i < fds.length; i++) {
            int r = OS.duplicate(fd);
            if (r < 0) {
                for (int j = 0; j < i; j++) {
                    OS.close(fds[j]);
                }
                throw Errors.exception("fcntl(" + fd + ", F_DUPFD_CLOEXEC)", -r);
            }
            fds[i] = r;
        }
        return fds;
    }

    /**
     * The options for accepted sockets: on a Unix socket without TCP_NODELAY, which the kernel
     * refuses there (EOPNOTSUPP) and which a Unix socket needs not (it has no Nagle to wait for).
     */
    private AcceptOptions accept() {
        return address instanceof UnixAddress ? options.accept().noDelay(false) : options.accept();
    }

    /**
     * A listener whose loop was closed never took its socket: close it. On any other failure the
     * listener has closed it; a second close would close the number under whoever took it since
     * (another loop's accept takes the lowest free one).
     */
    private static CompletableFuture<Listener> closeIfNotStarted(int fd, CompletableFuture<Listener> started) {
        return started.whenComplete((l, failure) -> {
            if (failure != null && OnLoop.unwrap(failure) instanceof java.util.concurrent.RejectedExecutionException) {
                OS.close(fd);
            }
        });
    }

    /**
     * A Unix path's file goes once every listener on it has closed, for whatever reason: this
     * listener's close, or their loops' (a group that closes closes them without this object).
     */
    private void removeFileWhenAllEnd() {
        UnixListening.SocketFile file = socketFile;
        if (file != null) {
            CompletableFuture.allOf(listeners.stream().map(Listener::ended).toArray(CompletableFuture[]::new))
                    .thenRun(file::removeIfOurs);
        }
    }

    private boolean admit(int fd) {
        IntPredicate admission = options.admission();
        if (admission != null && !admission.test(fd)) {
            OS.close(fd);
            return false;
        }
        return true;
    }

    private void accepted(EventLoop loop, int fd, InetSocketAddress peer) {
        if (admit(fd)) {
            handler.accepted(loop, fd, peer);
        }
    }

    private void handOff(int fd, InetSocketAddress peer) {
        if (!admit(fd)) {
            return;
        }
        EventLoop loop = group.get(Math.floorMod(next.getAndIncrement(), group.size()));
        if (loop.inEventLoop()) {
            handler.accepted(loop, fd, peer); // on the acceptor's loop: the Listener hands it over
            return;
        }
        try {
            loop.execute(() -> AcceptedSockets.handOver(loop, fd, () -> handler.accepted(loop, fd, peer)));
        } catch (RejectedExecutionException closed) {
            OS.close(fd); // that loop is stopping
        }
    }

    /**
     * The bound IP address (with the actual port when 0 was asked for); null on a Unix-domain
     * socket ({@link #localAddress()}).
     *
     * @return the address, or null
     */
    public InetSocketAddress address() {
        return address instanceof InetSocketAddress inet ? inet : null;
    }

    /**
     * The bound address: an {@link InetSocketAddress} (with the actual port), or a
     * {@link UnixAddress}.
     *
     * @return the address
     */
    public java.net.SocketAddress localAddress() {
        return address;
    }

    /** {@return how connections reach the loops} */
    public Mode mode() {
        return options.mode();
    }

    /**
     * The listeners: one per loop (REUSEPORT) or the acceptor's.
     *
     * @return the listeners
     */
    public List<Listener> listeners() {
        return List.copyOf(listeners);
    }

    /** Stops accepting on every listener until {@link #resumeAccepting()}; see {@link Listener#suspendAccepting()}. */
    public void suspendAccepting() {
        listeners.forEach(Listener::suspendAccepting);
    }

    /** Accepts again on every listener; see {@link Listener#resumeAccepting()}. */
    public void resumeAccepting() {
        listeners.forEach(Listener::resumeAccepting);
    }

    /**
     * Closes every listening socket; when this returns the kernel refuses new connections.
     * Connections already handed out stay open. On a loop thread it cannot wait for the other
     * loops: there it only starts closing ({@link #closeAsync()} tells when it is done).
     * Idempotent.
     */
    @Override
    public void close() {
        CompletableFuture<Void> done = closeAsync();
        if (EventLoop.current() == null) {
            done.join();
        }
    }

    /**
     * Starts closing every listening socket and returns at once. Any thread. A socket whose
     * close(2) reports an error is logged (and released all the same).
     *
     * @return a future completed once every socket is closed
     */
    public CompletableFuture<Void> closeAsync() {
        CompletableFuture<Void> closed = CompletableFuture.allOf(listeners.stream().map(l -> l.closeAsync().exceptionally(failure -> {
            LOG.warn("closing listener fd {}: {}", l.fd(), OnLoop.unwrap(failure).getMessage());
            return null;
        })).toArray(CompletableFuture[]::new));
        UnixListening.SocketFile file = socketFile;
        if (file == null) {
            return closed;
        }
        // Once every duplicate is closed nothing listens on the path: its file goes too.
        return closed.thenRun(file::removeIfOurs);
    }
}
