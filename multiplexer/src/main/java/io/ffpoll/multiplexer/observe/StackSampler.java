package io.ffpoll.multiplexer.observe;

import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One daemon thread that, while a loop times its callbacks (a {@link SlowHandlerEvent} or
 * {@link LoopStallEvent} is enabled), takes the stack of a callback that has run past the
 * threshold: the stack a {@link SlowHandlerEvent} reports is where the callback was, not where
 * the loop wrote the event. It looks at the loops at least once a threshold, and again when the
 * callback it saw running reaches the threshold, so that every callback that runs a threshold
 * gets its stack, with one wakeup a threshold on a busy loop (each wakeup takes a loop's CPU
 * from it for tens of microseconds on a VM). The thread runs only while some loop is watched,
 * and ends when none is.
 *
 * <p>It also keeps the lowest threshold a running recording sets for the two events, which
 * the loops read to skip the events' {@code end()} on callbacks too short to be written: read
 * again when a loop starts timing, when a recording starts or stops, and once a second (a
 * threshold lowered on a running recording, which JFR tells no listener of, thus applies within
 * a second).
 */
final class StackSampler {
    private static final Set<CallbackWatch> WATCHED = ConcurrentHashMap.newKeySet();
    private static final long DEFAULT_THRESHOLD = TimeUnit.MILLISECONDS.toNanos(20);
    /** No running recording enables either event. */
    static final long NONE = Long.MAX_VALUE;
    private static final long MIN_PERIOD = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long SETTINGS_EVERY = TimeUnit.SECONDS.toNanos(1);
    /**
     * The longest the sampler parks at once while its thresholds are short: under the 20 ms
     * threshold the JDK's default settings give jdk.ThreadPark, since a park that long is a JFR
     * event with a stack trace, which costs as much as the rest of a wakeup.
     */
    private static final long LONGEST_PARK = TimeUnit.MILLISECONDS.toNanos(19);
    private static Thread thread; // guarded by StackSampler.class
    private static final AtomicLong READS = new AtomicLong();
    private static long kept;      // the number of the read whose result is kept; guarded by StackSampler.class
    private static boolean stale;  // a loop started timing: the sampler reads the thresholds; guarded by StackSampler.class
    /** The lowest threshold of the running recordings ({@link #threshold()}), as last read. */
    private static volatile long lowest = DEFAULT_THRESHOLD;
    /** An eighth under it: JFR's clock and the loop's may differ by a little. */
    private static volatile long nearThreshold;

    private StackSampler() {}

    /**
     * {@return a duration under which no callback or iteration can be a {@link SlowHandlerEvent}
     * or {@link LoopStallEvent} in any running recording}
     */
    static long nearThreshold() {
        return nearThreshold;
    }

    /**
     * Reads the recordings' thresholds again (a recording started or stopped). Reads that overlap
     * (the listener's, the sampler's once a second) keep the one that began last: a read that
     * began before a recording started must not replace what a read after it found.
     */
    static void settingsChanged() {
        long read = READS.incrementAndGet();
        long t = threshold();
        Thread sampler;
        synchronized (StackSampler.class) {
            if (read > kept) {
                kept = read;
                lowest = t;
                nearThreshold = t == NONE ? Long.MAX_VALUE : t - t / 8;
            }
            sampler = thread;
        }
        if (sampler != null && sampler != Thread.currentThread()) {
            LockSupport.unpark(sampler); // it may be asleep for the old threshold
        }
    }

    /**
     * A loop starts timing its callbacks. Until the sampler has read the recordings' thresholds,
     * which takes JFR's recorder lock (held while a recording starts or dumps) and so is not done
     * on the loop's thread, every callback's event is ended.
     */
    static void watch(CallbackWatch w) {
        synchronized (StackSampler.class) {
            kept = READS.incrementAndGet(); // a read under way now is older than this
            nearThreshold = 0;
            stale = true;
            w.watched = true;
            WATCHED.add(w);
            if (thread == null) {
                // Not a loop thread's child: none of its inheritable thread locals.
                thread = Thread.ofPlatform().daemon().inheritInheritableThreadLocals(false)
                        .name("ffpoll-stack-sampler").start(StackSampler::run);
            } else {
                LockSupport.unpark(thread);
            }
        }
    }

    static void unwatch(CallbackWatch w) {
        synchronized (StackSampler.class) {
            w.watched = false;
            WATCHED.remove(w);
        }
    }

