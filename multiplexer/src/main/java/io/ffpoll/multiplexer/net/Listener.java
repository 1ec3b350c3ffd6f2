package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Platform;
import io.ffpoll.multiplexer.Event;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.IoHandler;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Accepts connections on a listening socket from an {@link EventLoop}: each is accepted with
 * {@code accept4(SOCK_NONBLOCK|SOCK_CLOEXEC)}, its peer address read in the same call, and
 * handed to an {@link AcceptHandler} on the loop thread.
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
         * @param peer the client's address
         */
        void accepted(int fd, InetSocketAddress peer);
    }

    private final EventLoop loop;
    private final int fd;
    private final AcceptHandler handler;
    private final AcceptOptions options;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment peer;
    private final MemorySegment peerLength;
    private boolean paused;    // out of descriptors or memory: retried after PAUSE
    private boolean suspended; // by the owner (e.g. at a connection limit), until resumed
    private boolean closed;
    private long pauses;
    private final LoopResource resource = this::closeBecauseLoopStopped;

    private Listener(EventLoop loop, int fd, AcceptOptions options, AcceptHandler handler) {
        this.loop = loop;
        this.fd = fd;
        this.options = java.util.Objects.requireNonNull(options, "options");
        this.handler = java.util.Objects.requireNonNull(handler, "handler");
        this.peer = OS.allocateSockaddr(arena);
        this.peerLength = arena.allocate(ValueLayout.JAVA_INT);
    }

    /**
     * Starts accepting on {@code listenFd} (a listening, non-blocking socket, see
     * {@link Tcp#listen}); the listener owns the fd from then on. Any thread: off the loop it
     * runs on the loop and returns once the listener is registered.
     *
     * @throws java.util.concurrent.RejectedExecutionException if the loop is closed
     * @param loop the event loop
     * @param listenFd a listening, non-blocking socket
     * @param handler the handler
     * @return the listener
     */
    public static Listener start(EventLoop loop, int listenFd, AcceptHandler handler) {
        return start(loop, listenFd, AcceptOptions.DEFAULTS, handler);
    }

    /**
     * {@link #start(EventLoop, int, AcceptHandler)} that sets {@code options} on every accepted socket.
     *
     * @param loop the event loop
     * @param listenFd a listening, non-blocking socket
     * @param options the options
     * @param handler the handler
     * @return the listener
     */
    public static Listener start(EventLoop loop, int listenFd, AcceptOptions options, AcceptHandler handler) {
        Listener l = new Listener(loop, listenFd, options, handler);
        return OnLoop.call(loop, () -> {
            loop.register(listenFd, Interest.READABLE, l::onEvent);
            LOOPS.adopt(loop, l.resource);
            return l;
        });
    }

    /**
     * {@link #start} for a listening socket that other loops accept on too, through duplicates
     * of it (one inherited socket served by every loop): on epoll a connection wakes one of the
     * loops (EPOLLEXCLUSIVE) instead of all, and closing this listener takes it out of the
     * loop's set, which the kernel would otherwise keep (and wake) while a duplicate is open.
     * Any thread.
     *
     * @param loop the event loop
     * @param listenFd a listening, non-blocking socket
     * @param options the options
     * @param handler the handler
     * @return the listener
     */
    public static Listener startShared(EventLoop loop, int listenFd, AcceptOptions options, AcceptHandler handler) {
        Listener l = new Listener(loop, listenFd, options, handler);
        return OnLoop.call(loop, () -> {
            LOOPS.registerShared(loop, listenFd, Interest.READABLE, (IoHandler) l::onEvent);
            LOOPS.adopt(loop, l.resource);
            return l;
        });
    }

    /**
     * {@link #startShared(EventLoop, int, AcceptOptions, AcceptHandler)} with default options.
     *
     * @param loop the event loop
     * @param listenFd a listening, non-blocking socket
     * @param handler the handler
     * @return the listener
     */
    public static Listener startShared(EventLoop loop, int listenFd, AcceptHandler handler) {
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

    private void onEvent(Event event) {
        if (event.registrationFailure() != null) {
            LOG.error("listener fd {} could not be registered: {}", fd, event.registrationFailure().getMessage());
            closeBecauseLoopStopped();
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
            peerLength.set(ValueLayout.JAVA_INT, 0, (int) OS.sockaddrSize());
            int r = OS.accept(fd, peer, peerLength);
            if (r >= 0) {
                accepted++;
                deliver(r);
                continue;
            }
            int errno = -r;
            if (errno == Err.EAGAIN) {
                loop.clearReadiness(fd, Interest.READABLE);
                return;
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

    private void deliver(int accepted) {
        int r = options.apply(OS, accepted);
        if (r < 0) {
            LOG.debug("listener fd {}: setting the accept options on fd {} failed: {}", fd, accepted, OS.describe(-r));
            OS.close(accepted);
            return;
        }
        try {
            handler.accepted(accepted, OS.decode(peer));
        } catch (Throwable t) {
            LOG.warn("listener fd {}: the accept handler threw; closing the connection it was given", fd, t);
            if (!LOOPS.isRegistered(loop, accepted)) {
                OS.close(accepted);
            }
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
        if (!closed) {
            loop.modify(fd, paused || suspended ? Interest.NONE : Interest.READABLE);
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
     * Stops accepting and closes the listening socket; when this returns, the kernel refuses new
     * connections. From any thread: off the loop thread it runs on the loop and waits for it.
     * Idempotent, and harmless once the loop is closed (closing a loop closes its listeners).
     *
     * @throws IOException if closing the socket fails (it is released all the same)
     */
    public void close() throws IOException {
        if (loop.inEventLoop()) {
            closeOnLoop();
            return;
        }
        try {
            loop.submit(() -> {
                closeOnLoop();
                return null;
            }).get();
        } catch (java.util.concurrent.RejectedExecutionException loopClosing) {
            // The loop closes its listeners as it stops: wait for that.
            boolean interrupted = false;
            while (true) {
                try {
                    loop.awaitTermination(Long.MAX_VALUE, java.util.concurrent.TimeUnit.NANOSECONDS);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while closing listener fd " + fd);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException("closing listener fd " + fd + " failed", e.getCause());
        }
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
            arena.close();
        }
    }

    private void closeBecauseLoopStopped() {
        try {
            closeOnLoop();
        } catch (IOException e) {
            LOG.warn("closing listener fd {}: {}", fd, e.getMessage());
        }
    }
}
