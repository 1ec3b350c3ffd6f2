package io.ffpoll.multiplexer.uring;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.linux.Epoll;
import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.EventFd;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.linux.IoUringAbi;
import io.ffpoll.bindings.linux.Sockets;
import io.ffpoll.multiplexer.backend.Backend;
import io.ffpoll.multiplexer.backend.EventBuffer;
import io.ffpoll.multiplexer.backend.WakeupLatch;
import io.ffpoll.multiplexer.epoll.EpollBackend;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The io_uring backend (Linux >= 5.13): readiness from multishot {@code IORING_OP_POLL_ADD}, one
 * per fd for both directions, posted to the completion ring, with every change of the
 * iteration submitted and the wait done in the SAME {@code io_uring_enter} (the timeout is its
 * EXT_ARG). Registering, re-registering and removing an fd cost no syscall of their own, where
 * epoll pays an {@code epoll_ctl} for each: steady state is exactly one enter per poll.
 *
 * <p>A multishot poll posts a completion on every wakeup of the file's wait queue, as
 * {@code EPOLLET} reports an edge: readiness is remembered in user space as on epoll. The kernel
 * ends a multishot poll it cannot keep (a completion it had no room for): the backend arms it
 * again, and readiness is not lost because a new poll reports the current state first.
 *
 * <p>The ring is SINGLE_ISSUER with DEFER_TASKRUN where the kernel has them (6.1): the first
 * thread that polls owns the ring, and a poll from any other thread throws
 * {@link IllegalStateException}. An {@link io.ffpoll.multiplexer.EventLoop} only ever polls
 * from its own thread. {@link #wakeup()} writes an eventfd that the ring watches with a
 * multishot poll of its own.
 *
 * <p>A poll holds a reference to its file: {@link #deregisterAndClose} cancels it in an enter of
 * its own before the close, so the socket is gone when the call returns, as on epoll (one
 * syscall more per close). A socket with a send in flight goes when that send's cancel completes.
 */
public final class IoUringBackend extends Backend {
    private static final long WAKEUP_DATA = -1L;  // fd bits 0xFFFFFFFF: no fd has that number
    private static final long REMOVE_DATA = -2L;
    private static final long NONE = -1L;
    private static final int POLL_MASK = IoUringAbi.POLLIN | IoUringAbi.POLLOUT | IoUringAbi.POLLRDHUP;
    // A listening socket other loops also watch: one of the waiting polls wakes per connection.
    private static final int SHARED_MASK = IoUringAbi.POLLIN | Epoll.EPOLLEXCLUSIVE;
    private static final int SQ_ENTRIES = 256;
    private static final int CQ_ENTRIES = 4096;

    private final Ring ring;
    private final Arena arena = Arena.ofShared();
    private final int eventFd;
    private final WakeupLatch latch = new WakeupLatch();
    private final WakeupLatch.Signal signal;
    private long[] armed = new long[256]; // the user_data of fd's poll in the ring, or NONE
    private boolean wakeupArmed;
    private final SendSlots sends = new SendSlots();

    /**
     * Sets up the ring and checks the opcodes the backend needs.
     *
     * @throws IOException naming the call and errno where io_uring is unavailable (EPERM under a
     *     seccomp filter or {@code kernel.io_uring_disabled}, ENOSYS where the kernel has none), or
     *     saying which feature this kernel lacks
     */
    public IoUringBackend() throws IOException {
        Ring r = Ring.open(SQ_ENTRIES, CQ_ENTRIES);
        int efd;
        try {
            int[] missing = r.unsupported(IoUringAbi.IORING_OP_POLL_ADD, IoUringAbi.IORING_OP_SENDMSG,
                    IoUringAbi.IORING_OP_ASYNC_CANCEL);
            if (missing.length > 0) {
                throw new IOException("io_uring: this kernel lacks opcode(s) " + Arrays.toString(missing)
                        + " (POLL_ADD is 6, SENDMSG 9, ASYNC_CANCEL 14)");
            }
            efd = EventFd.eventfd(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC);
            Errors.check(efd, "eventfd(0, EFD_NONBLOCK|EFD_CLOEXEC)");
        } catch (IOException | RuntimeException e) {
            r.close();
            arena.close();
            throw e;
        }
        ring = r;
        eventFd = efd;
        Arrays.fill(armed, NONE);
        // As on epoll: the counter is never read; every write is a new wakeup of the eventfd's
        // wait queue, so a multishot poll posts one completion per write.
        MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        MemorySegment wakeState = Errno.allocateState(arena);
        signal = () -> EventFd.eventfd_write(eventFd, one, wakeState);
    }

    @Override
    public String name() {
        return "io_uring";
    }

    /** The ring's setup flags (IORING_SETUP_*), for tests and logs. */
    public int setupFlags() {
        return ring.setupFlags();
    }

    /** Whether each enter uses a registered ring fd (set on the first poll). */
    public boolean registeredRing() {
        return ring.registeredRing();
    }

    private long[] armed(int fd) {
        if (fd >= armed.length) {
            int old = armed.length;
            armed = Arrays.copyOf(armed, Math.max(old * 2, fd + 1));
            Arrays.fill(armed, old, armed.length, NONE);
        }
        return armed;
    }

    @Override
    public void deregisterAndClose(int fd) throws IOException {
        ensureOpen();
        checkFd(fd);
        // A SENDMSG still in the SQ names the fd by number: submitted after the close, it would
        // go to whatever socket takes the number next. So it goes before the close too.
        if (armed(fd)[fd] != NONE || ring.unsubmitted() > 0) {
            disarm(fd);
            // The poll holds the file: until the ring drops it, a closed listener would still
            // take connections and a closed socket would send no FIN. So the cancel goes now,
            // in an enter of its own whose task work drops it, not with the next poll's.
            ring.enter(0, 1, 0);
        }
        regs.forget(fd);
        // Never retried: Linux has released the fd even when close reports EINTR.
        Errors.check(Fd.close(fd), "close(" + fd + ")");
    }

    private void disarm(int fd) throws IOException {
        long data = armed(fd)[fd];
        if (data != NONE) {
            // ASYNC_CANCEL, not POLL_REMOVE: a poll whose wakeup is being handled (a socket that
            // data keeps arriving on) refuses POLL_REMOVE with EALREADY and stays armed, holding
            // its closed socket open; a cancel marks it and it ends at its next check.
            ring.prepare(IoUringAbi.IORING_OP_ASYNC_CANCEL, -1, data, 0, 0, 0, REMOVE_DATA);
            armed[fd] = NONE;
        }
    }

    private void arm(int fd) throws IOException {
        // 30 bits of generation: bit 62 tags sends. A clash after 2^30 registrations of one fd
        // number is harmless: armed[] says which poll is current.
        long data = ((long) (regs.generation(fd) & 0x3FFF_FFFF) << 32) | (fd & 0xFFFF_FFFFL);
        int mask = regs.isShared(fd) ? SHARED_MASK : POLL_MASK;
        ring.prepare(IoUringAbi.IORING_OP_POLL_ADD, fd, 0, IoUringAbi.IORING_POLL_ADD_MULTI, 0, mask, data);
        armed(fd)[fd] = data;
    }

    @Override
    public int poll(EventBuffer events, long timeoutNanos) throws IOException {
        ensureOpen();
        events.clear(this);
        regs.beginBatch();
        if (!wakeupArmed) {
            ring.prepare(IoUringAbi.IORING_OP_POLL_ADD, eventFd, 0, IoUringAbi.IORING_POLL_ADD_MULTI, 0,
                    IoUringAbi.POLLIN, WAKEUP_DATA);
            wakeupArmed = true;
        }
        applyChanges();
        int room = regs.deliverOwedFirst(events);
        if (room == 0) {
            return events.size(); // owed events filled the buffer; the changes wait in the SQ
        }
        // Completions already posted and nothing to submit: no enter is needed to see them.
        if (ring.ready() == 0 || ring.unsubmitted() > 0) {
            boolean mayBlock = timeoutNanos != 0 && events.size() == 0 && !regs.hasDeliveries() && ring.ready() == 0;
            boolean blocking = mayBlock && latch.prepareToBlock();
            // GETEVENTS even when not waiting: under DEFER_TASKRUN it is what runs the pending
            // completions' task work and posts them.
            ring.enter(blocking ? 1 : 0, 1, blocking ? timeoutNanos : 0);
            if (blocking) {
                latch.blocked();
            }
        }
        reap(events);
        regs.deliverPending(events);
        return events.size();
    }

    private void applyChanges() throws IOException {
        int n = regs.changeCount();
        for (int i = 0; i < n; i++) {
            int fd = regs.change(i);
            if (regs.isPendingAdd(fd)) {
                // Registered again before its removal reached the ring: the old poll goes first.
                disarm(fd);
                arm(fd);
                regs.added(fd);
            } else if (regs.isPendingDelete(fd)) {
                disarm(fd);
                regs.deleted(fd);
            }
        }
        regs.clearChanges();
    }

    private void reap(EventBuffer events) throws IOException {
        int n = ring.ready();
        for (int i = 0; i < n; i++) {
            long data = ring.userData(i);
            int res = ring.res(i);
            boolean more = (ring.cqeFlags(i) & IoUringAbi.IORING_CQE_F_MORE) != 0;
            if (data == WAKEUP_DATA) {
                wakeupArmed &= more;
            } else if (SendSlots.isSend(data)) {
                sends.completed(data, res);
            } else if (data != REMOVE_DATA) {
                completed(data, res, more, events);
            }
        }
        ring.advance(n);
    }

    private void completed(long data, int res, boolean more, EventBuffer events) throws IOException {
        int fd = (int) data;
        // armed[] holds the poll of fd's current registration, if any: any other is one removed.
        if (fd >= armed.length || armed[fd] != data || !regs.isRegistered(fd) || regs.isPendingAdd(fd)) {
            return; // the end of a removed poll (ECANCELED, ENOENT), or an edge it posted first
        }
        if (res < 0) {
            armed[fd] = NONE;
            regs.addFailed(fd, -res, "io_uring_enter(IORING_OP_POLL_ADD, fd " + fd + ")");
            return;
        }
        regs.kernelEvent(fd, regs.generation(fd), EpollBackend.toReady(res), events);
        if (!more) {
            arm(fd); // the kernel ended the multishot (a completion it had no room for)
        }
    }

    // -Dffpoll.uring.sends=false keeps sends as syscalls on readiness, as on epoll: for A/B runs.
    private static final boolean RING_SENDS = !"false".equals(System.getProperty("ffpoll.uring.sends"));

    @Override
    public boolean completesSends() {
        return RING_SENDS;
    }

    @Override
    public long sendmsg(int fd, MemorySegment msghdr, SendCompletion done) throws IOException {
        ensureOpen();
        checkFd(fd);
        long handle = sends.take(done);
        try {
            ring.prepare(IoUringAbi.IORING_OP_SENDMSG, fd, msghdr.address(), 1, 0, Sockets.MSG_NOSIGNAL,
                    SendSlots.userData(handle));
        } catch (IOException | RuntimeException e) {
            sends.release(handle);
            throw e;
        }
        return handle;
    }

    @Override
    public void cancelSend(long handle) throws IOException {
        ensureOpen();
        // A send whose completion is reaped already (its report waits for runCompletions) has
        // nothing to cancel, and its slot may hold another connection's send by now.
        if (sends.isInFlight(handle)) {
            ring.prepare(IoUringAbi.IORING_OP_ASYNC_CANCEL, -1, SendSlots.userData(handle), 0, 0, 0, REMOVE_DATA);
        }
    }

    @Override
    public int sendsInFlight() {
        return sends.inFlight();
    }

    @Override
    public void quiesceSends() throws IOException {
        ensureOpen();
        if (sends.inFlight() > 0) {
            for (int slot = 0; slot < sends.used(); slot++) {
                if (sends.taken(slot)) {
                    cancelSend(sends.handle(slot));
                }
            }
            // A cancel completes at once or after the send it found; the wait is bounded all the
            // same, and the caller then leaves the memory to the process instead of freeing it.
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (sends.inFlight() > 0) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("io_uring: " + sends.inFlight() + " cancelled sends never completed");
                }
                ring.enter(1, 1, 100_000_000L);
                reapSendsOnly();
            }
        }
        runCompletions();
    }

    /** Reaps while quiescing: readiness is of no use to a closing loop, sends are all that count. */
    private void reapSendsOnly() {
        int n = ring.ready();
        for (int i = 0; i < n; i++) {
            long data = ring.userData(i);
            if (SendSlots.isSend(data)) {
                sends.completed(data, ring.res(i));
            } else if (data == WAKEUP_DATA) {
                wakeupArmed &= (ring.cqeFlags(i) & IoUringAbi.IORING_CQE_F_MORE) != 0;
            }
        }
        ring.advance(n);
    }

    @Override
    public int runCompletions() {
        return sends.run();
    }

    @Override
    public void wakeup() {
        latch.wake(signal);
    }

    @Override
    public boolean memoryReleased() {
        return ring.isClosed() && !arena.scope().isAlive();
    }

    @Override
    public void close() throws IOException {
        if (!open) {
            return;
        }
        open = false;
        latch.close();
        IOException failure = null;
        try {
            // Each armed poll holds its file: fds closed by now (a closing loop closes all of
            // its own) are only released when their polls go. The ring's teardown would cancel
            // them too, but later, in a kernel worker: a closed listener would still take
            // connections meanwhile. So the owner removes them here and runs the completions.
            if (ring.owner() == Thread.currentThread()) {
                if (sends.inFlight() > 0) {
                    open = true; // quiesceSends checks it
                    try {
                        quiesceSends();
                    } finally {
                        open = false;
                    }
                }
                for (int fd = 0; fd < armed.length; fd++) {
                    disarm(fd);
                }
                ring.enter(0, 1, 0);
            }
        } catch (IOException e) {
            failure = e;
        }
        try {
            ring.close(); // cancels every poll still armed
        } catch (IOException e) {
            failure = failure == null ? e : failure;
        }
        int r = Fd.close(eventFd);
        arena.close();
        if (failure != null) {
            throw failure;
        }
        if (r < 0 && r != -ErrnoCodes.EINTR) {
            Errors.check(r, "close(eventfd " + eventFd + ")");
        }
    }
}
