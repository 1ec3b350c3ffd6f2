package io.ffpoll.multiplexer;

import io.ffpoll.multiplexer.backend.EventBuffer;

/**
 * The events one {@link Poller#poll} returned: a fixed-capacity buffer, reused across polls,
 * read with {@link #get(int)} for {@code 0 <= i < size()}. Nothing is allocated per poll or
 * per event: {@link #get(int)} positions one shared {@link Event} view. Not thread-safe.
 */
public final class Events {
    final EventBuffer buffer;
    private final Event view;

    private Events(int capacity) {
        buffer = new EventBuffer(capacity);
        view = new Event(this); // reads buffer: made after it
    }

    /**
     * A buffer for at most {@code capacity} events per poll.
     *
     * @param capacity the most events per poll, at least 1
     * @return a new buffer
     */
    public static Events withCapacity(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        return new Events(capacity);
    }

    /** {@return the most events one poll delivers} */
    public int capacity() {
        return buffer.capacity();
    }

    /**
     * Number of events the last poll delivered.
     *
     * @return the number of events
     */
    public int size() {
        return buffer.size();
    }

    /**
     * The shared view positioned on event {@code i}; valid until the next {@code get} or poll.
     *
     * @param i the index, from 0
     * @return the shared view
     */
    public Event get(int i) {
        if (i < 0 || i >= buffer.size()) {
            throw new IndexOutOfBoundsException("event " + i + " of " + buffer.size());
        }
        view.index = i;
        return view;
    }
}
