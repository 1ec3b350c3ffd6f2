package io.ffpoll.multiplexer.epoll;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.linux.Epoll;
import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.multiplexer.backend.Backend;
import io.ffpoll.multiplexer.backend.EventBuffer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The epoll backend (Linux). Each fd is added once with EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET and never
 * modified: interest is filtered in user space, and readiness the kernel reported is kept in
 * {@link io.ffpoll.multiplexer.backend.Registrations} so that enabling interest later delivers it without a syscall. Steady
 * state is one epoll_wait per poll; an epoll_ctl happens once per new fd (and once per
 * {@link #deregister} of an fd that stays open).
 *
 * <p>Each epoll_event carries {@code generation << 32 | fd}, so events of an earlier
 * registration of a reused fd number are recognised and dropped.
 */
public final class EpollBackend extends Backend {
    private static final int ADD_MASK = Epoll.EPOLLIN | Epoll.EPOLLOUT | Epoll.EPOLLRDHUP | Epoll.EPOLLET;
    // A file whose duplicates other loops also wait on (one listening socket served by several
    // loops): EPOLLEXCLUSIVE wakes one of them per event instead of all. It allows only
    // IN, OUT, WAKEUP and ET, and only with EPOLL_CTL_ADD (epoll_ctl(2)).
    private static final int SHARED_MASK = Epoll.EPOLLIN | Epoll.EPOLLEXCLUSIVE | Epoll.EPOLLET;
    private static final long WAKEUP_DATA = -1L;

    private final Arena arena = Arena.ofShared();
    private final int epfd;
    private final EventFdWakeup wakeup;
    private final MemorySegment ctlEvent;
    private MemorySegment kernelEvents;
    private int kernelCapacity;

    public EpollBackend() throws IOException {
        int ep = Epoll.epoll_create1(Epoll.EPOLL_CLOEXEC);
        if (ep < 0) {
            arena.close();
            throw Errors.exception("epoll_create1(EPOLL_CLOEXEC)", -ep);
        }
        EventFdWakeup w;
        try {
            w = new EventFdWakeup();
        } catch (IOException e) {
            Fd.close(ep);
            arena.close();
            throw e;
        }
        epfd = ep;
        wakeup = w;
        ctlEvent = Epoll.allocateEvents(arena, 1);
        Epoll.set(ctlEvent, 0, Epoll.EPOLLIN | Epoll.EPOLLET, WAKEUP_DATA);
        int r = Epoll.epoll_ctl(epfd, Epoll.EPOLL_CTL_ADD, wakeup.fd(), ctlEvent);
        if (r < 0) {
            IOException failed = Errors.exception("epoll_ctl(EPOLL_CTL_ADD, eventfd " + wakeup.fd() + ")", -r);
            try {
                wakeup.close();
            } finally {
                Fd.close(epfd);
                arena.close();
            }
            throw failed;
        }
    }

    @Override
    public String name() {
        return "epoll";
    }

    @Override
    public void deregisterAndClose(int fd) throws IOException {
        ensureOpen();
        checkFd(fd);
        if (regs.isShared(fd) && regs.isInKernel(fd)) {
            // epoll drops an entry only when the last descriptor of its file closes: while a
            // duplicate lives elsewhere, the entry would keep waking this poller.
            Epoll.epoll_ctl(epfd, Epoll.EPOLL_CTL_DEL, fd, ctlEvent);
        }
        regs.forget(fd);
        // Never retried: Linux has released the fd even when close reports EINTR.
        Errors.check(Fd.close(fd), "close(" + fd + ")");
    }

    @Override
    public int poll(EventBuffer events, long timeoutNanos) throws IOException {
        ensureOpen();
        events.clear(this);
        regs.beginBatch();
        applyChanges();
        int room = regs.deliverOwedFirst(events);
        if (room == 0) {
            return events.size(); // owed events filled the buffer: the kernel's wait comes first next time
        }
        if (room > kernelCapacity) {
            kernelEvents = Epoll.allocateEvents(arena, events.capacity());
            kernelCapacity = events.capacity();
        }
        int timeoutMillis = events.size() > 0 || regs.hasDeliveries() ? 0 : toMillis(timeoutNanos);
        boolean blocking = timeoutMillis != 0 && wakeup.prepareToBlock();
        int n = Epoll.epoll_wait(epfd, kernelEvents, room, blocking ? timeoutMillis : 0);
        if (blocking) {
            wakeup.blocked();
        }
        if (n < 0) {
            if (n != -ErrnoCodes.EINTR) {
                throw Errors.exception("epoll_wait(epfd " + epfd + ")", -n);
            }
            n = 0; // a signal: return early so the caller can recompute its timers
        }
        for (int i = 0; i < n; i++) {
            long data = Epoll.data(kernelEvents, i);
            if (data != WAKEUP_DATA) {
                regs.kernelEvent((int) data, (int) (data >>> 32), toReady(Epoll.events(kernelEvents, i)), events);
            }
        }
        regs.deliverPending(events);
        return events.size();
    }

    private void applyChanges() {
        int n = regs.changeCount();
        for (int i = 0; i < n; i++) {
            int fd = regs.change(i);
            if (regs.isPendingAdd(fd) && regs.isShared(fd)) {
                addShared(fd);
            } else if (regs.isPendingAdd(fd)) {
                Epoll.set(ctlEvent, 0, ADD_MASK, ((long) regs.generation(fd) << 32) | fd);
                // Registered again before its deregistration reached the kernel: the fd may still
                // be in the set, so MOD replaces the data (and re-reports current readiness). If
                // the fd was closed and its number reused meanwhile, the kernel dropped the old
                // file from the set: MOD finds nothing (ENOENT) and the new file needs an ADD.
                int op = regs.isInKernel(fd) ? Epoll.EPOLL_CTL_MOD : Epoll.EPOLL_CTL_ADD;
                int r = Epoll.epoll_ctl(epfd, op, fd, ctlEvent);
                if (r == -ErrnoCodes.ENOENT && op == Epoll.EPOLL_CTL_MOD) {
                    op = Epoll.EPOLL_CTL_ADD;
                    r = Epoll.epoll_ctl(epfd, op, fd, ctlEvent);
                }
                if (r < 0) {
                    regs.addFailed(fd, -r, op == Epoll.EPOLL_CTL_ADD ? "epoll_ctl(EPOLL_CTL_ADD, fd " + fd + ")"
                            : "epoll_ctl(EPOLL_CTL_MOD, fd " + fd + ")");
                } else {
                    regs.added(fd);
                }
            } else if (regs.isPendingDelete(fd)) {
                // ENOENT/EBADF mean the fd was closed meanwhile, and is out of the set already.
                Epoll.epoll_ctl(epfd, Epoll.EPOLL_CTL_DEL, fd, ctlEvent);
                regs.deleted(fd);
            }
        }
        regs.clearChanges();
    }

    /** EPOLLEXCLUSIVE cannot be MODified in: an entry still in the set is deleted and added again. */
    private void addShared(int fd) {
        Epoll.set(ctlEvent, 0, SHARED_MASK, ((long) regs.generation(fd) << 32) | fd);
        if (regs.isInKernel(fd)) {
            Epoll.epoll_ctl(epfd, Epoll.EPOLL_CTL_DEL, fd, ctlEvent);
        }
        int r = Epoll.epoll_ctl(epfd, Epoll.EPOLL_CTL_ADD, fd, ctlEvent);
        if (r < 0) {
            regs.addFailed(fd, -r, "epoll_ctl(EPOLL_CTL_ADD, fd " + fd + ", EPOLLEXCLUSIVE)");
        } else {
            regs.added(fd);
        }
    }

    /**
     * epoll's event bits as the readiness bits of {@link EventBuffer}; also poll(2)'s, which
     * share their values on Linux (the io_uring backend's polls return those).
     */
    public static int toReady(int epollEvents) {
        int ready = 0;
        if ((epollEvents & Epoll.EPOLLIN) != 0) {
            ready |= EventBuffer.READ;
        }
        if ((epollEvents & Epoll.EPOLLOUT) != 0) {
            ready |= EventBuffer.WRITE;
        }
        if ((epollEvents & Epoll.EPOLLRDHUP) != 0) {
            ready |= EventBuffer.READ | EventBuffer.READ_CLOSED;
        }
        if ((epollEvents & Epoll.EPOLLHUP) != 0) {
            ready |= EventBuffer.READ | EventBuffer.WRITE | EventBuffer.READ_CLOSED | EventBuffer.WRITE_CLOSED;
        }
        if ((epollEvents & Epoll.EPOLLERR) != 0) {
            ready |= EventBuffer.READ | EventBuffer.WRITE | EventBuffer.ERROR;
        }
        return ready;
    }

    @Override
    public long wakeupsSignalled() {
        return wakeup.signalled();
    }

    @Override
    public void wakeup() {
        wakeup.wake();
    }

    @Override
    public boolean memoryReleased() {
        return !ctlEvent.scope().isAlive() && wakeup.isClosed();
    }

    @Override
    public void close() throws IOException {
        if (!open) {
            return;
        }
        open = false;
        int r = Fd.close(epfd);
        arena.close();
        wakeup.close();
        // Never retried: Linux has released the fd even when close reports EINTR.
        if (r != -ErrnoCodes.EINTR) {
            Errors.check(r, "close(epfd " + epfd + ")");
        }
    }
}
