package io.ffpoll.multiplexer.epoll;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.EventFd;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.multiplexer.backend.WakeupLatch;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The cross-thread wakeup of the Linux backends (epoll here, and io_uring, which shares it): an eventfd the backend watches
 * edge-triggered (EPOLLET; a multishot poll), behind a {@link WakeupLatch} so that a write is
 * made only when the poller is blocked or about to block. Every write is a new wakeup of the
 * eventfd's wait queue even while its counter is non-zero, so the counter is never read back
 * (it cannot overflow: that takes 2^64 - 2 writes).
 */
public final class EventFdWakeup {
    private final Arena arena = Arena.ofShared();
    private final int fd;
    private final WakeupLatch latch = new WakeupLatch();
    private final WakeupLatch.Signal signal;

    public EventFdWakeup() throws IOException {
        int efd = EventFd.eventfd(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC);
        if (efd < 0) {
            arena.close();
            throw Errors.exception("eventfd(0, EFD_NONBLOCK|EFD_CLOEXEC)", -efd);
        }
        fd = efd;
        // Wakers write from any thread (virtual ones too) with memory the poller owns. Two
        // writes at once are possible but harmless: both add 1 and their errno is not needed.
        MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        MemorySegment state = Errno.allocateState(arena);
        signal = () -> EventFd.eventfd_write(fd, one, state);
    }

    /** The eventfd, for the backend to watch for input. */
    public int fd() {
        return fd;
    }

    /** See {@link WakeupLatch#signalled()}. */
    public long signalled() {
        return latch.signalled();
    }

    /** See {@link WakeupLatch#prepareToBlock()}: the poller thread, before a blocking wait. */
    public boolean prepareToBlock() {
        return latch.prepareToBlock();
    }

    /** See {@link WakeupLatch#blocked()}: the poller thread, after the wait. */
    public void blocked() {
        latch.blocked();
    }

    /** Any thread. */
    public void wake() {
        latch.wake(signal);
    }

    public boolean isClosed() {
        return !arena.scope().isAlive();
    }

    /** Stops wakeups and closes the eventfd; once, by the backend's close. */
    public void close() throws IOException {
        latch.close();
        int r = Fd.close(fd);
        arena.close();
        // Never retried: Linux has released the fd even when close reports EINTR.
        if (r != -ErrnoCodes.EINTR) {
            Errors.check(r, "close(eventfd " + fd + ")");
        }
    }
}
