package io.ffpoll.http;

import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.Processes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code http-lite --workers N}: binds the listening socket once and runs N worker processes
 * (this same program with {@code --fd}) that serve it, as gunicorn, einhorn and Circus do.
 *
 * <p>Each worker gets, through {@code posix_spawn} file actions, the listening socket at fd 3,
 * the read end of a pipe whose other end only the supervisor holds at fd 4 (when the supervisor
 * dies, however, the worker reads end-of-file and drains; {@code PR_SET_PDEATHSIG} is Linux-only
 * and fires when the spawning <em>thread</em> ends, which in a JVM is any pool thread), and at
 * fd 5 the write end of a pipe on which it reports that it serves. A worker that exits is
 * restarted, at once the first time, then after a delay that doubles up to 30 s while it keeps
 * dying within 10 s of its start. SIGTERM drains every worker and exits; SIGHUP starts a new
 * generation, waits until all of it serves, then drains the old one, so the socket, held
 * throughout, never refuses a connection.
 *
 * <p>A worker's pid is signalled only until the worker is reaped: from then on the kernel may
 * give that pid to any new process. So every signal goes through {@link #signal}, which
 * refuses a reaped worker, and a worker is reaped under the same lock ({@link #reap}).
 */
final class Supervisor {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    static final int LISTEN_FD = 3;
    static final int PARENT_FD = 4;
    static final int READY_FD = 5;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final long STABLE_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    private final int listenFd;
    private final int count;
    private final List<String> command; // the worker's argv without the --fd and pipe options
    private final Duration grace;
    private final Children children;
    private final int[] parentPipe = new int[2];
    private final List<Worker> current = new CopyOnWriteArrayList<>();
    private final List<Worker> all = new CopyOnWriteArrayList<>();
    private volatile boolean stopping;
    private int generation;

    /** One worker process and the thread that waits for it. */
    final class Worker {
        final int slot;
        final int generation;
        final long pid;
        final long startedAt = System.nanoTime();
        final CompletableFuture<Void> ready = new CompletableFuture<>();
        final CompletableFuture<String> exited = new CompletableFuture<>();
        volatile boolean retired;
        int failures; // consecutive quick deaths in this slot, before this start
        private boolean reaped; // guarded by this Worker: set by reap, read by signal

        Worker(int slot, int generation, long pid) {
            this.slot = slot;
            this.generation = generation;
            this.pid = pid;
        }
    }

    /**
     * The process calls the supervisor makes, each returning its result or -errno as
     * {@link Processes} does, and its back-off pause: the system's ({@link #OS}), or a test's
     * stand-in that decides when children serve and exit and when a back-off ends.
     */
    interface Children {
        /** posix_spawn: the child's pid, or -errno. */
        long spawn(String path, List<String> argv, Map<String, String> env, int[][] placements);

        /** kill(2): 0, or -errno. */
        int kill(long pid, int signal);

        /** waitid(2) with WEXITED | WNOWAIT: 0 once the child has exited, left unreaped; or -errno. */
        int waitid(long pid);

        /** waitpid(2): reaps the child, returning its wait status; -EAGAIN with WNOHANG while it runs; or -errno. */
        int waitpid(long pid, int options);

        /** The pause before a restart that backs off. */
        void sleep(long millis) throws InterruptedException;

        /** The system's calls. */
        Children OS = new Children() {
            @Override
            public long spawn(String path, List<String> argv, Map<String, String> env, int[][] placements) {
                return Processes.spawn(path, argv, env, placements);
            }

            @Override
            public int kill(long pid, int signal) {
                return Processes.kill(pid, signal);
            }

            @Override
            public int waitid(long pid) {
                return Processes.waitid(pid);
            }

            @Override
            public int waitpid(long pid, int options) {
                return Processes.waitpid(pid, options);
            }

            @Override
            public void sleep(long millis) throws InterruptedException {
                Thread.sleep(millis); // the restarting thread has nothing else to wait for
            }
        };
    }

    Supervisor(int listenFd, int count, List<String> command, Duration grace) throws IOException {
        this(listenFd, count, command, grace, Children.OS);
    }

    Supervisor(int listenFd, int count, List<String> command, Duration grace, Children children) throws IOException {
        this.listenFd = listenFd;
        this.count = count;
        this.command = List.copyOf(command);
        this.grace = grace;
        this.children = children;
        check(Processes.pipe(parentPipe), "pipe");
    }

    /** Starts the first generation and returns once every worker serves. */
    void start() throws IOException, InterruptedException {
        List<Worker> first = startGeneration();
        if (first == null) {
            throw new IOException("the workers did not start; their output above says why");
        }
        current.addAll(first);
    }

    /** The pids of the current generation. */
    List<Long> pids() {
        return current.stream().map(w -> w.pid).toList();
    }

    /**
     * SIGHUP: a new generation on the same socket; once all of it serves, the old one drains.
     * If the new one does not start, it is stopped and the old one keeps serving.
     */
    synchronized void rollingRestart() throws InterruptedException {
        if (stopping) {
            return;
        }
        LOG.info("rolling restart: starting generation {}", generation + 1);
        List<Worker> fresh;
        try {
            fresh = startGeneration();
        } catch (IOException e) {
            LOG.error("rolling restart failed: {}; the old workers keep serving", e.getMessage());
            return;
        }
        if (fresh == null) {
            LOG.error("rolling restart failed: a new worker did not start; the old workers keep serving");
            return;
        }
        List<Worker> old = new ArrayList<>(current);
        current.clear();
        current.addAll(fresh);
        for (Worker w : old) {
            w.retired = true;
            signal(w, Processes.SIGTERM); // refused for one that crashed and waits in back-off: it is reaped
        }
        LOG.info("rolling restart: generation {} serves; generation {} drains", generation, generation - 1);
    }

    /** SIGTERM: drains every worker (each within its grace), then stops the rest. */
    void stop() {
        stopping = true; // first: a restart that takes the lock after this starts nothing
        List<Worker> running;
        synchronized (this) {
            running = new ArrayList<>(all);
        }
        for (Worker w : running) {
            signal(w, Processes.SIGTERM);
        }
        long deadline = System.nanoTime() + grace.toNanos() + TimeUnit.SECONDS.toNanos(5);
        for (Worker w : running) {
            try {
                w.exited.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                LOG.warn("worker {} (pid {}) did not drain in time; killing it", w.slot, w.pid);
                signal(w, Processes.SIGKILL); // refused if it exited since the timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException e) {
                throw new AssertionError(e);
            }
        }
        Platform.current().close(parentPipe[1]);
        Platform.current().close(parentPipe[0]);
    }

    private synchronized List<Worker> startGeneration() throws IOException, InterruptedException {
        generation++;
        List<Worker> fresh = new ArrayList<>();
        for (int slot = 0; slot < count; slot++) {
            fresh.add(spawn(slot, generation, 0));
        }
        for (Worker w : fresh) {
            if (!awaitReady(w)) {
                for (Worker f : fresh) {
                    f.retired = true;
                    signal(f, Processes.SIGTERM); // refused for the one that died before it served, once reaped
                }
                return null;
            }
        }
        return fresh;
    }

    private boolean awaitReady(Worker w) throws InterruptedException {
        try {
            w.ready.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        }
    }

    private Worker spawn(int slot, int gen, int failures) throws IOException {
        int[] readyPipe = new int[2];
        check(Processes.pipe(readyPipe), "pipe");
        List<String> argv = new ArrayList<>(command);
        argv.addAll(List.of("--fd", Integer.toString(LISTEN_FD), "--supervised", PARENT_FD + "," + READY_FD));
        Map<String, String> env = new HashMap<>(System.getenv());
        env.remove("LISTEN_FDS"); // the socket comes as --fd, not from systemd
        env.remove("LISTEN_PID");
        long pid = children.spawn(argv.get(0), argv, env,
                new int[][] {{listenFd, LISTEN_FD}, {parentPipe[0], PARENT_FD}, {readyPipe[1], READY_FD}});
        Platform.current().close(readyPipe[1]);
        if (pid < 0) {
            Platform.current().close(readyPipe[0]);
            throw new IOException("posix_spawn " + argv.get(0) + ": " + Platform.current().describe((int) -pid));
        }
        Worker w = new Worker(slot, gen, pid);
        w.failures = failures;
        all.add(w);
        LOG.info("worker {} started: pid {}, generation {}", slot, pid, gen);
        Thread.ofPlatform().name("http-lite-worker-" + pid).daemon().start(() -> watch(w, readyPipe[0]));
        return w;
    }

    /** The worker's thread: its ready report (or end-of-file), then its exit, then a restart. */
    private void watch(Worker w, int readyFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(1);
            long n;
            do {
                n = Platform.current().read(readyFd, b, 1);
            } while (n == -Platform.current().errno(io.ffpoll.bindings.ErrnoName.EINTR));
            if (n == 1) {
                w.ready.complete(null);
            } else {
                w.ready.completeExceptionally(new IOException("worker " + w.pid + " ended before it served"));
            }
        } finally {
            Platform.current().close(readyFd);
        }
        String how = reap(w);
        all.remove(w);
        w.exited.complete(how);
        if (stopping || w.retired) {
            LOG.info("worker {} (pid {}, generation {}) exited: {}", w.slot, w.pid, w.generation, how);
            return;
        }
        boolean quick = System.nanoTime() - w.startedAt < STABLE_NANOS;
        int failures = quick ? w.failures + 1 : 0;
        long delay = failures <= 1 ? 0 : Math.min(MAX_BACKOFF_MILLIS, 100L << Math.min(failures - 1, 20));
        LOG.warn("worker {} (pid {}) exited: {}; restarting it{}", w.slot, w.pid, how, delay == 0 ? "" : " in " + delay + " ms");
        restart(w, failures, delay);
    }

    /**
     * The one place that signals a worker: under the worker's lock, and never once it is
     * reaped, for then its pid may be another process's.
     */
    private void signal(Worker w, int signal) {
        synchronized (w) {
            if (w.reaped) {
                LOG.debug("not signalling worker {} (pid {}): it was reaped, and its pid may be reused", w.slot, w.pid);
                return;
            }
            int r = children.kill(w.pid, signal);
            if (r < 0) { // an unreaped child, even exited, can be signalled: this is unexpected
                LOG.warn("kill {} {}: {}", w.pid, signal, Platform.current().describe(-r));
            }
        }
    }

    /**
     * Waits until {@code w} has exited, then reaps it and marks it reaped under the lock that
     * {@link #signal} holds, so that no signal can be sent between the two. The wait itself
     * cannot hold that lock (it would block every signal until the exit), so it does not reap:
     * waitid with WNOWAIT leaves the exited worker a zombie, which keeps its pid. Not pidfds
     * (pidfd_open, pidfd_send_signal), which cannot reach a reused pid: they are Linux-only, and
     * a pidfd is a descriptor whose number, once closed, is reused as a pid is, so it would need
     * this same lock around its close.
     *
     * @return how it ended, in words
     */
    private String reap(Worker w) {
        int eintr = -Platform.current().errno(io.ffpoll.bindings.ErrnoName.EINTR);
        int status;
        do {
            status = children.waitid(w.pid);
        } while (status == eintr);
        boolean reaped;
        synchronized (w) {
            if (status == 0) {
                do {
                    status = children.waitpid(w.pid, Processes.WNOHANG);
                } while (status == eintr);
            }
            reaped = w.reaped = status >= 0;
        }
        if (!reaped) {
            // waitid failed (ENOSYS on WSL1, as Go found), or the child has not exited after all:
            // macOS's waitid returns for a stopped child too (see Processes.waitid). Reap it
            // without the lock, which a blocked waitpid must not hold; for this child only, a
            // signal sent between its reaping and the mark below could reach a reused pid.
            do {
                status = children.waitpid(w.pid, 0);
            } while (status == eintr);
            synchronized (w) {
                w.reaped = true; // reaped, or not our child to reap, whose pid may be reused
            }
        }
        return status < 0 ? "unknown (" + Platform.current().describe(-status) + ")" : Processes.describe(status);
    }

    /** Starts a worker in the dead one's place, trying again with back-off while spawning fails. */
    private void restart(Worker dead, int failures, long delayMillis) {
        long delay = delayMillis;
        int attempt = failures;
        while (true) {
            try {
                if (delay > 0) {
                    children.sleep(delay);
                }
                synchronized (this) {
                    if (stopping || !current.contains(dead)) {
                        return;
                    }
                    Worker next = spawn(dead.slot, dead.generation, attempt);
                    current.set(current.indexOf(dead), next);
                    return;
                }
            } catch (IOException e) {
                attempt++;
                delay = Math.min(MAX_BACKOFF_MILLIS, 100L << Math.min(attempt, 20));
                LOG.error("worker {} could not be restarted: {}; trying again in {} ms", dead.slot, e.getMessage(), delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void check(int result, String call) throws IOException {
        if (result < 0) {
            throw new IOException(call + ": " + Platform.current().describe(-result));
        }
    }
}