    private static void run() {
        long settingsReadAt = System.nanoTime();
        long sleep = 0;
        while (true) {
            // A long threshold: one park, recorded or not, costs less than several short ones.
            LockSupport.parkNanos(sleep < 2 * LONGEST_PARK ? Math.min(sleep, LONGEST_PARK) : Math.min(sleep, SETTINGS_EVERY));
            long now = System.nanoTime();
            boolean reread;
            synchronized (StackSampler.class) {
                reread = stale;
                stale = false;
            }
            if (reread || now - settingsReadAt > SETTINGS_EVERY) {
                settingsChanged();
                settingsReadAt = now;
            }
            long threshold = lowest;
            synchronized (StackSampler.class) {
                // No recording wants the events any more: a loop blocked in its poll would not
                // tell, so the sampler lets every loop go, and a loop that times its callbacks
                // again comes back by itself.
                if (threshold == NONE) {
                    WATCHED.forEach(w -> w.watched = false);
                    WATCHED.clear();
                }
                if (WATCHED.isEmpty()) {
                    thread = null; // a later watch() starts another
                    return;
                }
            }
            long period = Math.max(threshold, MIN_PERIOD);
            long next = period;
            for (CallbackWatch w : WATCHED) {
                next = Math.min(next, w.sampleIfSlow(now, period));
            }
            sleep = Math.max(next, MIN_PERIOD);
        }
    }

    /**
     * The lowest threshold a running recording sets for either event, where it enables it: the
     * events' own default (20 ms) where one enables it with no threshold, or does not name it
     * (they are on by default); {@link #NONE} where neither is enabled.
     */
    static long threshold() {
        EventType slow = EventType.getEventType(SlowHandlerEvent.class);
        EventType stall = EventType.getEventType(LoopStallEvent.class);
        if (!slow.isEnabled() && !stall.isEnabled()) {
            return NONE;
        }
        long lowest = NONE;
        for (Recording r : FlightRecorder.getFlightRecorder().getRecordings()) {
            if (r.getState() != RecordingState.RUNNING) {
                continue;
            }
            Map<String, String> settings = r.getSettings();
            for (EventType e : new EventType[] {slow, stall}) {
                // A recording may name the event by its name and by its type's id (where it was
                // enabled by its class, Recording.enable(Class)); JFR merges the two as it does
                // two recordings: on if either is, at the lower threshold. A recording that names
                // it neither way has it on, at its own threshold.
                String byName = settings.get(e.getName() + "#enabled");
                String byId = settings.get(e.getId() + "#enabled");
                if ((byName == null && byId == null) || "true".equals(byName) || "true".equals(byId)) {
                    String tName = settings.get(e.getName() + "#threshold");
                    String tId = settings.get(e.getId() + "#threshold");
                    lowest = Math.min(lowest, tName == null && tId == null ? DEFAULT_THRESHOLD
                            : Math.min(tName == null ? NONE : parse(tName), tId == null ? NONE : parse(tId)));
                }
            }
        }
        return lowest == NONE ? DEFAULT_THRESHOLD : lowest; // enabled by the events' own default
    }

    /**
     * A JFR timespan setting as JFR reads it: "20 ms", "20ms", "0", "infinity", in ns, us, ms,
     * s, m, h or d; {@link #NONE} for one not understood (or infinity: nothing is ever slow).
     */
    static long parse(String value) {
        String v = value.trim();
        if (v.equals("0")) {
            return 0;
        }
        int unit = 0;
        while (unit < v.length() && Character.isDigit(v.charAt(unit))) {
            unit++;
        }
        if (unit == 0) {
            return NONE;
        }
        long n;
        try {
            n = Long.parseLong(v.substring(0, unit));
        } catch (NumberFormatException e) {
            return NONE;
        }
        TimeUnit u = switch (v.substring(unit).trim()) {
            case "ns" -> TimeUnit.NANOSECONDS;
            case "us" -> TimeUnit.MICROSECONDS;
            case "ms" -> TimeUnit.MILLISECONDS;
            case "s" -> TimeUnit.SECONDS;
            case "m" -> TimeUnit.MINUTES;
            case "h" -> TimeUnit.HOURS;
            case "d" -> TimeUnit.DAYS;
            default -> null;
        };
        return u == null ? NONE : u.toNanos(n);
    }
}
