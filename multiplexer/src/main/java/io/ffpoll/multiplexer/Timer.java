package io.ffpoll.multiplexer;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A task scheduled on an {@link EventLoop} with {@link EventLoop#schedule} (once) or
 * {@link EventLoop#scheduleAtFixedRate} (periodic). It runs on the loop thread no earlier than
 * its deadline: late by the poller's timeout resolution plus whatever the loop was busy with,
 * never early.
 */
public final class Timer {
    private static final int PENDING = 0;
    private static final int FIRED = 1;     // a one-shot timer ran
    private static final int CANCELLED = 2;
    private static final int RUNNING = 3;   // a periodic timer's task is running

    long deadline;
    final long period; // nanoseconds; 0 for a one-shot timer
    final long sequence;
    final Runnable task;
    int heapIndex = -1;
    private final AtomicInteger state = new AtomicInteger(PENDING);
    private final EventLoop loop;

    Timer(EventLoop loop, long deadline, long period, long sequence, Runnable task) {
        this.loop = loop;
        this.deadline = deadline;
        this.period = period;
        this.sequence = sequence;
        this.task = task;
    }

    /**
     * Cancels the timer from any thread. Returns true if this call cancelled it: its task will
     * not run again (a periodic task running now finishes that run). False if a one-shot timer
     * already ran or is running, or the timer was cancelled before.
     *
     * @return true if this call cancelled it
     */
    public boolean cancel() {
        if (state.compareAndSet(RUNNING, CANCELLED)) {
            return true; // the loop sees it after the run and does not rearm
        }
        if (!state.compareAndSet(PENDING, CANCELLED)) {
            return false;
        }
        loop.removeTimer(this);
        return true;
    }

    /** {@return whether the timer was cancelled} */
    public boolean isCancelled() {
        return state.get() == CANCELLED;
    }

    /** Claims the timer for running; false if it was cancelled first. */
    boolean fire() {
        return state.compareAndSet(PENDING, period > 0 ? RUNNING : FIRED);
    }

    /**
     * After a periodic run: the next deadline on the fixed-rate grid after {@code now} (runs
     * missed while the loop was busy are skipped); false if it is one-shot or was cancelled.
     */
    boolean rearm(long now) {
        if (period == 0) {
            return false;
        }
        long missed = Math.max(0, (now - deadline) / period);
        deadline += (missed + 1) * period;
        return state.compareAndSet(RUNNING, PENDING);
    }

    /**
     * Whether the timer repeats ({@link EventLoop#scheduleAtFixedRate}).
     *
     * @return whether it repeats
     */
    public boolean isPeriodic() {
        return period > 0;
    }

    /**
     * The deadline on the {@link System#nanoTime()} clock.
     *
     * @return the deadline
     */
    public long deadlineNanos() {
        return deadline;
    }

    /** Heap order: deadline, then scheduling order for equal deadlines. */
    boolean before(Timer other) {
        long d = deadline - other.deadline; // nanoTime may wrap: compare differences
        return d < 0 || (d == 0 && sequence < other.sequence);
    }
}
