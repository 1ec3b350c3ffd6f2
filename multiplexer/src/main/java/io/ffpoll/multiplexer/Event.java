package io.ffpoll.multiplexer;

import io.ffpoll.bindings.Errors;
import io.ffpoll.multiplexer.backend.EventBuffer;

import java.io.IOException;

/**
 * One readiness event: a view over one slot of an {@link Events} buffer (see
 * {@link Events#get(int)}), so it is valid only until the next {@code get} or poll.
 *
 * <p>Events may be spurious: readable may be reported when a read then returns EAGAIN. Delivery
 * is edge-triggered: after an event, keep reading (or writing) until EAGAIN, or the fd may never
 * be reported again for that direction.
 */
public final class Event {
    private static final int READ = EventBuffer.READ;
    private static final int WRITE = EventBuffer.WRITE;
    private static final int READ_CLOSED = EventBuffer.READ_CLOSED;
    private static final int WRITE_CLOSED = EventBuffer.WRITE_CLOSED;
    private static final int ERROR = EventBuffer.ERROR;

    private final EventBuffer events;
    int index;

    Event(Events events) {
        this.events = events.buffer;
    }

    /** {@return the descriptor} */
    public int fd() {
        return events.fd(index);
    }

    /**
     * What was passed to {@link Poller#register}.
     *
     * @return the attachment
     */
    public Object attachment() {
        return events.attachment(index);
    }

    /** {@return whether the fd is readable (or at EOF, or in error)} */
    public boolean isReadable() {
        return (events.ready(index) & READ) != 0;
    }

    /** {@return whether the fd is writable (or in error)} */
    public boolean isWritable() {
        return (events.ready(index) & WRITE) != 0;
    }

    /**
     * The peer shut down its writing side, or the connection is gone (epoll: EPOLLRDHUP or
     * EPOLLHUP; kqueue: EV_EOF on the read filter).
     *
     * @return whether the read side is closed
     */
    public boolean isReadClosed() {
        return (events.ready(index) & READ_CLOSED) != 0;
    }

    /**
     * Nothing more can be written (epoll: EPOLLHUP; kqueue: EV_EOF on the write filter).
     *
     * @return whether the write side is closed
     */
    public boolean isWriteClosed() {
        return (events.ready(index) & WRITE_CLOSED) != 0;
    }

    /**
     * The fd has a pending error (EPOLLERR, or an EV_EOF with an errno in fflags; read it with
     * SO_ERROR or the next read/write) or
     * could not be registered at all ({@link #registrationFailure()}).
     *
     * @return whether an error is pending
     */
    public boolean isError() {
        return (events.ready(index) & ERROR) != 0;
    }

    /**
     * Non-null when {@link Poller#register} failed when it was applied (a closed or invalid fd,
     * say). The registration is then gone: the fd is free to register again and no further
     * events come for it.
     *
     * @return the failure, or null
     */
    public IOException registrationFailure() {
        int errno = events.failure(index);
        return errno == 0 ? null : Errors.exception(events.failedCall(index), errno);
    }

    /**
     * False when the registration this event belongs to was deregistered or closed after the
     * poll returned, for instance by a callback that handled an earlier event of the same batch.
     * Such an event must be skipped: its fd number may already belong to something else.
     *
     * @return whether the event may be handled
     */
    public boolean isValid() {
        return events.isCurrent(index);
    }

    @Override
    public String toString() {
        return "Event[fd=" + fd() + (isReadable() ? " readable" : "") + (isWritable() ? " writable" : "")
                + (isReadClosed() ? " read-closed" : "") + (isWriteClosed() ? " write-closed" : "")
                + (isError() ? " error" : "") + "]";
    }
}
