package io.ffpoll.multiplexer;

import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopFuture;
import io.ffpoll.multiplexer.internal.LoopResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * A process signal (SIGHUP, SIGINT, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2, SIGWINCH) delivered as
 * a callback on an {@link EventLoop}'s thread, on every backend: what libuv's
 * {@code uv_signal_t} gives.
 *
 * <pre>{@code
 * SignalWatch hup = SignalWatch.start(loop, SignalWatch.Signal.HUP, (watch, signal) -> reload());
 * ...
 * hup.close();   // the handler that was there before is back
 * }</pre>
 *
 * <p>Why not signalfd (or kqueue's EVFILT_SIGNAL): signalfd sees a signal only while every
 * thread of the process blocks it, or the kernel hands it to any thread that does not, which
 * then runs the disposition. A Java program cannot block a signal in the threads the JVM
 * started before {@code main} (GC, compiler, signal dispatcher, ...): with SIGHUP blocked in
 * the main thread and a signalfd open, 18 of the 19 threads of a JVM 25 did not block it, and a
 * {@code kill -HUP} ran HotSpot's own handler (shutdown hooks, exit 129) instead of making the
 * signalfd readable; a SIGCHLD never reached it either. EVFILT_SIGNAL records a signal beside
 * its disposition, so the JVM's handler would still run, and exit. So this rides the JVM's own
 * dispatch ({@code sun.misc.Signal}, module {@code jdk.unsupported}): HotSpot catches the signal
 * on its signal dispatcher thread, and the watch hands it to its loop with
 * {@link EventLoop#execute}.
 *
 * <p>Semantics. While a signal has watches, they replace its previous handler: SIGTERM, SIGINT
 * and SIGHUP no longer run the JVM's shutdown (a watch is how a server drains on its own
 * terms). Several watches of one signal, on one loop or several, each get every signal, in no
 * set order. The last watch of a signal to close puts back the handler that was there before
 * the first (unless someone replaced the watches' handler meanwhile: theirs stays). Signals of
 * one kind that arrive together may be merged into one callback, as the kernel merges them.
 * A signal the process ignores (SIGHUP under {@code nohup}) is watched all the same, and
 * ignored again after: the JVM installs no handler for a shutdown signal it finds ignored, so
 * its disposition goes back to the default first, as libuv's {@code uv_signal_start} takes it
 * whatever it was; {@link #startUnlessIgnored} leaves it ignored instead. SIGCHLD: the JDK
 * resets SIGCHLD's disposition when its process support ({@code java.lang.ProcessImpl}) is
 * first initialized, which would silently undo a watch made before the first
 * {@code ProcessBuilder.start}; the first watch of SIGCHLD initializes it first. A watch reaps
 * nothing: reap your own children by pid ({@code waitpid(pid, WNOHANG)} for each, since one
 * SIGCHLD may stand for several exits), never with {@code waitpid(-1)}, which would take the
 * exit statuses that the JDK's reaper waits for, each by its pid, for the processes it started.
 * A JVM that its parent started with SIGCHLD blocked never gets one (the signal mask is
 * inherited across exec, and HotSpot unblocks only SIGHUP, SIGINT, SIGTERM and the signals it
 * uses itself): a program that must not miss an exit there also polls, as http-lite's
 * supervisor does once a second.
 *
 * <p>Threading: {@link #start}, {@link #close()} and {@link #closed()} may be called from any
 * thread; the callback runs on the loop's. A callback that throws closes its watch (logged
 * once; {@link #closed()} completes with what it threw), not the loop. Closing the loop closes
 * its watches.
 */
public final class SignalWatch {
    private static final Logger LOG = LoggerFactory.getLogger(SignalWatch.class);

    /** The signals a watch can take (the JVM refuses SIGQUIT, SIGSEGV and the others it uses). */
    public enum Signal {
        /** SIGHUP: the terminal hung up; by convention, reload (nginx) or restart. */
        HUP,
        /** SIGINT: interrupt, Ctrl-C. */
        INT,
        /** SIGTERM: please stop. */
        TERM,
        /** SIGCHLD: a child process stopped or exited (reap it with waitpid). */
        CHLD,
        /** SIGUSR1: the application's own; by convention, reopen the log files (nginx). */
        USR1,
        /** SIGUSR2: the application's own; nginx upgrades its binary on it. */
        USR2,
        /** SIGWINCH: the terminal's window size changed. */
        WINCH
    }

    /** Receives a signal, on the loop thread. */
    @FunctionalInterface
    public interface Handler {
        /**
         * The signal arrived.
         *
         * @param watch the watch
         * @param signal the signal
         */
        void onSignal(SignalWatch watch, Signal signal);
    }

    private final EventLoop loop;
    private final Signal signal;
    private final Handler handler;
    private final CompletableFuture<Void> closed;
    private final LoopResource resource = LoopResource.of(() -> end(null));
    private volatile boolean open = true;

    private SignalWatch(EventLoop loop, Signal signal, Handler handler) {
        this.loop = loop;
        this.signal = signal;
        this.handler = handler;
        this.closed = new LoopFuture<>(loop);
    }

    /**
     * Watches {@code signal}: from when this returns, each one runs {@code handler} on
     * {@code loop}'s thread. Any thread.
     *
     * @param loop the loop that runs the handler
     * @param signal the signal
     * @param handler the callback
     * @return the watch
     * @throws IllegalStateException if the loop is closed, or the JVM refuses the signal (run
     *         with {@code -Xrs}, HotSpot takes no handler for SIGHUP, SIGINT or SIGTERM)
     */
    public static SignalWatch start(EventLoop loop, Signal signal, Handler handler) {
        return start(loop, signal, handler, false).orElseThrow();
    }

    /**
     * {@link #start}, unless the process ignores {@code signal}: then nothing is watched or
     * changed, and this returns empty. For a program that honours an inherited SIG_IGN as the
     * JVM does for its own shutdown: a job that a non-interactive shell starts in the
     * background ignores SIGINT (so that Ctrl-C stops only the foreground), {@code nohup}
     * ignores SIGHUP. SIGCHLD is never ignored here: the JDK sets it back to the default (see
     * above). Any thread.
     *
     * @param loop the loop that runs the handler
     * @param signal the signal
     * @param handler the callback
     * @return the watch, or empty if the signal is ignored
     * @throws IllegalStateException as {@link #start} does
     */
    public static Optional<SignalWatch> startUnlessIgnored(EventLoop loop, Signal signal, Handler handler) {
        return start(loop, signal, handler, true);
    }

    private static Optional<SignalWatch> start(EventLoop loop, Signal signal, Handler handler, boolean unlessIgnored) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(signal, "signal");
        Objects.requireNonNull(handler, "handler");
        if (loop.isClosed()) {
            throw new IllegalStateException("event loop '" + loop.name() + "' is closed");
        }
        SignalWatch watch = new SignalWatch(loop, signal, handler);
        if (!SignalDispatch.add(watch, unlessIgnored)) {
            return Optional.empty();
        }
        try {
            if (loop.inEventLoop()) {
                LoopAccess.get().adopt(loop, watch.resource);
            } else {
                loop.execute(() -> {
                    if (watch.open) {
                        LoopAccess.get().adopt(loop, watch.resource);
                    }
                });
            }
        } catch (RejectedExecutionException | IllegalStateException closing) {
            SignalDispatch.remove(watch);
            throw new IllegalStateException("event loop '" + loop.name() + "' is closed", closing);
        }
        return Optional.of(watch);
    }

    /** {@return the signal watched} */
    public Signal signal() {
        return signal;
    }

    /** {@return the loop that runs the handler} */
    public EventLoop loop() {
        return loop;
    }

    /** {@return false once the watch has ended} */
    public boolean isOpen() {
        return open;
    }

    /** Signal dispatcher thread: hands the signal to the loop. */
    void deliver() {
        if (!open) {
            return;
        }
        try {
            loop.execute(delivery);
        } catch (RejectedExecutionException loopClosed) {
            end(null); // the loop's closing ends the watch too; this only comes first
        }
    }

    /** The loop's task that runs the handler: it names the handler in JFR's slow-callback events. */
    private final class Delivery implements Runnable, io.ffpoll.multiplexer.internal.Described {
        @Override
        public void run() {
            SignalWatch.this.run();
        }

        @Override
        public String describeCallback() {
            return "signal watch of SIG" + signal + " (" + handler.getClass().getName() + ")";
        }
    }

    private final Delivery delivery = new Delivery();

    private void run() {
        if (!open) {
            return; // closed after the signal came, before its turn on the loop
        }
        try {
            handler.onSignal(this, signal);
        } catch (Throwable t) {
            LOG.warn("event loop '{}': the handler of a SIG{} watch threw; the watch is closed", loop.name(), signal, t);
            end(t);
        }
    }

    /**
     * Stops watching; if this was the signal's last watch, the handler it had before is back
     * when this returns. Any thread, idempotent. A signal that came before and has not yet run
     * is dropped.
     */
    public void close() {
        end(null);
    }

    private void end(Throwable failure) {
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false;
        }
        SignalDispatch.remove(this);
        if (loop.inEventLoop()) {
            LoopAccess.get().release(loop, resource);
        } else {
            try {
                loop.execute(() -> LoopAccess.get().release(loop, resource));
            } catch (RejectedExecutionException ended) {
                // the loop has closed: it holds nothing any more
            }
        }
        if (failure == null) {
            closed.complete(null);
        } else {
            closed.completeExceptionally(failure);
        }
    }

    /**
     * Completes when the watch has ended: normally after {@link #close()} or its loop's
     * closing, exceptionally with what its handler threw.
     *
     * @return the future
     */
    public CompletableFuture<Void> closed() {
        return closed.copy();
    }

    @Override
    public String toString() {
        return "SignalWatch[SIG" + signal + " on '" + loop.name() + "'" + (open ? "" : ", closed") + "]";
    }
}
