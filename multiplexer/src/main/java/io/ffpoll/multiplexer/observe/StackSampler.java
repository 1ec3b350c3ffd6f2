package io.ffpoll.multiplexer.observe;

import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One daemon thread that, while a loop times its callbacks (a {@link SlowHandlerEvent} or
 * {@link LoopStallEvent} is enabled), looks at each such loop every half threshold and takes
 * the stack of a callback that has run past the threshold: the stack a
 * {@link SlowHandlerEvent} reports is where the callback was, not where the loop wrote the
 * event. The thread runs only while some loop is watched, and ends when none is.
 */
final class StackSampler {
    private static final Set<CallbackWatch> WATCHED = ConcurrentHashMap.newKeySet();
    private static final long DEFAULT_THRESHOLD = TimeUnit.MILLISECONDS.toNanos(20);
    /** No running recording enables either event. */
    static final long NONE = Long.MAX_VALUE;
    private static final long MIN_PERIOD = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long SETTINGS_EVERY = TimeUnit.SECONDS.toNanos(1);
    private static Thread thread; // guarded by StackSampler.class

    private StackSampler() {}

    static void watch(CallbackWatch w) {
        synchronized (StackSampler.class) {
            w.watched = true;
            WATCHED.add(w);
            if (thread == null) {
                // Not a loop thread's child: none of its inheritable thread locals.
                thread = Thread.ofPlatform().daemon().inheritInheritableThreadLocals(false)
                        .name("ffpoll-stack-sampler").start(StackSampler::run);
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
        long threshold = threshold();
        long settingsReadAt = System.nanoTime();
        while (true) {
            LockSupport.parkNanos(threshold == NONE ? MIN_PERIOD : Math.max(threshold / 2, MIN_PERIOD));
            long now = System.nanoTime();
            if (now - settingsReadAt > SETTINGS_EVERY) {
                threshold = threshold();
                settingsReadAt = now;
            }
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
            for (CallbackWatch w : WATCHED) {
                w.sampleIfSlow(now, Math.max(threshold, MIN_PERIOD));
            }
        }
    }

    /**
     * The lowest threshold a running recording sets for either event, where it enables it: the
     * events' own default (20 ms) where one enables it with no threshold, or where they are on
     * by default; {@link #NONE} where neither is enabled.
     */
    static long threshold() {
        if (!EventType.getEventType(SlowHandlerEvent.class).isEnabled()
                && !EventType.getEventType(LoopStallEvent.class).isEnabled()) {
            return NONE;
        }
        long lowest = NONE;
        for (Recording r : FlightRecorder.getFlightRecorder().getRecordings()) {
            if (r.getState() != RecordingState.RUNNING) {
                continue;
            }
            Map<String, String> settings = r.getSettings();
            for (String event : new String[] {"ffpoll.SlowHandler", "ffpoll.LoopStall"}) {
                if ("true".equals(settings.get(event + "#enabled"))) {
                    String t = settings.get(event + "#threshold");
                    lowest = Math.min(lowest, t == null ? DEFAULT_THRESHOLD : parse(t));
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
