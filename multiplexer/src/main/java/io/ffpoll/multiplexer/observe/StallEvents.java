package io.ffpoll.multiplexer.observe;

import io.ffpoll.multiplexer.internal.Described;

/**
 * One loop's {@link LoopStallEvent} and {@link SlowHandlerEvent}, reused: each is written at
 * most once per callback or iteration, and only while enabled. Reuse relies on begin() and
 * end() setting the start and duration anew each time, as JDK 23-25 do; neither event has a
 * {@code @Throttle}, whose state this reuse would carry from one use to the next. Made by {@link CallbackWatch}
 * once the recorder runs ({@link JfrSwitch}), since loading an event class loads JFR.
 */
final class StallEvents {
    private final String loop;
    private final LoopStallEvent stall = new LoopStallEvent();
    private final SlowHandlerEvent slow = new SlowHandlerEvent();

    StallEvents(String loop) {
        this.loop = loop;
    }

    /** Loads this class and its events, and the sampler's, while descriptors may still be free. */
    static void preload() {
        new StallEvents("").wanted();
        StackSampler.threshold();
    }

    boolean wanted() {
        return stall.isEnabled() || slow.isEnabled();
    }

    void iterationStarted() {
        stall.begin();
    }

    void callbackStarted() {
        slow.begin();
    }

    void callbackEnded(Object what, String kind, String stack) {
        slow.end();
        if (slow.shouldCommit()) {
            slow.loop = loop;
            slow.callback = describe(what);
            slow.kind = kind;
            slow.stack = stack == null ? "" : stack;
            slow.commit();
        }
    }

    /** {@code described}: the longest callback's text if it was made as it returned, else null, and {@code longest} is described now. */
    void iterationEnded(int events, String described, Object longest, String kind, long longestNanos, String stack) {
        stall.end();
        if (stall.shouldCommit()) {
            stall.loop = loop;
            stall.events = events;
            stall.callback = described != null ? described : longest == null ? "" : describe(longest);
            stall.kind = kind == null ? "" : kind;
            stall.callbackDuration = Math.max(longestNanos, 0);
            stall.stack = stack == null ? "" : stack;
            stall.commit();
        }
    }

    static String describe(Object what) {
        return what instanceof Described d ? d.describeCallback() : what.getClass().getName();
    }
}
