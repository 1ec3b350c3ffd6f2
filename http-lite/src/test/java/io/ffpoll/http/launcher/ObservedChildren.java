package io.ffpoll.http.launcher;

import io.ffpoll.bindings.Processes;
import io.ffpoll.multiplexer.EventLoop;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A Supervisor's process calls as a test watches them: every spawn, signal and reaping in the
 * order they happened, each signal sent to a pid after that pid was reaped, and the back-off
 * pause, which holds the restart until the test ends it.
 */
abstract class ObservedChildren implements ChildProcesses {
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final List<Long> spawned = new ArrayList<>();
    private final Map<Long, String> reaped = new LinkedHashMap<>(); // pid -> its status in words
    private final Set<Long> reapedNotRespawned = new HashSet<>();
    private final List<String> afterReaping = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private final List<Runnable> paused = new ArrayList<>(); // restarts held, each to run on its loop
    private boolean pausedOnce;
    private boolean pauseOver;

    /** Records that {@code pid} was spawned. */
    protected final synchronized void spawned(long pid) {
        spawned.add(pid);
        reapedNotRespawned.remove(pid);
        log.add("spawn " + pid);
        notifyAll();
    }

    /** Records that {@code pid} was reaped with wait status {@code status}. */
    protected final synchronized void reaped(long pid, int status) {
        reaped.put(pid, Processes.describe(status));
        reapedNotRespawned.add(pid);
        log.add("reap " + pid + ": " + Processes.describe(status));
        notifyAll();
    }

    /** Records that the supervisor sends {@code signal} to {@code pid}. */
    protected final synchronized void signalled(long pid, int signal) {
        log.add("kill " + pid + " " + signal);
        if (reapedNotRespawned.contains(pid)) {
            afterReaping.add("kill " + pid + " " + signal);
        }
    }

    @Override
    public final synchronized void backOff(EventLoop loop, long millis, Runnable restart) {
        log.add("back-off " + millis + " ms");
        pausedOnce = true;
        if (pauseOver) {
            loop.execute(restart);
        } else {
            paused.add(() -> loop.execute(restart));
        }
        notifyAll();
    }

    /** Waits until a restart backs off. */
    final synchronized void awaitPause() throws InterruptedException {
        await(() -> pausedOnce, "a restart that backs off");
    }

    /** Ends the back-off pause, this one and any later one: each restart held goes to its loop, once. */
    final synchronized void endPause() {
        pauseOver = true;
        paused.forEach(Runnable::run);
        paused.clear();
    }

    /** The pid of the {@code n}th spawn (from 1), once it has happened. */
    final synchronized long awaitSpawned(int n) throws InterruptedException {
        await(() -> spawned.size() >= n, n + " spawns");
        return spawned.get(n - 1);
    }

    /** Waits until {@code n} children have been reaped. */
    final synchronized void awaitReaped(int n) throws InterruptedException {
        await(() -> reaped.size() >= n, n + " reapings");
    }

    final synchronized List<Long> spawned() {
        return List.copyOf(spawned);
    }

    /** Every reaped pid and its status in words ("killed by signal 9"), in the order reaped. */
    final synchronized Map<Long, String> reaped() {
        return new LinkedHashMap<>(reaped);
    }

    /** The signals sent to a pid after it was reaped (and before it was spawned again). */
    final synchronized List<String> afterReaping() {
        return List.copyOf(afterReaping);
    }

    final synchronized List<String> log() {
        return List.copyOf(log);
    }

    /** Waits, holding this monitor, until {@code done}: {@code notifyAll} on this tells it to look again. */
    protected final void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        while (!done.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("waited 60 s for " + what + "; calls so far: " + log);
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }
}
