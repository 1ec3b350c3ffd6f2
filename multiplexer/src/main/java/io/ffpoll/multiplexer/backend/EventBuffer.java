package io.ffpoll.multiplexer.backend;

/**
 * The storage behind {@link io.ffpoll.multiplexer.Events}: parallel arrays a backend fills for
 * one poll, read through the public {@code Event} view. Nothing is allocated per poll or per
 * event. The readiness bits and the interest bits (READ, WRITE) share their values.
 */
public final class EventBuffer {
    public static final int READ = 1;
    public static final int WRITE = 2;
    public static final int READ_CLOSED = 4;
    public static final int WRITE_CLOSED = 8;
    public static final int ERROR = 16;

    public final int[] fd;
    public final int[] generation;
    public final int[] ready;
    public final int[] failure;
    public final String[] failedCall;
    public final Object[] attachment;
    public int size;
    /** The backend that filled the buffer last, which decides whether an event is still valid. */
    public Backend owner;

    public EventBuffer(int capacity) {
        fd = new int[capacity];
        generation = new int[capacity];
        ready = new int[capacity];
        failure = new int[capacity];
        failedCall = new String[capacity];
        attachment = new Object[capacity];
    }

    public int capacity() {
        return fd.length;
    }

    /** Empties the buffer for a poll of {@code backend}. */
    public void clear(Backend backend) {
        for (int i = 0; i < size; i++) {
            attachment[i] = null;
            failedCall[i] = null;
        }
        size = 0;
        owner = backend;
    }

    /** Appends an event; returns its index. The caller checks capacity. */
    public int add(int fd, int generation, int ready, int failure, Object attachment) {
        int i = size++;
        this.fd[i] = fd;
        this.generation[i] = generation;
        this.ready[i] = ready;
        this.failure[i] = failure;
        this.attachment[i] = attachment;
        return i;
    }
}
