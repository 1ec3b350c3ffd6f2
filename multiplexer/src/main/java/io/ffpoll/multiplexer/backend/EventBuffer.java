package io.ffpoll.multiplexer.backend;

/**
 * The storage behind {@link io.ffpoll.multiplexer.Events}: parallel arrays that
 * {@link Registrations} fills for one poll, read through the public {@code Event} view. Nothing
 * is allocated per poll or per event. The readiness bits and the interest bits (READ, WRITE)
 * share their values. Only this package writes it; everyone else reads event {@code i}.
 */
public final class EventBuffer {
    public static final int READ = 1;
    public static final int WRITE = 2;
    public static final int READ_CLOSED = 4;
    public static final int WRITE_CLOSED = 8;
    public static final int ERROR = 16;

    final int[] fd;
    final int[] generation;
    final int[] ready;
    final int[] failure;
    final String[] failedCall;
    final Object[] attachment;
    int size;
    /** The backend that filled the buffer last, which decides whether an event is still valid. */
    private Backend owner;

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

    /** {@return how many events the last poll delivered} */
    public int size() {
        return size;
    }

    public int fd(int i) {
        return fd[i];
    }

    /** The readiness bits of event {@code i} (READ, WRITE, READ_CLOSED, WRITE_CLOSED, ERROR). */
    public int ready(int i) {
        return ready[i];
    }

    /** The errno of a failed registration, or 0. */
    public int failure(int i) {
        return failure[i];
    }

    /** The call that failed, for the message of a failed registration. */
    public String failedCall(int i) {
        return failedCall[i];
    }

    public Object attachment(int i) {
        return attachment[i];
    }

    /** Whether event {@code i} is of the fd's current registration (not closed or replaced since). */
    public boolean isCurrent(int i) {
        return failure[i] != 0 || owner.isCurrent(fd[i], generation[i]);
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
