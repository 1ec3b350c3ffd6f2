package io.ffpoll.multiplexer.internal;

/**
 * Something registered on an {@link io.ffpoll.multiplexer.EventLoop} that the loop must close when it stops (a
 * listener, a connection, a connect in progress), so that closing a loop leaves no descriptor
 * open and every owner hears of it once.
 *
 * <p>A class, not an interface, because it carries its own links in the loop's list of
 * resources ({@link LoopResources}): every connection is one, and a set's entry and table slot
 * per connection cost more than the two references.
 */
public abstract class LoopResource {
    LoopResource prev;
    LoopResource next;

    /** The loop is stopping; called on its thread, once, unless the resource was released first. */
    public abstract void closeBecauseLoopStopped();

    /** A resource whose closing is {@code close}: for the owners that keep it as a field. */
    public static LoopResource of(Runnable close) {
        return new LoopResource() {
            @Override
            public void closeBecauseLoopStopped() {
                close.run();
            }
        };
    }
}
