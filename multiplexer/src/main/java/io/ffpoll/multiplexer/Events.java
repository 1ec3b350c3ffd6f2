package io.ffpoll.multiplexer;

/**
 * The events one {@link Poller#poll} returned: a fixed-capacity buffer, reused across polls,
 * read with {@link #get(int)} for {@code 0 <= i < size()}. Nothing is allocated per poll or
 * per event: {@link #get(int)} positions one shared {@link Event} view. Not thread-safe.
 */
public final class Events {
    final int[] fd;
    final int[] generation;
    final int[] ready;
    final int[] failure;
    final String[] failedCall;
    final Object[] attachment;
    int size;
    Poller owner;
    private final Event view = new Event(this);

    private Events(int capacity) {
        fd = new int[capacity];
        generation = new int[capacity];
        ready = new int[capacity];
        failure = new int[capacity];
        failedCall = new String[capacity];
        attachment = new Object[capacity];
    }

    /** A buffer for at most {@code capacity} events per poll. */
    public static Events withCapacity(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        return new Events(capacity);
    }

    public int capacity() {
        return fd.length;
    }

    /** Number of events the last poll delivered. */
    public int size() {
        return size;
    }

    /**
     * The shared view positioned on event {@code i}; valid until the next {@code get} or poll.
     */
    public Event get(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("event " + i + " of " + size);
        }
        view.index = i;
        return view;
    }

    void clear(Poller poller) {
        for (int i = 0; i < size; i++) {
            attachment[i] = null;
            failedCall[i] = null;
        }
        size = 0;
        owner = poller;
    }

    /** Appends an event; returns its index. The caller checks capacity. */
    int add(int fd, int generation, int ready, int failure, Object attachment) {
        int i = size++;
        this.fd[i] = fd;
        this.generation[i] = generation;
        this.ready[i] = ready;
        this.failure[i] = failure;
        this.attachment[i] = attachment;
        return i;
    }
}
