package io.ffpoll.multiplexer;

/**
 * Receives the readiness events of one fd registered on an {@link EventLoop}. Called on the
 * loop's thread; the {@link Event} is a view valid only during the call. An exception thrown
 * here is logged and the loop goes on.
 */
@FunctionalInterface
public interface IoHandler {
    /**
     * Handles one event, on the loop thread.
     * @param event the event; valid during this call only
     */
    void onEvent(Event event);
}
