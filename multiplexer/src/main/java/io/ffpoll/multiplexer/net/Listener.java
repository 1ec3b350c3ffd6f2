package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.Event;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.IoHandler;
import io.ffpoll.multiplexer.backend.Backend;
import io.ffpoll.multiplexer.internal.Described;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopCounters;
import io.ffpoll.multiplexer.internal.LoopFuture;
import io.ffpoll.multiplexer.internal.LoopResource;
import io.ffpoll.multiplexer.observe.JfrEvents;
import io.ffpoll.multiplexer.observe.JfrSwitch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * Accepts connections on a listening socket from an {@link EventLoop}: each is accepted with
 * {@code accept4(SOCK_NONBLOCK|SOCK_CLOEXEC)}, its peer address read in the same call, and
 * handed to an {@link AcceptHandler} on the loop thread. On a loop on io_uring (Linux >= 5.19)
 * the kernel accepts them itself, with one multishot accept in the loop's enter, and the peer
 * address is read with getpeername(2); a listening socket shared with other loops is accepted
 * from on readiness there too.
 *
 * <p>When the process or system runs out of descriptors (EMFILE, ENFILE) or kernel memory
 * (ENOBUFS, ENOMEM), the pending connection cannot be taken and the listener stays readable:
 * retrying at once would spin. It pauses instead: interest is turned off (in user space, no
 * syscall) and back on after {@link #PAUSE}, when the remembered readiness makes it try again.
 */
public final class Listener {
    private static final Platform OS = Platform.current();
    private static final LoopAccess LOOPS = LoopAccess.get();
    private static final Logger LOG = LoggerFactory.getLogger(Listener.class);
    /**
     * Connections accepted per loop iteration at most; a burst beyond it continues in the next
     * iterations (the readiness is remembered), so the loop's other events are not held up.
     */
    public static final int ACCEPTS_PER_TURN = 64;

    /** How long accepting pauses after EMFILE/ENFILE/ENOBUFS/ENOMEM. */
    public static final Duration PAUSE = Duration.ofMillis(100);

    /**
     * Receives accepted connections on the loop thread; the fd is non-blocking and its own. If
     * it throws, the exception is logged, the fd is closed (unless the handler registered it on
     * the loop, in which case it belongs to whoever did), and accepting goes on.
     */
    @FunctionalInterface
    public interface AcceptHandler {
        /**
         * A connection was accepted.
         *
         * @param fd the accepted socket, non-blocking, the handler's
         * @param peer the client's address; null on a Unix-domain listener (a client there is
         *     almost always unnamed: {@link Connection#peerAddress()} and
         *     {@link Connection#peerCredentials()} tell what there is to know)
         */
        void accepted(int fd, InetSocketAddress peer);
    }

    private final EventLoop loop;
    private final int fd;
    private final AcceptHandler handler;
    private final AcceptOptions options;
    private final boolean shared;
    private final IoHandler events = new Events();
    private final LoopCounters counters;
    private AcceptedSockets sockets; // made on the loop, with the registration
    private boolean adopted;      // by the loop, which from then on closes the fd and the memory
    private boolean paused;       // out of descriptors or memory: retried after PAUSE
    private boolean suspended;    // by the owner (e.g. at a connection limit), until resumed
    private boolean inWakeSet;    // a shared socket's registration, while accepting
    private Backend ring;         // the loop's backend where the kernel accepts (io_uring), else null
    private boolean closed;
    private long pauses;
    private UnixListening.SocketFile socketFile; // removed on close: the file this listener bound
    // Complete once the first poll after the registration applied it (its failure comes then).
    private final CompletableFuture<Listener> started;
    private final CompletableFuture<Void> ended = new CompletableFuture<>(); // the socket is closed, however
    private final LoopResource resource = LoopResource.of(this::closeBecauseLoopStopped);

    private Listener(EventLoop loop, int fd, AcceptOptions options, AcceptHandler handler, boolean shared) {
        this.loop = loop;
        this.counters = LOOPS.counters(loop);
        this.fd = fd;
        this.options = java.util.Objects.requireNonNull(options, "options");
        this.handler = java.util.Objects.requireNonNull(handler, "handler");
        this.shared = shared;
        this.started = new LoopFuture<>(loop);
    }

    /**
     * Starts on the loop: the memory accept writes the peer into, the registration, the loop's
     * care; {@link #started} completes after the poll that applies the registration.
     */
    private CompletableFuture<Listener> begin() {
        CompletableFuture<Listener> hop = loop.onLoop(this::register);
        hop.whenComplete((l, failure) -> {
            if (failure != null) {
                Throwable cause = OnLoop.unwrap(failure);
                if (!(cause instanceof RejectedExecutionException)) {
                    abandon(); // on the loop, where register() threw
                }
                started.completeExceptionally(cause);
            }
        });
        return started;
    }

    /**
     * register() threw: the fd is closed here, as on every failure but a closed loop's, so that
     * it has one owner who closes it once (a caller that closed it again would close the number
     * under whoever took it next: a loop accepting on a duplicate takes the lowest free one).
     */
    private void abandon() {
        closed = true;
        if (sockets != null) {
            sockets.close();
            sockets = null;
        }
        try {
            if (LOOPS.isRegistered(loop, fd)) {
                loop.deregisterAndClose(fd);
            } else {
                OS.close(fd);
            }
        } catch (IOException e) {
            LOG.debug("closing listener fd {}: {}", fd, e.getMessage());
        }
    }

    private Listener register() throws IOException {
        sockets = new AcceptedSockets(fd, options);
        if (shared) {
            LOOPS.registerShared(loop, fd, Interest.READABLE, events);
            inWakeSet = true;
        } else {
            sockets.inheritOptions();
            loop.register(fd, Interest.READABLE, events);
            Backend backend = LOOPS.backend(loop);
            if (backend.completesAccepts()) {
                sockets.acceptedByRing(); // a failure here: begin() closes the fd and the memory
                backend.acceptFor(fd);
                ring = backend;
            }
        }
        LOOPS.adopt(loop, resource);
        adopted = true;
        LOOPS.afterNextPoll(loop, () -> {
            if (!closed) {
                started.complete(this);
            } else {
                started.completeExceptionally(new ClosedConnectionException("listener fd " + fd
                        + " was closed before it started"));
            }
        });
        return this;
    }

    /**
     * Starts accepting on {@code listenFd} (a listening, non-blocking socket, see
     * {@link Tcp#listen}); the listener owns the fd from then on. Any thread: on the loop's own
     * thread it starts at once (the future is complete when this returns), elsewhere on the
     * loop; it never waits.
     *
     * @param loop the event loop
     * @param listenFd a listening, non-blocking socket
     * @param handler the handler
     * @return the listener once its registration is applied (after the loop's next poll); failed
     *     with a {@link java.util.concurrent.RejectedExecutionException} if the loop is closed
     *     (the fd then stays the caller's), or with any other failure, the kernel's refusal of
     *     the registration included (the listener closed the fd)
     */
    public static CompletableFuture<Listener> start(EventLoop loop, int listenFd, AcceptHandler handler) {
        return start(loop, listenFd, AcceptOptions.DEFAULTS, handler);
    }

    /**
     * {@link #start(EventLoop, int, AcceptHandler)} that sets {@code options} on every accepted socket.
     *
     * @param loop the event loop
     * @param listenFd a listening, non-blocking socket
     * @param options the options
     * @param handler the handler
     * @return the listener once its registration is applied
     */
    public static CompletableFuture<Listener> start(EventLoop loop, int listenFd, AcceptOptions options,
                                                    AcceptHandler handler) {
        return new Listener(loop, listenFd, options, handler, false).begin();
    }

    /**
     * {@link #start} for a listening socket that other loops or processes accept on too,
     * through duplicates of it (one inherited socket served by every loop): on epoll a
     * connection wakes one of the waiters (EPOLLEXCLUSIVE) instead of all; on io_uring it wakes
     * each, and those that find no connection left get EAGAIN (an io_uring poll would keep an
     * exclusive wakeup while its loop is busy or closing, and the connection would wait for a
     * loop that does not accept it). While this listener
     * does not accept (suspended, or paused for lack of descriptors) it leaves the kernel's set
     * of waiters, so the wakeups go to those that do. Closing it takes it out of the loop's set,
     * which the kernel would otherwise keep (and wake) while a duplicate is open. Any thread.
     *
     * @param loop the event loop
     * @param listenFd a listening, non-blocking socket
     * @param options the options
     * @param handler the handler
     * @return the listener once its registration is applied
     */
    public static CompletableFuture<Listener> startShared(EventLoop loop, int listenFd, AcceptOptions options,
                                                          AcceptHandler handler) {
        return new Listener(loop, listenFd, options, handler, true).begin();
    }

    /**
     * Binds {@code address} and accepts on it: a TCP address ({@link InetSocketAddress}, as
     * {@link Tcp#listen} binds it, without SO_REUSEPORT) or a Unix-domain one ({@link UnixAddress}
     * or the JDK's {@link java.net.UnixDomainSocketAddress}), with a backlog of 1024. On a Unix
     * path the listener owns the socket file: a stale one left by a listener that is gone is
     * replaced, a live listener's path fails with EADDRINUSE, a path that is not a socket is
     * never touched, and the file is removed when this listener closes (if it is still the file
     * it bound). Bind and listen run on the caller's thread; the rest as {@link #start}. Any thread.
     *
     * @param loop the event loop
     * @param address where to listen
     * @param options set on every accepted socket
     * @param handler the handler
     * @return the listener once its registration is applied, or the failure: an
     *     {@link IOException} ({@link java.net.BindException} for an address in use) if it cannot
     *     listen (nothing stays open); a {@link java.util.concurrent.RejectedExecutionException}
     *     if the loop is closed (the socket and its file are closed and removed again)
     * @throws IllegalArgumentException for an unresolved IP address, an address of another
     *     type, or a Unix name too long for the OS (ENAMETOOLONG)
     * @throws UnsupportedOperationException for an abstract name off Linux
     */
    public static CompletableFuture<Listener> bind(EventLoop loop, java.net.SocketAddress address,
                                                   AcceptOptions options, AcceptHandler handler) {
        java.net.SocketAddress at = SocketAddresses.normalize(address);
        java.util.Objects.requireNonNull(options, "options");
        java.util.Objects.requireNonNull(handler, "handler");
        int fd;
        UnixListening.SocketFile file = null;
        try {
            if (at instanceof UnixAddress unix) {
                UnixListening.Bound bound = UnixListening.listen(unix, 1024);
                fd = bound.fd();
                file = bound.file();
            } else {
                fd = Tcp.listen((InetSocketAddress) at, 1024, false);
            }
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        // TCP_NODELAY means nothing on a Unix socket, whose kernel refuses it (EOPNOTSUPP).
        Listener l = new Listener(loop, fd, at instanceof UnixAddress ? options.noDelay(false) : options, handler, false);
        l.socketFile = file;
        UnixListening.SocketFile bound = file;
        return l.begin().whenComplete((x, failure) -> {
            // Refused before the loop adopted it: a closed loop leaves the fd to us, any other
            // failure has closed it (begin). The file is ours either way. Once adopted, the
            // loop closes them.
            if (failure != null && !l.adopted) {
                if (OnLoop.unwrap(failure) instanceof RejectedExecutionException) {
                    OS.close(fd);
                }
                if (bound != null) {
                    bound.removeIfOurs();
                }
            }
        });
    }

    /**
     * {@link #startShared(EventLoop, int, AcceptOptions, AcceptHandler)} with default options.
     *
     * @param loop the event loop
     * @param listenFd a listening, non-blocking socket
     * @param handler the handler
     * @return the listener once its registration is applied
     */
    public static CompletableFuture<Listener> startShared(EventLoop loop, int listenFd, AcceptHandler handler) {
        return startShared(loop, listenFd, AcceptOptions.DEFAULTS, handler);
    }

    /**
     * The loop the listener accepts on.
     *
     * @return the loop
     */
    public EventLoop loop() {
        return loop;
    }

    /**
     * The address the listening socket is bound to, read from the kernel (getsockname): an
     * {@link InetSocketAddress} with the actual port where 0 was asked for, or a
     * {@link UnixAddress}. Any thread.
     *
     * @return the bound address
     * @throws IOException if the socket is closed or the kernel refuses (EBADF)
     */
    public java.net.SocketAddress localAddress() throws IOException {
        return SocketAddresses.localAddress(fd);
    }

    /** {@return the listening socket} */
    public int fd() {
        return fd;
    }

    /**
     * How many times accepting paused for lack of descriptors or memory.
     *
     * @return how many pauses
     */
    public long pauses() {
        return pauses;
    }

    /** The loop's handler of the listening socket, which names it in JFR events. */
    private final class Events implements IoHandler, Described {
        @Override
        public void onEvent(Event event) {
            Listener.this.onEvent(event);
        }

        @Override
        public String describeCallback() {
            return "listener fd " + fd + " (accepting for " + handler.getClass().getName() + ")";
        }
    }

    private void onEvent(Event event) {
        if (event.registrationFailure() != null) {
            LOG.error("listener fd {} could not be registered: {}", fd, event.registrationFailure().getMessage());
            closeRefused();
            started.completeExceptionally(event.registrationFailure()); // after: its fd and file are gone
            return;
        }
        int accepted = 0;
        while (!closed && !paused && !suspended) {
            if (accepted == ACCEPTS_PER_TURN) {
                // Fairness: the rest waits for the next iteration, which gets the remembered
                // readiness without a syscall, after this one's other events.
                LOOPS.redeliver(loop, fd, Interest.READABLE);
                return;
            }
            int r = ring != null ? ring.accept(fd) : sockets.accept();
            if (r >= 0) {
                accepted++;
                counters.counts[LoopCounters.ACCEPTS]++;
                if (sockets.prepare(r)) {
                    InetSocketAddress from = sockets.peer();
                    AcceptedSockets.handOver(loop, r, () -> handler.accepted(r, from));
                }
                continue;
            }
            int errno = -r;
            if (errno == Err.EAGAIN) {
                loop.clearReadiness(fd, Interest.READABLE);
                return;
            }
            if (errno != Err.EINTR) {
                acceptFailed(errno);
            }
            if (errno == Err.EINTR || errno == Err.ECONNABORTED || errno == Err.EPROTO || errno == Err.EPERM) {
                continue; // this connection is gone or refused; the next may be fine
            }
            if (errno == Err.EMFILE || errno == Err.ENFILE || errno == Err.ENOBUFS || errno == Err.ENOMEM) {
                pause(errno);
                return;
            }
            LOG.error("listener fd {} stops: {}", fd, Errors.exception("accept(fd " + fd + ")", errno).getMessage());
            closeBecauseLoopStopped();
            return;
        }
    }

    private void acceptFailed(int errno) {
        counters.acceptFailed(errno);
        if (JfrSwitch.on()) {
            JfrEvents.acceptFailure(loop.name(), "fd " + fd, errno, OS.describe(errno));
        }
    }

    private void pause(int errno) {
        if (pauses++ == 0 || LOG.isDebugEnabled()) {
            LOG.warn("listener fd {}: accept failed with {}; pausing accepts for {} ms (logged once)",
                    fd, OS.describe(errno), PAUSE.toMillis());
        }
        paused = true;
        updateInterest();
        loop.schedule(PAUSE, () -> {
            paused = false;
            updateInterest();
        });
    }

    private void updateInterest() {
        if (closed) {
            return;
        }
        boolean accepting = !paused && !suspended;
        if (!shared) {
            loop.modify(fd, accepting ? Interest.READABLE : Interest.NONE); // user space only
        } else if (accepting != inWakeSet) {
            // EPOLLEXCLUSIVE gives each connection's wakeup to one waiter: a waiter that does not
            // accept would take the wakeups the other loops or processes on this socket need, and
            // they would never hear of the connection. So a listener that does not accept leaves
            // the set (epoll_ctl DEL; EPOLLEXCLUSIVE cannot be MODified), and comes back with an
            // ADD, which reports the connections that waited meanwhile. (On io_uring every
            // waiter is woken: there leaving the set only spares it wakeups it would not use.)
            if (accepting) {
                LOOPS.registerShared(loop, fd, Interest.READABLE, events);
            } else {
                loop.deregister(fd);
            }
            inWakeSet = accepting;
        }
    }

    /**
     * Stops accepting until {@link #resumeAccepting()}: connections wait in the kernel's backlog
     * (and beyond it, clients retry their SYN), as nginx does at its connection limit. No
     * syscall. Any thread: on the loop it takes effect before the next accept.
     */
    public void suspendAccepting() {
        if (!loop.inEventLoop()) {
            onLoopLater(this::suspendAccepting);
            return;
        }
        suspended = true;
        updateInterest();
    }

    /**
     * Accepts again, starting with the connections that waited meanwhile. Any thread: off the
     * loop it takes effect once the loop runs it (as does {@link #suspendAccepting()}).
     */
    public void resumeAccepting() {
        if (!loop.inEventLoop()) {
            onLoopLater(this::resumeAccepting);
            return;
        }
        if (suspended) {
            suspended = false;
            updateInterest(); // readiness that came meanwhile was remembered: it is delivered now
        }
    }

    private void onLoopLater(Runnable r) {
        try {
            loop.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the loop is closing, and this listener with it
        }
    }

    /**
     * Stops accepting and closes the listening socket. Any thread: on the loop's own thread at
     * once, elsewhere on the loop; it never waits. Idempotent, and harmless once the loop is
     * closed (closing a loop closes its listeners).
     *
     * @return a future completed once the socket is closed (from then on the kernel refuses new
     *     connections), or failed with the {@link IOException} of close(2) (the descriptor is
     *     released all the same)
     */
    public CompletableFuture<Void> closeAsync() {
        CompletableFuture<Void> done = loop.onLoop(() -> {
            closeOnLoop();
            return null;
        });
        // A closing loop refuses the task, and closes its listeners as it stops: done once it has.
        return done.exceptionallyCompose(failure -> OnLoop.unwrap(failure) instanceof RejectedExecutionException
                ? loop.closeAsync() : CompletableFuture.failedFuture(OnLoop.unwrap(failure)));
    }

    private void closeOnLoop() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        LOOPS.release(loop, resource);
        try {
            loop.deregisterAndClose(fd);
        } finally {
            if (sockets != null) {
                sockets.close();
            }
            if (socketFile != null) {
                socketFile.removeIfOurs();
            }
            ended.complete(null);
        }
    }

    /** Completes once the listening socket is closed: by closeAsync, its loop's closing, or a failure. */
    CompletableFuture<Void> ended() {
        return ended;
    }

    /** The kernel refused the registration, which is gone already: no deregistration to make. */
    private void closeRefused() {
        closed = true;
        LOOPS.release(loop, resource);
        OS.close(fd);
        sockets.close();
        if (socketFile != null) {
            socketFile.removeIfOurs();
        }
        ended.complete(null);
    }

    private void closeBecauseLoopStopped() {
        try {
            closeOnLoop();
        } catch (IOException e) {
            LOG.warn("closing listener fd {}: {}", fd, e.getMessage());
        }
    }
}
