package io.ffpoll.multiplexer.observe;

import io.ffpoll.multiplexer.EventLoop;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The loops running in this JVM, for the periodic {@link LoopMetricsEvent}. A plain class: no JFR type is touched by keeping it. */
public final class RunningLoops {
    static final Set<EventLoop> LOOPS = ConcurrentHashMap.newKeySet();

    private RunningLoops() {}

    public static void started(EventLoop loop) {
        LOOPS.add(loop);
    }

    public static void stopped(EventLoop loop) {
        LOOPS.remove(loop);
    }
}
