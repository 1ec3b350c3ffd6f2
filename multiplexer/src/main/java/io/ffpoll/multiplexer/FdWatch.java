package io.ffpoll.multiplexer;

import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopFuture;
import io.ffpoll.multiplexer.internal.LoopResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * Readiness of a descriptor you own (a pipe, a timerfd, a device, another library's socket),
 * delivered to a callback on an {@link EventLoop}: what mio's {@code SourceFd} or libuv's
 * {@code uv_poll_t} give. The watch never closes the descriptor unless asked to
 * ({@link #closeWithFd()}): {@link #close()}, the loop's own closing and a callback that throws
 * all only stop watching. (An fd registered with {@link EventLoop#register} directly is closed
 * by the loop when the loop closes; a watched one is not.)
 *
 * <pre>{@code
 * FdWatch watch = FdWatch.start(loop, pipeReadFd, Interest.READABLE, (w, event) -> {
 *     // read until EAGAIN: readiness is edge-triggered
 * }).get();
 * ...
 * watch.close();   // the pipe stays open
 * }</pre>
 *
 * <p>Contract: the loop's ({@link Poller}): events are edge-triggered and may be spurious;
 * read or write until EAGAIN before expecting another. The descriptor should be
 * non-blocking, or a callback that reads past what is there blocks the loop. The callback runs
 * on the loop thread; a callback that throws closes its watch (the descriptor stays open), is
 * logged once, and {@link #closed()} completes with what it threw; the loop serves everyone
 * else. Threading: {@link #start}, {@link #interest(Interest)}, {@link #close()},
 * {@link #closeWithFd()} and {@link #closed()} may be called from any thread.
 */
public final class FdWatch {
    private static final Logger LOG = LoggerFactory.getLogger(FdWatch.class);

    /** Receives the readiness of a watched descriptor, on the loop thread. */
    @FunctionalInterface
    public interface Handler {
        /**
         * The descriptor is ready (see {@link Event}: readable, writable, read-closed, error).
         *
         * @param watch the watch
         * @param event the event; valid during this call only
         */
        void onReady(FdWatch watch, Event event);
    }

    private final EventLoop loop;
    private final int fd;
    private final Handler handler;
    private final CompletableFuture<Void> closed;
    private volatile Interest interest;
    private volatile boolean open = true; // written on the loop thread
    private boolean fdClosed;             // loop thread, or after the loop ended
    // The loop's handler of the fd: it names the user's handler in JFR's slow-callback events.
    private final Events events = new Events();
    // What the loop closes when it stops (kept out of the public surface).
    private final LoopResource resource = LoopResource.of(() -> end(null, true));

    private FdWatch(EventLoop loop, int fd, Interest interest, Handler handler) {
        this.loop = loop;
        this.fd = fd;
        this.interest = interest;
        this.handler = handler;
        this.closed = new LoopFuture<>(loop);
    }

    /**
     * Starts watching {@code fd} on {@code loop} for {@code interest}. Any thread; never waits.
     * The future completes once the kernel has taken the registration, or fails with its
     * refusal (a closed fd is EBADF; a file whose readiness never changes is EPERM, see
     * {@link Poller#register}), which leaves the fd as it was.
     *
     * @param loop the loop whose thread runs the handler
     * @param fd the descriptor, still yours: the watch does not close it
     * @param interest the readiness to deliver
     * @param handler the callback
     * @return a future of the watch
     * @throws IllegalArgumentException if {@code fd} is negative
     */
    public static CompletableFuture<FdWatch> start(EventLoop loop, int fd, Interest interest, Handler handler) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(interest, "interest");
        Objects.requireNonNull(handler, "handler");
        if (fd < 0) {
            throw new IllegalArgumentException("negative fd " + fd);
        }
        FdWatch watch = new FdWatch(loop, fd, interest, handler);
        LoopFuture<FdWatch> started = new LoopFuture<>(loop);
        loop.onLoop(() -> {
            loop.register(fd, interest, watch.events);
            LoopAccess access = LoopAccess.get();
            access.adopt(loop, watch.resource);
            // The next poll applies the registration; a refusal arrives as an event before this runs.
            access.afterNextPoll(loop, () -> {
                if (watch.open) {
                    started.complete(watch);
                } else {
                    watch.closed.whenComplete((v, failure) -> started.completeExceptionally(
                            failure != null ? failure : new IOException("watch of fd " + fd + " closed while starting")));
                }
            });
            return null;
        }).whenComplete((v, failure) -> {
            if (failure != null) {
                started.completeExceptionally(failure instanceof java.util.concurrent.CompletionException c
                        && c.getCause() != null ? c.getCause() : failure);
            }
        });
        return started;
    }

    private final class Events implements IoHandler, io.ffpoll.multiplexer.internal.Described {
        @Override
        public void onEvent(Event event) {
            FdWatch.this.onEvent(event);
        }

        @Override
        public String describeCallback() {
            return "fd watch of fd " + fd + " (" + handler.getClass().getName() + ")";
        }
    }

    private void onEvent(Event event) {
        IOException refused = event.registrationFailure();
        if (refused != null) {
            end(refused, false); // the registration is gone already
            return;
        }
        try {
            handler.onReady(this, event);
        } catch (Throwable t) {
            LOG.warn("event loop '{}': the handler of the watch of fd {} threw; the watch is closed, the fd stays open",
                    loop.name(), fd, t);
            end(t, true);
        }
    }

    /** Loop thread: stops watching, releases the loop's hold, and tells {@link #closed()}. */
    private void end(Throwable failure, boolean deregister) {
        end(failure, deregister, false);
    }

    /**
     * Loop thread. With {@code closeFd} the descriptor is closed before {@link #closed()} is
     * told, so whoever waits on it finds the fd closed.
     */
    private void end(Throwable failure, boolean deregister, boolean closeFd) {
        boolean wasOpen = open;
        if (wasOpen) {
            open = false;
            if (deregister && loop.poller.isRegistered(fd)) {
                loop.poller.deregister(fd);
            }
            LoopAccess.get().release(loop, resource);
        }
        if (closeFd) {
            synchronized (this) {
                closeFdOnce();
            }
        }
        if (!wasOpen) {
            return;
        }
        if (failure == null) {
            closed.complete(null);
        } else {
            closed.completeExceptionally(failure);
        }
    }

    /** {@return the watched descriptor} */
    public int fd() {
        return fd;
    }

    /** {@return the loop that runs the handler} */
    public EventLoop loop() {
        return loop;
    }

    /** {@return false once the watch has ended (closed, its loop closed, or its handler threw)} */
    public boolean isOpen() {
        return open;
    }

    /** {@return the readiness delivered now} */
    public Interest interest() {
        return interest;
    }

    /**
     * Changes the readiness delivered, in user space (see {@link Poller#modify}): readiness
     * that came while a direction was off is delivered when it is turned on again. Any thread;
     * off the loop it takes effect in a task of the loop's. A no-op once the watch has ended.
     *
     * @param interest the readiness to deliver
     */
    public void interest(Interest interest) {
        Objects.requireNonNull(interest, "interest");
        this.interest = interest;
        onLoopIfRunning(() -> {
            if (open) {
                loop.modify(fd, this.interest);
            }
        });
    }

    /**
     * Stops watching; the descriptor stays open, yours to use or close. Any thread, idempotent;
     * {@link #closed()} tells when it is done.
     */
    public void close() {
        onLoopIfRunning(() -> end(null, true));
    }

    /**
     * Stops watching and closes the descriptor. Any thread, idempotent; also after the watch
     * ended otherwise (the loop closed, the handler threw), as long as the descriptor was not
     * closed by this method before. Never retried on EINTR.
     */
    public void closeWithFd() {
        if (!onLoopIfRunning(this::endAndCloseFd)) {
            // The loop has ended (and with it the watch): no registration is left to remove.
            synchronized (this) {
                closeFdOnce();
            }
        }
    }

    private void endAndCloseFd() {
        end(null, true, true);
    }

    private void closeFdOnce() {
        if (!fdClosed) {
            fdClosed = true;
            int r = Platform.current().close(fd);
            if (r < 0) {
                LOG.debug("closing watched fd {}: {}", fd, Platform.current().describe(-r));
            }
        }
    }

    /**
     * Completes when the watch has ended: normally after {@link #close()}, {@link #closeWithFd()}
     * or its loop's closing; exceptionally with what its handler threw, or the kernel's refusal
     * of the registration.
     *
     * @return the future
     */
    public CompletableFuture<Void> closed() {
        return closed.copy();
    }

    /** Runs {@code r} on the loop (now, if on it); false if the loop has ended and runs nothing. */
    private boolean onLoopIfRunning(Runnable r) {
        if (loop.inEventLoop()) {
            if (EventLoop.current() == null) {
                return false;
            }
            r.run();
            return true;
        }
        try {
            loop.execute(r);
            return true;
        } catch (RejectedExecutionException ended) {
            return false; // the loop closed: it ended the watch (closeBecauseLoopStopped)
        }
    }

    @Override
    public String toString() {
        return "FdWatch[fd=" + fd + ", " + interest + (open ? "" : ", closed") + "]";
    }
}
