package io.ffpoll.multiplexer.internal;

/**
 * Something registered on an {@link io.ffpoll.multiplexer.EventLoop} that the loop must close when it stops (a
 * listener, a connection, a connect in progress), so that closing a loop leaves no descriptor
 * open and every owner hears of it once.
 */
public interface LoopResource {
    /** The loop is stopping; called on its thread, once, unless the resource was released first. */
    void closeBecauseLoopStopped();
}
