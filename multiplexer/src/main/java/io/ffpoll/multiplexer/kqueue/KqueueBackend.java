package io.ffpoll.multiplexer.kqueue;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.bsd.KeventAbi;
import io.ffpoll.bindings.bsd.KeventCalls;
import io.ffpoll.multiplexer.backend.Backend;
import io.ffpoll.multiplexer.backend.EventBuffer;
import io.ffpoll.multiplexer.backend.WakeupLatch;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The kqueue backend (macOS, FreeBSD; libkqueue on Linux for testing). Queued registrations
 * become a change list that {@link #poll} hands to the same {@code kevent()} call that waits:
 * one syscall per poll. Each fd gets EVFILT_READ and EVFILT_WRITE once, with {@code EV_CLEAR}
 * (edge-triggered, like the epoll backend); interest is filtered in user space
 * ({@link io.ffpoll.multiplexer.backend.Registrations}), so changing it costs nothing.
 *
 * <p>A change that fails comes back as an {@code EV_ERROR} entry in the event list; the event
 * list has room for one per change on top of the caller's capacity, because a kernel that runs
 * out of room for an error entry stops applying the rest of the change list (FreeBSD and XNU
 * {@code kern_event.c}: {@code if (nevents == 0) return (error)}; XNU likewise breaks out).
 * Both return at once when they wrote an error entry, without waiting; the failure is then
 * delivered for its own fd as a registration failure.
 *
 * <p>Each kevent carries {@code generation << 32 | fd} in udata, so events of an earlier
 * registration of a reused fd number are recognised and dropped.
 */
public final class KqueueBackend extends Backend {
    private static final long WAKE_UDATA = -1L;
    // Deletions' errors (ENOENT: the fd was closed, and the kernel dropped its knotes) are expected.
    private static final long DELETE_UDATA = -2L;
    private static final int ADD = KeventAbi.EV_ADD | KeventAbi.EV_CLEAR;

    private final KeventCalls calls;
    private final KeventAbi abi;
    private final Arena arena = Arena.ofShared();
    private final int kq;
    private final MemorySegment wakeChange;
    private final MemorySegment deleteNow;
    private final MemorySegment timeout;
    private final WakeupLatch latch = new WakeupLatch();
    private final WakeupLatch.Signal signal;
    private MemorySegment changeList;
    private int changeCapacity;
    private MemorySegment eventList;
    private int eventCapacity;

    public KqueueBackend(KeventCalls calls) throws IOException {
        this.calls = calls;
        this.abi = calls.abi();
        int q = calls.kqueue();
        if (q < 0) {
            arena.close();
            throw Errors.exception("kqueue() [" + calls.name() + "]", -q);
        }
        kq = q;
        wakeChange = abi.allocate(arena, 1);
        deleteNow = abi.allocate(arena, 2);
        timeout = arena.allocate(16, 8); // struct timespec: time_t and long, 64-bit on every target
        changeList = abi.allocate(arena, 64);
        changeCapacity = 64;
        abi.set(wakeChange, 0, 0, abi.evfiltUser, ADD, 0, 0, WAKE_UDATA);
        int r = calls.kevent(kq, wakeChange, 1, MemorySegment.NULL, 0, MemorySegment.NULL, null);
        if (r < 0) {
            calls.close(kq);
            arena.close();
            throw Errors.exception("kevent(EV_ADD, EVFILT_USER) [" + calls.name() + "]", -r);
        }
        // The trigger repeats the udata: a change to an existing knote replaces its udata.
        abi.set(wakeChange, 0, 0, abi.evfiltUser, 0, KeventAbi.NOTE_TRIGGER, 0, WAKE_UDATA);
        MemorySegment wakeState = Errno.allocateState(arena);
        signal = () -> calls.kevent(kq, wakeChange, 1, MemorySegment.NULL, 0, MemorySegment.NULL, wakeState);
    }

    @Override
    public String name() {
        return "kqueue";
    }

    /** What implements kevent here, e.g. {@code "kqueue (libc)"}. */
    public String implementation() {
        return calls.name();
    }

    @Override
    public void deregisterAndClose(int fd) throws IOException {
        ensureOpen();
        checkFd(fd);
        if (!calls.closeRemovesRegistrations() && regs.isInKernel(fd)) {
            // libkqueue keeps the knotes of a closed fd, which a reused number would inherit.
            abi.set(deleteNow, 0, fd, abi.evfiltRead, KeventAbi.EV_DELETE, 0, 0, DELETE_UDATA);
            abi.set(deleteNow, 1, fd, abi.evfiltWrite, KeventAbi.EV_DELETE, 0, 0, DELETE_UDATA);
            calls.kevent(kq, deleteNow, regs.isShared(fd) ? 1 : 2, MemorySegment.NULL, 0, MemorySegment.NULL, null);
        }
        regs.forget(fd);
        // Never retried: the fd is released even when close reports EINTR.
        Errors.check(calls.close(fd), "close(" + fd + ")");
    }

    @Override
    public int poll(EventBuffer events, long timeoutNanos) throws IOException {
        ensureOpen();
        events.clear(this);
        regs.beginBatch();
        int nchanges = queueChanges();
        if (nchanges > 0 && !calls.returnsChangeErrorsAtOnce()) {
            applyWithReceipts(nchanges, events);
            nchanges = 0;
        }
        int room = regs.deliverOwedFirst(events);
        int nevents = room + nchanges;
        if (nevents == 0) {
            return events.size(); // owed events filled the buffer: the kernel's wait comes first next time
        }
        if (nevents > eventCapacity) {
            eventList = abi.allocate(arena, nevents);
            eventCapacity = nevents;
        }
        boolean wait = timeoutNanos != 0 && events.size() == 0 && !regs.hasDeliveries();
        boolean blocking = wait && latch.prepareToBlock();
        int n = calls.kevent(kq, changeList, nchanges, eventList, nevents, timespec(blocking ? timeoutNanos : 0), null);
        if (blocking) {
            latch.blocked();
        }
        if (n < 0) {
            // EINTR comes from the wait, after the changes were applied.
            if (n != -Err.EINTR) {
                throw Errors.exception("kevent(kq " + kq + ", " + nchanges + " changes) [" + calls.name() + "]", -n);
            }
            n = 0;
        }
        for (int i = 0; i < n; i++) {
            take(i, events);
        }
        regs.deliverPending(events);
        return events.size();
    }

    /** Turns the queued registrations into kevents in {@link #changeList}; returns how many. */
    private int queueChanges() {
        int n = regs.changeCount();
        int k = 0;
        for (int i = 0; i < n; i++) {
            int fd = regs.change(i);
            if (k + 2 > changeCapacity) {
                growChanges(k + 2);
            }
            boolean shared = regs.isShared(fd);
            if (regs.isPendingAdd(fd)) {
                // A knote still in the kernel (deregistered, re-registered before the next poll)
                // is modified by EV_ADD: the udata is replaced by the new generation. libkqueue
                // may hold a stale knote of a closed file under this number, which a modify
                // would keep: there it is deleted and added afresh.
                if (regs.isInKernel(fd) && !calls.closeRemovesRegistrations()) {
                    if (k + 4 > changeCapacity) {
                        growChanges(k + 4);
                    }
                    abi.set(changeList, k++, fd, abi.evfiltRead, KeventAbi.EV_DELETE, 0, 0, DELETE_UDATA);
                    abi.set(changeList, k++, fd, abi.evfiltWrite, KeventAbi.EV_DELETE, 0, 0, DELETE_UDATA);
                }
                long udata = ((long) regs.generation(fd) << 32) | fd;
                abi.set(changeList, k++, fd, abi.evfiltRead, ADD, 0, 0, udata);
                if (!shared) {
                    abi.set(changeList, k++, fd, abi.evfiltWrite, ADD, 0, 0, udata);
                } else if (regs.isInKernel(fd)) {
                    // A shared file waits for reads only (accepting); drop an older write knote.
                    abi.set(changeList, k++, fd, abi.evfiltWrite, KeventAbi.EV_DELETE, 0, 0, DELETE_UDATA);
                }
                regs.added(fd);
            } else if (regs.isPendingDelete(fd)) {
                abi.set(changeList, k++, fd, abi.evfiltRead, KeventAbi.EV_DELETE, 0, 0, DELETE_UDATA);
                if (!shared) {
                    abi.set(changeList, k++, fd, abi.evfiltWrite, KeventAbi.EV_DELETE, 0, 0, DELETE_UDATA);
                }
                regs.deleted(fd);
            }
        }
        regs.clearChanges();
        return k;
    }

    private void growChanges(int needed) {
        int capacity = Math.max(needed, changeCapacity * 2);
        MemorySegment bigger = abi.allocate(arena, capacity);
        bigger.copyFrom(changeList);
        changeList = bigger;
        changeCapacity = capacity;
    }

    /**
     * For libkqueue, which drops the error entries of a call whose wait times out: the changes
     * go first in a call of their own, each with EV_RECEIPT, into an event list they fill
     * exactly, which returns at once with one entry per change (data 0 or the errno).
     */
    private void applyWithReceipts(int nchanges, EventBuffer events) throws IOException {
        for (int i = 0; i < nchanges; i++) {
            abi.addFlags(changeList, i, KeventAbi.EV_RECEIPT);
        }
        if (nchanges > eventCapacity) {
            eventList = abi.allocate(arena, nchanges);
            eventCapacity = nchanges;
        }
        int n = calls.kevent(kq, changeList, nchanges, eventList, nchanges, timespec(0), null);
        if (n < 0) {
            throw Errors.exception("kevent(kq " + kq + ", " + nchanges + " changes, EV_RECEIPT) [" + calls.name() + "]", -n);
        }
        for (int i = 0; i < n; i++) {
            take(i, events);
        }
    }

    /** Applies entry {@code i} of the event list: a readiness event, a failed change or the wakeup. */
    private void take(int i, EventBuffer events) {
        short filter = abi.filter(eventList, i);
        if (filter == abi.evfiltUser) {
            return;
        }
        long udata = abi.udata(eventList, i);
        int fd = (int) udata;
        int generation = (int) (udata >>> 32);
        int flags = abi.flags(eventList, i);
        if ((flags & KeventAbi.EV_ERROR) != 0) {
            int errno = (int) abi.data(eventList, i);
            if (errno != 0 && udata != DELETE_UDATA && regs.isCurrent(fd, generation)) {
                String which = filter == abi.evfiltRead ? "EVFILT_READ" : "EVFILT_WRITE";
                regs.addFailed(fd, errno, "kevent(EV_ADD, " + which + ", fd " + fd + ")");
            }
            return;
        }
        int ready;
        if (filter == abi.evfiltRead) {
            ready = EventBuffer.READ | ((flags & KeventAbi.EV_EOF) != 0 ? EventBuffer.READ_CLOSED : 0);
        } else if (filter == abi.evfiltWrite) {
            ready = EventBuffer.WRITE | ((flags & KeventAbi.EV_EOF) != 0 ? EventBuffer.WRITE_CLOSED : 0);
        } else {
            return;
        }
        // With EV_EOF, fflags holds the socket's pending error (ECONNRESET, say), if any.
        if ((flags & KeventAbi.EV_EOF) != 0 && abi.fflags(eventList, i) != 0) {
            ready |= EventBuffer.ERROR;
        }
        regs.kernelEvent(fd, generation, ready, events);
    }

    /** The timeout for kevent: NULL waits without limit; kevent takes nanoseconds, so no rounding. */
    private MemorySegment timespec(long nanos) {
        if (nanos < 0) {
            return MemorySegment.NULL;
        }
        timeout.set(ValueLayout.JAVA_LONG, 0, nanos / 1_000_000_000L);
        timeout.set(ValueLayout.JAVA_LONG, 8, nanos % 1_000_000_000L);
        return timeout;
    }

    @Override
    public long wakeupsSignalled() {
        return latch.signalled();
    }

    @Override
    public void wakeup() {
        latch.wake(signal);
    }

    @Override
    public boolean memoryReleased() {
        return !wakeChange.scope().isAlive();
    }

    @Override
    public void close() throws IOException {
        if (!open) {
            return;
        }
        open = false;
        latch.close();
        int r = calls.close(kq);
        arena.close();
        Errors.check(r, "close(kqueue " + kq + ")");
    }
}
