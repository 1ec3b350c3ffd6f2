package io.ffpoll.multiplexer.observe;

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
    private static final long MIN_PERIOD = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long SETTINGS_EVERY = TimeUnit.SECONDS.toNanos(1);
    private static Thread thread; // guarded by StackSampler.class

    private StackSampler() {}

    static void watch(CallbackWatch w) {
        WATCHED.add(w);
        synchronized (StackSampler.class) {
            if (thread == null) {
                thread = Thread.ofPlatform().daemon().name("ffpoll-stack-sampler").start(StackSampler::run);
            }
        }
    }

    static void unwatch(CallbackWatch w) {
        WATCHED.remove(w);
    }

    private static void run() {
        long threshold = threshold();
        long settingsReadAt = System.nanoTime();
        while (true) {
            LockSupport.parkNanos(Math.max(threshold / 2, MIN_PERIOD));
            synchronized (StackSampler.class) {
                if (WATCHED.isEmpty()) {
                    thread = null; // a later watch() starts another
                    return;
                }
            }
            long now = System.nanoTime();
            if (now - settingsReadAt > SETTINGS_EVERY) {
                threshold = threshold();
                settingsReadAt = now;
            }
            for (CallbackWatch w : WATCHED) {
                w.sampleIfSlow(now, Math.max(threshold, MIN_PERIOD));
            }
        }
    }

    /**
     * The lowest threshold any running recording sets for the two events; the events' own
     * default where none sets one.
     */
    static long threshold() {
        long lowest = Long.MAX_VALUE;
        for (Recording r : FlightRecorder.getFlightRecorder().getRecordings()) {
            if (r.getState() != RecordingState.RUNNING) {
                continue;
            }
            Map<String, String> settings = r.getSettings();
            lowest = Math.min(lowest, parse(settings.get("ffpoll.SlowHandler#threshold")));
            lowest = Math.min(lowest, parse(settings.get("ffpoll.LoopStall#threshold")));
        }
        return lowest == Long.MAX_VALUE ? DEFAULT_THRESHOLD : lowest;
    }

    /** A JFR timespan setting, "20 ms" or "0 ns"; MAX_VALUE for none or one not understood. */
    static long parse(String value) {
        if (value == null) {
            return Long.MAX_VALUE;
        }
        String[] parts = value.trim().split("\\s+");
        if (parts.length != 2) {
            return Long.MAX_VALUE;
        }
        long n;
        try {
            n = Long.parseLong(parts[0]);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
        return switch (parts[1]) {
            case "ns" -> n;
            case "us" -> TimeUnit.MICROSECONDS.toNanos(n);
            case "ms" -> TimeUnit.MILLISECONDS.toNanos(n);
            case "s" -> TimeUnit.SECONDS.toNanos(n);
            case "m" -> TimeUnit.MINUTES.toNanos(n);
            default -> Long.MAX_VALUE;
        };
    }
}
