package io.ffpoll.multiplexer;

import io.ffpoll.multiplexer.internal.Described;
import io.ffpoll.multiplexer.internal.LoopCounters;
import io.ffpoll.multiplexer.observe.CallbackWatch;
import io.ffpoll.multiplexer.observe.RunningLoops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The thread of an {@link EventLoop} and its iterations: poll (the one syscall), dispatch the
 * events, run what waited for that poll, the expired timers and the submitted tasks; then, once
 * closing, close everything registered on the loop. A platform thread: epoll_wait is a
 * blocking native call, which would pin a virtual thread's carrier for as long as it waits. Its
 * type is how {@link EventLoop#current()} tells a loop thread in one check.
 */
final class LoopThread extends Thread {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
    // Bounds the tasks run per iteration so a flood of submissions cannot starve I/O.
    private static final int MAX_TASKS_PER_ITERATION = 4096;
    /** How many generations of tasks queued by tasks a closing loop runs (see {@link #runTasksWhileClosing}). */
    static final int CLOSING_GENERATIONS = 64;

    final EventLoop loop;
    private final long[] counts;
    private final CallbackWatch watch;
    private final boolean completesSends; // io_uring: the poll may have completed sends to report
    // What waits for the next poll to have applied the changes queued before it (a listener's
    // registration, say, whose failure that poll reports): swapped at each poll.
    private List<Runnable> afterNextPoll = new ArrayList<>();
    private List<Runnable> afterThisPoll = new ArrayList<>();

    LoopThread(EventLoop loop) {
        super(loop.name());
        this.loop = loop;
        this.counts = loop.counters.counts;
        this.watch = new CallbackWatch(this, loop.name());
        this.completesSends = loop.poller.unwrap().completesSends();
    }

    /** Runs {@code r} on this thread after the next poll and its events. Loop thread only. */
    void afterNextPoll(Runnable r) {
        afterNextPoll.add(r);
    }

    @Override
    public void run() {
        String name = loop.name();
        RunningLoops.started(loop);
        try {
            loop.polledAt = System.nanoTime();
            while (loop.runState == EventLoop.RUNNING) {
                beforePoll(name);
                List<Runnable> waiting = afterNextPoll;
                afterNextPoll = afterThisPoll;
                afterThisPoll = waiting;
                long timeout = timeoutNanos();
                // A poll that may wait is idle time, published as under way so that a reader
                // counts a long wait while it lasts; one that does not wait (work is queued)
                // is busy time, and costs no clock read before it.
                boolean waits = timeout != 0;
                long pollStarted = 0;
                if (waits) {
                    pollStarted = System.nanoTime();
                    counts[LoopCounters.BUSY_NANOS] += pollStarted - loop.polledAt;
                    counts[LoopCounters.POLL_STARTED] = pollStarted;
                    counts[LoopCounters.IN_POLL] = 1;
                }
                watch.iterationEnded();
                loop.counters.publish();
                int n = loop.poller.poll(loop.events, timeout);
                long now;
                if (waits) {
                    now = loop.counters.waitEnded(pollStarted);
                } else {
                    now = System.nanoTime();
                    counts[LoopCounters.BUSY_NANOS] += now - loop.polledAt;
                }
                loop.polledAt = now;
                loop.iterations++;
                counts[LoopCounters.ITERATIONS]++;
                counts[LoopCounters.EVENTS] += n;
                counts[LoopCounters.WAKEUPS] = loop.poller.unwrap().wakeupsSignalled();
                watch.iterationStarted(n, now);
                if (completesSends) {
                    // Before the readiness: a send the peer's reset failed has taken the socket's
                    // error, and the receive behind it found a plain EOF. The failure closes the
                    // connection first, so the reset never reads as an orderly end of input.
                    runCompletions(); // a timed callback: not on backends that have none to report
                }
                dispatch();
                runAll(afterThisPoll);
                counts[LoopCounters.TIMERS_FIRED] += loop.timers.runExpired(name, watch);
                runTasks(MAX_TASKS_PER_ITERATION);
            }
            runTasksWhileClosing(); // tasks accepted before close still run
        } catch (Throwable fatal) {
            LOG.error("event loop '{}' stopped: {}", name, fatal.toString(), fatal);
        } finally {
            loop.runState = EventLoop.CLOSING; // also when a fatal error ended the loop: refuse new work
            loop.attached.closeAll(name, loop.poller); // listeners, connections, other fds, then layer state
            runAll(afterNextPoll); // no poll will come: what waited for one runs now, on a closed loop
            // Tasks queued by the closing above, or by an execute() that raced with close()
            // and could no longer take its task back: accepted, so they run (on a closed loop).
            runTasksWhileClosing();
            loop.runState = EventLoop.TERMINATED;
            // What is still queued was accepted, so it runs too; from now on execute() refuses
            // even the loop's own thread, so a task that queues itself again ends here.
            runTasks(Integer.MAX_VALUE);
            try {
                loop.poller.close();
            } catch (IOException e) {
                LOG.warn("event loop '{}': closing its poller failed: {}", name, e.toString());
            }
            watch.loopEnded();
            RunningLoops.stopped(loop);
            loop.counters.publish(); // what closing did: the connections it closed, the tasks it ran
            loop.terminated.countDown();
            loop.termination.complete(null); // its dependents run here, on no loop's thread any more
        }
    }

    /** What the loop's layers do before each poll (the connections' flushes), timed as one callback. */
    private void beforePoll(String name) {
        boolean timed = watch.timing();
        long started = timed ? watch.enter() : 0;
        loop.attached.beforePoll(name);
        if (timed) {
            watch.exit(started, FLUSHES, "flush");
        }
    }

    private static final Described FLUSHES = () -> "the flushes before the poll (connections' queued writes, TLS records)";
    private static final Described COMPLETIONS = () -> "the completions of sends (io_uring) and what waited for them";

    private long timeoutNanos() {
        // Called after the swap: something waits for this very poll, which must not block.
        if (!loop.tasks.isEmpty() || loop.attached.haveWork() || !afterThisPoll.isEmpty()) {
            return 0;
        }
        Timer next = loop.timers.peek();
        return next == null ? -1 : Math.max(0, next.deadline - System.nanoTime());
    }

    /** The sends the poll completed (io_uring), reported to their connections. */
    private void runCompletions() {
        boolean timed = watch.timing();
        long started = timed ? watch.enter() : 0;
        try {
            loop.poller.unwrap().runCompletions();
        } catch (Throwable t) {
            // The others were reported all the same; only the throw is left to log.
            LOG.warn("event loop '{}': a send's completion threw", loop.name(), t);
        }
        if (timed) {
            watch.exit(started, COMPLETIONS, "completion");
        }
    }

    private void dispatch() {
        Events events = loop.events;
        int n = events.size();
        for (int i = 0; i < n; i++) {
            Event e = events.get(i);
            if (!e.isValid()) {
                continue; // closed or deregistered by a handler earlier in this batch
            }
            IoHandler handler = (IoHandler) e.attachment();
            boolean timed = watch.timing();
            long started = timed ? watch.enter() : 0;
            try {
                handler.onEvent(e);
            } catch (Throwable t) {
                LOG.warn("event loop '{}': handler for fd {} threw", loop.name(), e.fd(), t);
            }
            if (timed) {
                watch.exit(started, handler, "event");
            }
        }
    }

    private void runAll(List<Runnable> list) {
        for (int i = 0; i < list.size(); i++) {
            Runnable r = list.get(i);
            boolean timed = watch.timing();
            long started = timed ? watch.enter() : 0;
            try {
                r.run();
            } catch (Throwable t) {
                LOG.warn("event loop '{}': a task after a poll threw", loop.name(), t);
            }
            if (timed) {
                watch.exit(started, r, "after-poll");
            }
        }
        list.clear();
    }

    /**
     * Runs the queued tasks, then those they queued, and so on for at most
     * {@link #CLOSING_GENERATIONS} generations (before the loop's resources are closed, and
     * again after). A finite chain of tasks (callbacks that complete futures whose dependents
     * queue more) ends well within that; a task that queues itself again at every run (a slice
     * of work continued later) would otherwise hold close() forever. What is left runs once the
     * loop is terminated, when it can queue nothing more.
     */
    private void runTasksWhileClosing() {
        for (int g = 0; g < CLOSING_GENERATIONS; g++) {
            int queued = loop.tasks.size();
            if (queued == 0) {
                return;
            }
            runTasks(queued);
        }
    }

    private void runTasks(int max) {
        Runnable task;
        int i = 0;
        for (; i < max && (task = loop.tasks.poll()) != null; i++) {
            boolean timed = watch.timing();
            long started = timed ? watch.enter() : 0;
            try {
                task.run();
            } catch (Throwable e) {
                LOG.warn("event loop '{}': task threw", loop.name(), e);
            }
            if (timed) {
                watch.exit(started, task, "task");
            }
        }
        counts[LoopCounters.TASKS_RUN] += i;
    }
}
