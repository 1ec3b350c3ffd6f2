package io.ffpoll.multiplexer.internal;

import io.ffpoll.multiplexer.EventLoop;

/**
 * The rule behind every blocking convenience: no thread of a loop waits for a loop. Two loops
 * that wait for each other (each closing the group, each asking the other for its figures)
 * would stop for good, and a loop waiting for itself never wakes.
 */
public final class Blocking {
    private Blocking() {}

    /**
     * Throws if the caller runs on a loop thread.
     *
     * @param what what the caller would wait for, for the message
     * @param instead the call to use instead, for the message
     * @throws IllegalStateException on any loop thread
     */
    public static void refuseOnLoop(String what, String instead) {
        EventLoop here = EventLoop.current();
        if (here != null) {
            throw new IllegalStateException("waiting for " + what + " on loop thread '" + here.name()
                    + "' could stop the loops for good; use " + instead);
        }
    }
}
