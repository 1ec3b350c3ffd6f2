package io.ffpoll.multiplexer;

import io.ffpoll.multiplexer.internal.Durations;
import io.ffpoll.multiplexer.internal.LoopCounters;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopFuture;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A thread that owns a {@link Poller}. Each iteration makes one poll (whose timeout is the next
 * timer's deadline, or zero when tasks are waiting), then runs (on io_uring, after the sends'
 * completions) the ready fds' handlers, the expired timers and the tasks submitted from other
 * threads.
 *
 * <p>Threading: {@link #execute}, {@link #submit}, {@link #onLoop}, {@link #schedule},
 * {@link Timer#cancel()}, {@link #close()}, {@link #closeAsync()} and {@link #inEventLoop()} may
 * be called from any thread; the fd methods only from the loop thread (from a handler, timer or
 * task), and elsewhere throw {@link WrongThreadException}, as a connection's methods do (on a
 * closed loop, whose thread has ended, every caller is elsewhere). A submitted task wakes a blocked loop;
 * a burst of submissions costs about one eventfd write, not one each.
 *
 * <p>No method waits for a loop while it runs on a loop thread: one loop waiting for another
 * that waits for it would stop both for good. Calls that hand work to another loop return a
 * {@link CompletableFuture} instead; on their own loop they run at once.
 */
public final class EventLoop implements Executor, AutoCloseable {
    static final int RUNNING = 0;
    static final int CLOSING = 1;
    static final int TERMINATED = 2;

    private final String name;
    final Poller poller;
    final Events events;
    final LoopThread thread;
    final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    final TimerHeap timers = new TimerHeap();
    private final AtomicLong timerSequence = new AtomicLong();
    final CountDownLatch terminated = new CountDownLatch(1);
    final CompletableFuture<Void> termination = new CompletableFuture<>();
    volatile int runState = RUNNING;
    volatile long iterations;
    long polledAt; // System.nanoTime() once the last poll returned (LoopAccess.polledAt); loop thread only
    final LoopAttachments attached = new LoopAttachments();
    final LoopCounters counters = new LoopCounters();

    static {
        LoopAccess.install(new LoopAccessBridge());
    }

    private EventLoop(String name, Poller poller, int eventCapacity) {
        this.name = name;
        this.poller = poller;
        this.events = Events.withCapacity(eventCapacity);
        // A platform thread: epoll_wait is a blocking native call, which would pin a virtual
        // thread's carrier for as long as it waits.
        this.thread = new LoopThread(this);
    }

    /**
     * Opens a Poller for this OS and starts a loop thread named {@code name}.
     *
     * @param name the name
     * @return the running loop
     * @throws IOException if the poller cannot be opened
     */
    public static EventLoop start(String name) throws IOException {
        return start(name, Poller.open(), 1024);
    }

    /**
     * Starts a loop on {@code poller}, which it then owns and closes, delivering at most
     * {@code eventCapacity} events per iteration.
     *
     * @param name the name
     * @param poller the poller, which the loop then owns
     * @param eventCapacity the most events delivered per iteration
     * @return the running loop
     * @throws IllegalArgumentException for an io_uring poller another thread has polled already:
     *     its ring is bound to that thread, and the loop's own thread could never poll it
     */
    public static EventLoop start(String name, Poller poller, int eventCapacity) {
        Thread bound = poller.unwrap().boundTo();
        if (bound != null) {
            throw new IllegalArgumentException("the poller is bound to thread " + bound.getName()
                    + ", which polled it first (io_uring is SINGLE_ISSUER): give the loop a poller no thread has polled");
        }
        EventLoop loop = new EventLoop(name, poller, eventCapacity);
        loop.thread.start();
        return loop;
    }

    /** {@return the loop's name (its thread's)} */
    public String name() {
        return name;
    }

    /**
     * The backend of the loop's poller, e.g. {@code "epoll"}.
     *
     * @return the backend's name
     */
    public String backend() {
        return poller.backend();
    }

    /** {@return whether the caller runs on this loop's thread} */
    public boolean inEventLoop() {
        return Thread.currentThread() == thread;
    }

    /**
     * The loop whose thread the caller runs on, any loop's: a method that would wait for a loop
     * refuses to on a loop thread.
     *
     * @return the loop, or null off every loop thread
     */
    public static EventLoop current() {
        // A loop that has ended runs nothing more: its thread, finishing, is no loop's.
        return Thread.currentThread() instanceof LoopThread t && t.loop.runState != TERMINATED ? t.loop : null;
    }

    /**
     * What the loop has done so far, for tests: iterations (one poll each) and tasks waiting to
     * run. Any thread; the figures are read without stopping the loop. For monitoring,
     * {@link #metrics()} has these and the rest, as one consistent snapshot.
     *
     * @param iterations  polls made so far, one per iteration
     * @param queuedTasks tasks submitted and not yet run
     */
    public record Stats(long iterations, int queuedTasks) {}

    /**
     * The loop's figures now. Any thread.
     *
     * @return the figures
     */
    public Stats stats() {
        return new Stats(iterations, tasks.size());
    }

    /**
     * What the loop has done since it started, as one consistent snapshot taken at the end of
     * its latest iteration (see {@link LoopMetrics}). Any thread; never waits for the loop, and
     * also after it closed (then with everything it did, its closing included).
     *
     * @return the snapshot
     */
    public LoopMetrics metrics() {
        long[] c = new long[LoopCounters.SLOTS];
        long[] errors = new long[LoopCounters.MAX_ERRNO + 1];
        counters.snapshot(c, errors);
        return LoopMetrics.of(name, c, errors);
    }

    void checkInLoop(String method) {
        if (!inEventLoop()) {
            throw new WrongThreadException("EventLoop." + method + " must be called on loop thread '" + name
                    + "' (submit it with execute)");
        }
        if (runState == TERMINATED) {
            throw new IllegalStateException("event loop '" + name + "' is closed");
        }
    }

    /**
     * Registers {@code fd}; its events go to {@code handler}. See {@link Poller#register}.
     *
     * @param fd the descriptor
     * @param interest the directions to deliver
     * @param handler the handler
     */
    public void register(int fd, Interest interest, IoHandler handler) {
        checkInLoop("register");
        poller.register(fd, interest, handler);
    }

    /**
     * See {@link Poller#modify(int, Interest)}: user space only, no syscall.
     *
     * @param fd the descriptor
     * @param interest the directions to deliver
     */
    public void modify(int fd, Interest interest) {
        checkInLoop("modify");
        poller.modify(fd, interest);
    }

    /**
     * Changes interest and hands the fd's events to another handler.
     *
     * @param fd the descriptor
     * @param interest the directions to deliver
     * @param handler the handler
     */
    public void modify(int fd, Interest interest, IoHandler handler) {
        checkInLoop("modify");
        poller.modify(fd, interest, handler);
    }

    /**
     * See {@link Poller#clearReadiness}.
     *
     * @param fd the descriptor
     * @param which the directions
     */
    public void clearReadiness(int fd, Interest which) {
        checkInLoop("clearReadiness");
        poller.clearReadiness(fd, which);
    }

    /**
     * See {@link Poller#deregister}: the fd stays open.
     *
     * @param fd the descriptor
     */
    public void deregister(int fd) {
        checkInLoop("deregister");
        poller.deregister(fd);
    }

    /**
     * Deregisters {@code fd} if registered and closes it, without a syscall beyond close(2)
     * where the kernel drops a closed file from the set. See {@link Poller#deregisterAndClose}.
     *
     * @throws IOException if close(2) fails; the fd is released all the same
     * @param fd the descriptor
     */
    public void deregisterAndClose(int fd) throws IOException {
        checkInLoop("deregisterAndClose");
        poller.deregisterAndClose(fd);
    }

    /**
     * Runs {@code task} on this loop: at once when called on the loop's thread (the future is
     * then complete when this returns), else like {@link #submit}. The future completes with the
     * task's result or what it threw, and exceptionally with a
     * {@link RejectedExecutionException} if the loop is closed. Any thread; never waits.
     *
     * @param <T> the result type
     * @param task the task
     * @return a future of the result
     */
    public <T> CompletableFuture<T> onLoop(Callable<T> task) {
        if (inEventLoop()) {
            if (runState == TERMINATED) {
                return LoopFuture.failed(this, rejected());
            }
            try {
                return LoopFuture.completed(this, task.call());
            } catch (Throwable t) {
                return LoopFuture.failed(this, t);
            }
        }
        try {
            return submit(task);
        } catch (RejectedExecutionException closed) {
            return LoopFuture.failed(this, closed);
        }
    }

    /**
     * Runs {@code task} on the loop thread, after the current iteration's I/O.
     *
     * @throws RejectedExecutionException if the loop is closed
     */
    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (inEventLoop()) {
            // The loop's own code (closing callbacks included) may queue work while it closes:
            // the loop runs its queue before it ends. Once it is terminated (the last run of
            // the queue), this is refused here too, so a task cannot queue itself for ever.
            if (runState == TERMINATED) {
                throw rejected();
            }
            tasks.add(task);
            return;
        }
        if (runState != RUNNING) {
            throw rejected();
        }
        tasks.add(task);
        // close() may have come between the check and the add. If the loop has not taken the
        // task yet, take it back and refuse it; if it has, the loop runs it before it ends.
        if (runState != RUNNING && tasks.remove(task)) {
            throw rejected();
        }
        poller.wakeup();
    }

    private RejectedExecutionException rejected() {
        return new RejectedExecutionException("event loop '" + name + "' is closed");
    }

    /**
     * Runs {@code task} on the loop thread and completes the future with its result or what it
     * threw. Any thread.
     *
     * @throws RejectedExecutionException if the loop is closed
     * @param <T> the result type
     * @param task the task
     * @return a future of the result
     */
    public <T> CompletableFuture<T> submit(Callable<T> task) {
        CompletableFuture<T> result = new LoopFuture<>(this);
        execute(new SubmittedTask<>(task, result));
        return result;
    }

    /**
     * Runs {@code task} on the loop thread once {@code delay} has passed. Any thread.
     *
     * @param delay the time until it runs, not negative
     * @param task the task
     * @return the timer, to cancel it
     * @throws RejectedExecutionException if the loop is closed
     */
    public Timer schedule(Duration delay, Runnable task) {
        return schedule(delay, 0, task);
    }

    /**
     * Runs {@code task} on the loop thread after {@code initialDelay}, then every
     * {@code period} until the timer is cancelled (from any thread, or by the task itself).
     * Fixed rate: runs are due at {@code initialDelay + k * period}; a run due while the loop
     * was busy happens late, and runs missed meanwhile are skipped, never bunched. A task that
     * throws is logged and keeps its schedule. Any thread.
     *
     * @throws IllegalArgumentException if {@code initialDelay} is negative or {@code period} not positive
     * @throws RejectedExecutionException if the loop is closed
     * @param initialDelay the time until the first run, not negative
     * @param period the time between runs, positive
     * @param task the task
     * @return the timer, to cancel it
     */
    public Timer scheduleAtFixedRate(Duration initialDelay, Duration period, Runnable task) {
        long p = Math.min(Durations.saturatedNanos(Durations.positive(period, "period")), Long.MAX_VALUE / 4);
        return schedule(initialDelay, p, task);
    }

    private Timer schedule(Duration delay, long periodNanos, Runnable task) {
        Objects.requireNonNull(task, "task");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("negative delay " + delay);
        }
        // Capped so that adding it to nanoTime cannot overflow.
        long nanos = Math.min(Durations.saturatedNanos(delay), Long.MAX_VALUE / 4);
        Timer t = new Timer(this, System.nanoTime() + nanos, periodNanos, timerSequence.getAndIncrement(), task);
        if (inEventLoop()) {
            if (runState == TERMINATED) {
                throw rejected();
            }
            timers.add(t);
        } else {
            execute(() -> {
                if (!t.isCancelled()) {
                    timers.add(t);
                }
            });
        }
        return t;
    }

    void removeTimer(Timer t) {
        if (inEventLoop()) {
            timers.remove(t);
        } else if (runState == RUNNING) {
            try {
                execute(() -> timers.remove(t));
            } catch (RejectedExecutionException closed) {
                // the loop is gone, and with it every timer
            }
        }
    }

    /**
     * Stops the loop: tasks already submitted run, and so do the tasks they queue while the
     * loop closes, for up to 64 generations before the loop's resources are closed and 64 after;
     * then the loop is terminated, what is still queued runs once, and its {@code execute}
     * calls throw {@link RejectedExecutionException} (a task that queues itself again at every
     * run ends there instead of holding the close for ever). Pending timers are dropped, and
     * everything registered on the loop is closed: listeners, connections (reset, with what
     * they had queued dropped; their handlers hear of it with a
     * {@code ClosedConnectionException}: close them first for a graceful end), connects in
     * progress, and any other fd still registered. Then the poller is closed. Off every loop thread this waits for the loop's
     * thread to end; on a loop thread (this loop's, or another's) it only starts closing and
     * returns, since it cannot wait there: {@link #closeAsync()} tells when it is done.
     * Idempotent.
     */
    @Override
    public void close() {
        stop();
        if (current() == null) {
            awaitTermination();
        }
    }

    /**
     * Starts closing (see {@link #close()}) and returns at once. Any thread.
     *
     * @return a future completed once the loop's thread has ended
     */
    public CompletableFuture<Void> closeAsync() {
        stop();
        return termination.copy();
    }

    /** Starts closing without waiting: {@link #close()} for several loops at once. */
    void stop() {
        if (runState == RUNNING) {
            runState = CLOSING;
            poller.wakeup();
        }
    }

    private void awaitTermination() {
        boolean interrupted = false;
        while (true) {
            try {
                terminated.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits up to {@code timeout} for the loop thread to end; true if it has.
     *
     * @param timeout how long to wait at most
     * @param unit the unit of {@code timeout}
     * @return true if the loop has ended
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, unit);
    }

    /** {@return true once {@link #close()} was called (the loop may still be stopping)} */
    public boolean isClosed() {
        return runState != RUNNING;
    }
}
