package io.ffpoll.multiplexer.internal;

/**
 * Work a layer above the loop does once per iteration, just before the poll (the connection
 * layer flushes the writes of the iteration there), without the loop knowing what it is.
 */
public interface LoopHook {
    /** Runs on the loop thread before each poll. */
    void beforePoll();

    /** True when {@link #beforePoll()} has work that must not wait for an event: the poll then does not block. */
    boolean hasWork();
}
