package io.ffpoll.multiplexer.internal;

/**
 * A layer's state kept once per loop (the connection layer's buffers and flush list): its hook
 * runs before every poll, and the loop closes it last, after the resources that use it.
 */
public interface LoopLocal extends LoopHook {
    /** The loop is stopping; called on its thread, once, after its resources are closed. */
    void closeBecauseLoopStopped();
}
