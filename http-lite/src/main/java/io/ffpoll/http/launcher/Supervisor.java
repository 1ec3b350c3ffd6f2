package io.ffpoll.http.launcher;

import io.ffpoll.bindings.ErrnoName;
import io.ffpoll.bindings.Processes;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.SignalWatch;
import io.ffpoll.multiplexer.Timer;
import io.ffpoll.multiplexer.internal.Blocking;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code http-lite --workers N}: binds the listening socket once and runs N worker processes
 * (this same program with {@code --fd}) that serve it, as gunicorn, einhorn and Circus do.
 *
 * <p>Each worker ({@link Worker}) gets, through {@code posix_spawn} file actions, the listening
 * socket at fd 3 (and HTTPS's at fd 6; a worker reads the certificate files itself as it
 * starts, so a rolling restart serves renewed ones), the read end of a pipe whose other end only the supervisor holds at fd 4 (when
 * the supervisor dies, however, the worker reads end-of-file and drains; {@code PR_SET_PDEATHSIG}
 * is Linux-only and fires when the spawning <em>thread</em> ends, which in a JVM is any pool
 * thread), and at fd 5 the write end of a pipe on which it reports that it serves. A worker
 * that exits is restarted, at once the first time, then after a delay that doubles up to 30 s
 * while it keeps dying within 10 s of its start. {@link #stop} drains every worker; {@link #rollingRestart}
 * starts a new generation, waits until all of it serves, then drains the old one, so the
 * socket, held throughout, never refuses a connection.
 *
 * <p>All of it runs on one event loop of the supervisor's own ({@link #loop()}, where the
 * launcher also watches SIGHUP, SIGTERM and SIGINT): spawning, each worker's ready report (its pipe
 * watched on the loop), the workers' exits (a SIGCHLD watch, after which every unreaped worker
 * is reaped by its pid with WNOHANG, which leaves the JDK's own children to the JDK; and a
 * sweep every second, for a JVM started with SIGCHLD blocked), the back-off (a timer),
 * restarts and the stop. No thread waits for a worker. A worker's pid is
 * signalled only until the worker is reaped, for from then on the kernel may give that pid to
 * any new process: {@link #signal} refuses a reaped worker, and reaping happens on the same
 * thread, so nothing can come between the two.
 */
final class Supervisor {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final long STABLE_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long MAX_BACKOFF_MILLIS = 30_000;
    private static final Duration SWEEP = Duration.ofSeconds(1);

    private final int listenFd; // plain HTTP's, or -1
    private final int tlsFd;    // HTTPS's, or -1
    private final int count;
    private final List<String> command; // the worker's argv without the --fd and pipe options
    private final Duration grace;
    private final ChildProcesses children;
    private final int[] parentPipe = new int[2];
    private final EventLoop loop;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final CompletableFuture<Integer> stopSignal = new CompletableFuture<>();
    // The rest is the loop thread's alone.
    private final List<Worker> current = new ArrayList<>();
    private final List<Worker> unreaped = new ArrayList<>();
    private boolean stopping;
    private int generation;
    private CompletableFuture<Boolean> replacing; // the start or rolling restart under way, or null
    private CompletableFuture<Boolean> queued;    // asked for while one was under way: it runs next
    private Timer killTimer;

    /** Workers on {@code listenFd} (plain HTTP, or -1 for none) and {@code tlsFd} (HTTPS, or -1 for none). */
    Supervisor(int listenFd, int tlsFd, int count, List<String> command, Duration grace) throws IOException {
        this(listenFd, tlsFd, count, command, grace, ChildProcesses.OS);
    }

    Supervisor(int listenFd, int count, List<String> command, Duration grace, ChildProcesses children) throws IOException {
        this(listenFd, -1, count, command, grace, children);
    }

    Supervisor(int listenFd, int tlsFd, int count, List<String> command, Duration grace, ChildProcesses children)
            throws IOException {
        this.listenFd = listenFd;
        this.tlsFd = tlsFd;
        this.count = count;
        this.command = List.copyOf(command);
        this.grace = grace;
        this.children = children;
        check(Processes.pipe(parentPipe), "pipe");
        try {
            loop = EventLoop.start("http-lite-supervisor");
        } catch (IOException | RuntimeException e) {
            closeParentPipe();
            throw e;
        }
        try {
            // Before the first spawn, so that no exit goes unseen. Closing the loop ends it.
            SignalWatch.start(loop, SignalWatch.Signal.CHLD, (watch, signal) -> reapExited());
            // A JVM whose parent started it with SIGCHLD blocked never gets one (the mask is
            // inherited across exec, and HotSpot unblocks only the signals it uses itself):
            // there, this sweep reaps, a second late at most.
            loop.scheduleAtFixedRate(SWEEP, SWEEP, this::reapExited);
        } catch (RuntimeException e) {
            loop.close();
            closeParentPipe();
            throw e;
        }
    }

    /** {@return the loop that runs the supervisor, for the launcher's signal watches} */
    EventLoop loop() {
        return loop;
    }

    /**
     * Starts the first generation and waits until every worker serves or a stop signal comes
     * ({@link #stopSignalled}), whichever is first; if the workers do not start, stops them and
     * throws. Not on the loop thread.
     *
     * @return true once every worker serves; false if a stop signal came first (the starting
     *         workers then drain: {@link #stop} waits for them)
     */
    boolean start() throws IOException, InterruptedException {
        CompletableFuture<Boolean> first = rollingRestart();
        try {
            CompletableFuture.anyOf(first, stopSignal).get();
        } catch (ExecutionException e) {
            stop();
            throw new IOException("the workers did not start: " + e.getCause(), e.getCause());
        }
        if (stopSignal.isDone()) {
            return false;
        }
        if (!first.getNow(false)) {
            stop();
            throw new IOException("the workers did not start; the log above says why");
        }
        return true;
    }

    /**
     * Loop thread, in the launcher's SIGTERM or SIGINT callback: the workers begin to drain, as
     * {@link #stop} drains them, and from now on no worker's exit is taken for a crash. A Ctrl-C
     * reaches the workers too, and one may drain and exit before the launcher's main thread
     * gets to {@link #stop}: it must not be restarted. Then {@link #stopSignal} completes with
     * {@code status}; later calls change nothing.
     *
     * @param status the exit status the launcher is to end with (128 + the signal's number)
     */
    void stopSignalled(int status) {
        beginStop();
        stopSignal.complete(status);
    }

    /** {@return completes with the first {@link #stopSignalled} status} */
    CompletableFuture<Integer> stopSignal() {
        return stopSignal;
    }

    /** The pids of the current generation. Not on the loop thread. */
    List<Long> pids() {
        return loop.submit(() -> current.stream().map(w -> w.pid).toList()).join();
    }

    /**
     * SIGHUP: a new generation on the same socket; once all of it serves, the old one drains.
     * If the new one does not start, it is stopped and the old one keeps serving. Asked for
     * while one is under way, it follows that one, once however often it was asked. Any thread.
     *
     * @return completes once it is over: true if the new generation serves
     */
    CompletableFuture<Boolean> rollingRestart() {
        return loop.onLoop(() -> {
            if (replacing == null) {
                replacing = new CompletableFuture<>();
                replaceGeneration(replacing);
                return replacing;
            }
            if (queued == null) {
                queued = new CompletableFuture<>();
            }
            return queued;
        }).thenCompose(f -> f);
    }

    private void replaceGeneration(CompletableFuture<Boolean> done) {
        if (stopping) {
            replaced(done, false);
            return;
        }
        boolean first = generation == 0;
        if (!first) {
            LOG.info("rolling restart: starting generation {}", generation + 1);
        }
        startGeneration().whenComplete((fresh, failure) -> {
            boolean up = failure == null && !stopping;
            if (up) {
                List<Worker> old = List.copyOf(current);
                current.clear();
                current.addAll(fresh);
                for (Worker w : old) {
                    signal(w, Processes.SIGTERM); // refused for one that crashed and waits in back-off: it is reaped
                }
                if (!first) {
                    LOG.info("rolling restart: generation {} serves; generation {} drains", generation, generation - 1);
                }
            } else if (!stopping) {
                LOG.error(first ? "the workers did not start: {}" : "rolling restart failed: {}; the old workers keep serving",
                        failure.getMessage());
            }
            replaced(done, up);
        });
    }

    private void replaced(CompletableFuture<Boolean> done, boolean up) {
        replacing = queued;
        queued = null;
        done.complete(up);
        if (replacing != null) {
            replaceGeneration(replacing);
        }
    }

    /**
     * Spawns a generation. The future completes with it once every worker of it serves, or
     * fails at the first that will not (it exited, or the time is up), and then every worker
     * of it is stopped.
     */
    private CompletableFuture<List<Worker>> startGeneration() {
        generation++;
        CompletableFuture<List<Worker>> up = new CompletableFuture<>();
        List<Worker> fresh = new ArrayList<>();
        try {
            for (int slot = 0; slot < count; slot++) {
                fresh.add(spawn(slot, generation, 0));
            }
        } catch (IOException e) {
            up.completeExceptionally(e);
        }
        Timer timeout = loop.schedule(READY_TIMEOUT, () -> up.completeExceptionally(
                new TimeoutException("a new worker did not serve within " + READY_TIMEOUT.toSeconds() + " s")));
        for (Worker w : fresh) {
            w.ready.whenComplete((v, notServing) -> {
                if (notServing != null) {
                    up.completeExceptionally(notServing);
                } else if (fresh.stream().allMatch(f -> f.ready.isDone())) {
                    up.complete(fresh);
                }
            });
        }
        up.whenComplete((ok, failure) -> {
            timeout.cancel();
            if (failure != null) {
                for (Worker f : fresh) {
                    signal(f, Processes.SIGTERM); // refused for one that died before it served, once reaped
                }
            }
        });
        return up;
    }

    private Worker spawn(int slot, int gen, int failures) throws IOException {
        Worker w = Worker.spawn(children, loop, command, listenFd, tlsFd, parentPipe[0], slot, gen, failures);
        unreaped.add(w);
        LOG.info("worker {} started: pid {}, generation {}", slot, w.pid, gen);
        return w;
    }

    /** SIGCHLD: reaps every worker that has exited (one SIGCHLD may stand for several exits). */
    private void reapExited() {
        Platform os = Platform.current();
        for (Worker w : List.copyOf(unreaped)) {
            int status;
            do {
                status = children.waitpid(w.pid, Processes.WNOHANG);
            } while (status == -os.errno(ErrnoName.EINTR));
            if (status == -os.errno(ErrnoName.EAGAIN)) {
                continue; // running, or only stopped
            }
            w.reaped = true; // reaped, or (ECHILD) not ours to reap: either way its pid may be reused
            unreaped.remove(w);
            exited(w, status < 0 ? "unknown (" + os.describe(-status) + ")" : Processes.describe(status));
        }
        if (stopping && unreaped.isEmpty()) {
            stopped();
        }
    }

    private void exited(Worker w, String how) {
        if (stopping || !current.contains(w)) { // draining, or of a generation that never served
            LOG.info("worker {} (pid {}, generation {}) exited: {}", w.slot, w.pid, w.generation, how);
            return;
        }
        boolean quick = System.nanoTime() - w.startedAt < STABLE_NANOS;
        int failures = quick ? w.failures + 1 : 0;
        long delay = failures <= 1 ? 0 : Math.min(MAX_BACKOFF_MILLIS, 100L << Math.min(failures - 1, 20));
        LOG.warn("worker {} (pid {}) exited: {}; restarting it{}", w.slot, w.pid, how, delay == 0 ? "" : " in " + delay + " ms");
        restart(w, failures, delay);
    }

    /** Starts a worker in the dead one's place after {@code delayMillis}, trying again with back-off while spawning fails. */
    private void restart(Worker dead, int attempt, long delayMillis) {
        Runnable replace = () -> {
            if (stopping || !current.contains(dead)) {
                return; // a rolling restart replaced it meanwhile
            }
            try {
                current.set(current.indexOf(dead), spawn(dead.slot, dead.generation, attempt));
            } catch (IOException e) {
                long delay = Math.min(MAX_BACKOFF_MILLIS, 100L << Math.min(attempt + 1, 20));
                LOG.error("worker {} could not be restarted: {}; trying again in {} ms", dead.slot, e.getMessage(), delay);
                restart(dead, attempt + 1, delay);
            }
        };
        if (delayMillis == 0) {
            replace.run();
        } else {
            children.backOff(loop, delayMillis, replace);
        }
    }

    /**
     * The one place that signals a worker: on the loop thread, where workers are reaped, and
     * never once it is reaped, for then its pid may be another process's.
     */
    private void signal(Worker w, int signal) {
        if (w.reaped) {
            LOG.debug("not signalling worker {} (pid {}): it was reaped, and its pid may be reused", w.slot, w.pid);
            return;
        }
        int r = children.kill(w.pid, signal);
        if (r < 0) { // an unreaped child, even exited, can be signalled: this is unexpected
            LOG.warn("kill {} {}: {}", w.pid, signal, Platform.current().describe(-r));
        }
    }

    /**
     * SIGTERM: drains every worker, each within its grace, and returns once all have exited
     * (one still running 5 s after its grace is killed, and not waited for). Then the loop
     * closes, and with it the signal watches on it. Not on the loop thread; idempotent.
     */
    void stop() {
        Blocking.refuseOnLoop("the workers to stop", "Supervisor.stop on a thread of no loop");
        try {
            loop.execute(this::beginStop);
        } catch (RejectedExecutionException closed) {
            return; // stopped before
        }
        stopped.join();
        loop.close();
    }

    private void beginStop() {
        if (stopping) {
            return;
        }
        stopping = true;
        for (Worker w : unreaped) {
            signal(w, Processes.SIGTERM);
        }
        killTimer = loop.schedule(grace.plusSeconds(5), () -> {
            for (Worker w : unreaped) {
                LOG.warn("worker {} (pid {}) did not drain in time; killing it", w.slot, w.pid);
                signal(w, Processes.SIGKILL);
            }
            stopped();
        });
        if (unreaped.isEmpty()) {
            stopped();
        }
    }

    private void stopped() {
        if (!stopped.isDone()) {
            if (killTimer != null) {
                killTimer.cancel();
            }
            closeParentPipe();
            stopped.complete(null);
        }
    }

    private void closeParentPipe() {
        Platform.current().close(parentPipe[1]);
        Platform.current().close(parentPipe[0]);
    }

    private static void check(int result, String call) throws IOException {
        if (result < 0) {
            throw new IOException(call + ": " + Platform.current().describe(-result));
        }
    }
}
