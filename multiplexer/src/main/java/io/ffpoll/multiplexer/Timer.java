package io.ffpoll.multiplexer;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A task scheduled on an {@link EventLoop} with {@link EventLoop#schedule}. It runs on the loop
 * thread no earlier than its deadline: late by the loop's millisecond rounding plus whatever
 * the loop was busy with, never early.
 */
public final class Timer {
    private static final int PENDING = 0;
    private static final int FIRED = 1;
    private static final int CANCELLED = 2;

    final long deadline;
    final long sequence;
    final Runnable task;
    int heapIndex = -1;
    private final AtomicInteger state = new AtomicInteger(PENDING);
    private final EventLoop loop;

    Timer(EventLoop loop, long deadline, long sequence, Runnable task) {
        this.loop = loop;
        this.deadline = deadline;
        this.sequence = sequence;
        this.task = task;
    }

    /**
     * Cancels the timer from any thread. Returns true if this call cancelled it, in which case
     * its task will never run; false if it already ran, is running, or was cancelled before.
     */
    public boolean cancel() {
        if (!state.compareAndSet(PENDING, CANCELLED)) {
            return false;
        }
        loop.removeTimer(this);
        return true;
    }

    public boolean isCancelled() {
        return state.get() == CANCELLED;
    }

    /** Claims the timer for running; false if it was cancelled first. */
    boolean fire() {
        return state.compareAndSet(PENDING, FIRED);
    }

    /** The deadline on the {@link System#nanoTime()} clock. */
    public long deadlineNanos() {
        return deadline;
    }

    /** Heap order: deadline, then scheduling order for equal deadlines. */
    boolean before(Timer other) {
        long d = deadline - other.deadline; // nanoTime may wrap: compare differences
        return d < 0 || (d == 0 && sequence < other.sequence);
    }
}
