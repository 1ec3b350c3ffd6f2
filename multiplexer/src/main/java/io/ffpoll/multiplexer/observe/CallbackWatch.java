package io.ffpoll.multiplexer.observe;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One loop's watch on its callbacks, for the {@link LoopStallEvent} and
 * {@link SlowHandlerEvent}. While JFR does not run, or neither event is enabled, it costs one
 * check per iteration, and one per callback ({@link #timing()}). While one is, each callback is
 * timed, and the {@link StackSampler} takes the loop thread's stack when a callback has run past
 * the threshold, since by the time the event is written the callback has returned and its
 * frames are gone.
 *
 * <p>What timing costs is mostly clock reads (about 26 ns each on a VM's kvm-clock), so a
 * callback reads the loop's clock once, as it returns: it began where the one before it ended,
 * or where the iteration began (the loop's own clock read after its poll), and the loop's few
 * instructions between two callbacks count in the second one. The event's {@code begin()} reads
 * JFR's clock at each start; its {@code end()} runs only for a callback or iteration that ran
 * near the lowest threshold a recording sets ({@link StackSampler#nearThreshold()}, read as the
 * callback returns): a shorter one could not be written.
 *
 * <p>Loop thread only, except the fields the sampler reads and writes, which are ordered by
 * release and acquire.
 */
public final class CallbackWatch {
    private static final VarHandle STARTED;
    private static final VarHandle RUNNING;
    private static final VarHandle SAMPLED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STARTED = l.findVarHandle(CallbackWatch.class, "startedAt", long.class);
            RUNNING = l.findVarHandle(CallbackWatch.class, "running", long.class);
            SAMPLED = l.findVarHandle(CallbackWatch.class, "sampledFor", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A callback that ran this long is described at once, while what it did is still current. */
    private static final long DESCRIBE_AT = 1_000_000;

    final Thread thread;
    private final String loop;
    private StallEvents events; // once JFR runs
    private boolean on;
    private long iterationBegan;
    private long lastEnded; // where the next callback begins
    // In the sampler's set; the sampler clears it when it ends (no recording wants stacks).
    volatile boolean watched;
    private int iterationEvents;
    private long longestNanos;
    private Object longestWhat;
    // An HTTP connection names the route it ran last, which a later callback in the same
    // iteration may change: so a long callback is described when it returns.
    private String longestDescription;
    private String longestKind;
    private String longestStack;
    private long callbacks;

    // Shared with the sampler: the running callback's number and start, and its sampled stack.
    @SuppressWarnings("unused") private long startedAt;
    @SuppressWarnings("unused") private long running;
    @SuppressWarnings("unused") private long sampledFor;
    private volatile String sampledStack;

    public CallbackWatch(Thread thread, String loop) {
        this.thread = thread;
        this.loop = loop;
    }

    /**
     * A poll returned with {@code ready} events at {@code now} (nanoTime): an iteration starts.
     * Whether the callbacks are timed is decided here, once an iteration, by whether either event
     * is enabled.
     */
    public void iterationStarted(int ready, long now) {
        on = JfrSwitch.on() && events().wanted();
        if (on) {
            if (!watched) {
                StackSampler.watch(this);
                now = System.nanoTime(); // starting the sampler is not the first callback's time
            }
            iterationBegan = now;
            lastEnded = now;
            iterationEvents = ready;
            longestNanos = -1;
            longestWhat = null;
            longestDescription = null;
            longestStack = null;
            events.iterationStarted();
        } else if (watched) {
            StackSampler.unwatch(this);
        }
    }

    private StallEvents events() {
        if (events == null) {
            events = new StallEvents(loop);
        }
        return events;
    }

    /** {@return whether this iteration's callbacks are timed} */
    public boolean timing() {
        return on;
    }

    /** A callback starts; returns its start for {@link #exit}. Only while {@link #timing()}. */
    public long enter() {
        long n = ++callbacks;
        long start = lastEnded;
        events.callbackStarted();
        STARTED.setRelease(this, start);
        RUNNING.setRelease(this, n);
        return start;
    }

    /** The callback {@code what} (of {@code kind}: event, timer, task...) that began at {@code start} returned. */
    public void exit(long start, Object what, String kind) {
        long now = System.nanoTime();
        lastEnded = now;
        long took = now - start;
        RUNNING.setRelease(this, 0L);
        String stack = (long) SAMPLED.getAcquire(this) == callbacks ? sampledStack : null;
        if (took > longestNanos) {
            longestNanos = took;
            longestWhat = what;
            longestDescription = took >= DESCRIBE_AT ? StallEvents.describe(what) : null;
            longestKind = kind;
            longestStack = stack;
        }
        // Read each time: a recording with a lower threshold may have started while it ran.
        if (took >= StackSampler.nearThreshold()) {
            events.callbackEnded(what, kind, stack);
        }
    }

    /** The iteration ends (the loop is about to poll): a stall if it ran past the threshold. */
    public void iterationEnded() {
        if (!on) {
            return;
        }
        // Described here only if the stall is written: building the text each iteration cost
        // more than all the rest of the timing.
        if (lastEnded - iterationBegan >= StackSampler.nearThreshold()) {
            events.iterationEnded(iterationEvents, longestDescription, longestWhat, longestKind, longestNanos, longestStack);
        }
        longestWhat = null;
        longestDescription = null;
        longestStack = null;
    }

    /** The loop has ended: the sampler lets go of it. */
    public void loopEnded() {
        if (watched) {
            StackSampler.unwatch(this);
        }
    }

    /**
     * The sampler's side: if a callback has run for {@code thresholdNanos} or more and has no
     * stack yet, take one. The callback's number is read before and after, so a stack taken
     * as one callback ended and the next began is dropped rather than given to the wrong one.
     * Returns how long until the running callback reaches the threshold, {@link Long#MAX_VALUE}
     * when none will (none runs, or it has its stack).
     */
    long sampleIfSlow(long now, long thresholdNanos) {
        long n = (long) RUNNING.getAcquire(this);
        if (n == 0 || (long) SAMPLED.getAcquire(this) == n) {
            return Long.MAX_VALUE;
        }
        long started = (long) STARTED.getAcquire(this);
        if (now - started < thresholdNanos) {
            return thresholdNanos - (now - started);
        }
        StackTraceElement[] frames = thread.getStackTrace();
        if ((long) RUNNING.getAcquire(this) != n) {
            return Long.MAX_VALUE;
        }
        sampledStack = format(frames);
        SAMPLED.setRelease(this, n);
        return Long.MAX_VALUE;
    }

    private static String format(StackTraceElement[] frames) {
        StringBuilder b = new StringBuilder();
        int shown = Math.min(frames.length, 64);
        for (int i = 0; i < shown; i++) {
            b.append("at ").append(frames[i]).append('\n');
        }
        if (shown < frames.length) {
            b.append("... ").append(frames.length - shown).append(" more\n");
        }
        return b.toString();
    }
}
