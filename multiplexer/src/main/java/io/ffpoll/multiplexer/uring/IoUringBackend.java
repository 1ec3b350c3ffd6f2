package io.ffpoll.multiplexer.uring;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.linux.IoUringAbi;
import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.multiplexer.backend.Backend;
import io.ffpoll.multiplexer.backend.EventBuffer;
import io.ffpoll.multiplexer.epoll.EventFdWakeup;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
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
 * again, and readiness is not lost because a new poll reports the current state first. A file
 * with no poll method (a regular file, /dev/null) ends its poll at once: the backend refuses it
 * with EPERM, as epoll_ctl does, where arming it again would keep the loop awake.
 *
 * <p>The connection layer also hands the backend its sockets' I/O: sends ({@link #send}, see
 * {@link SendSlots}) and, from Linux 5.19, reads ({@link #receiveInto}, see {@link Receives})
 * and a listener's accepts ({@link #acceptFor}, see {@link Accepts}), whose poll then watches
 * writability only. Those SQEs go in the same enter as the rest.
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
 * {@link #deregisterAndCloseSoon}, which the connection layer uses, costs no syscall: the cancel
 * and an {@code IORING_OP_CLOSE} go with the next poll's enter.
 */
public final class IoUringBackend extends Backend {
    private static final long REMOVE_DATA = Completions.REMOVE_DATA;
    private static final int SQ_ENTRIES = 256;
    private static final int CQ_ENTRIES = 4096;
    // -Dffpoll.uring.sends=false and -Dffpoll.uring.receives=false keep sends and reads as
    // syscalls on readiness, as on epoll: for A/B runs.
    private static final boolean RING_SENDS = !"false".equals(System.getProperty("ffpoll.uring.sends"));
    private static final boolean RING_RECEIVES = !"false".equals(System.getProperty("ffpoll.uring.receives"));
    private static final boolean RING_ACCEPTS = !"false".equals(System.getProperty("ffpoll.uring.accepts"));

    private final Ring ring;
    private final EventFdWakeup wakeup;
    private final Polls polls;
    private final Completions completions;
    private final SendSlots sends;
    private final Receives receives; // null where receives are off or the kernel has no buffer rings
    private final Accepts accepts;   // null where accepts are off or the kernel has no multishot accept

    /**
     * Sets up the ring and checks the opcodes the backend needs.
     *
     * @throws IOException naming the call and errno where io_uring is unavailable (EPERM under a
     *     seccomp filter or {@code kernel.io_uring_disabled}, ENOSYS where the kernel has none), or
     *     saying which feature this kernel lacks
     */
    public IoUringBackend() throws IOException {
        Ring r = RingSetup.open(SQ_ENTRIES, CQ_ENTRIES);
        EventFdWakeup w = null;
        boolean ringAccepts;
        long zeroCopyMin;
        Receives recv = null;
        try {
            int[] missing = r.unsupported(IoUringAbi.IORING_OP_POLL_ADD, IoUringAbi.IORING_OP_SENDMSG,
                    IoUringAbi.IORING_OP_ASYNC_CANCEL, IoUringAbi.IORING_OP_SEND, IoUringAbi.IORING_OP_CLOSE);
            if (missing.length > 0) {
                throw new IOException("io_uring: this kernel lacks opcode(s) " + Arrays.toString(missing)
                        + " (POLL_ADD is 6, SENDMSG 9, ASYNC_CANCEL 14, CLOSE 19, SEND 26)");
            }
            if (RING_RECEIVES && r.unsupported(IoUringAbi.IORING_OP_RECV).length == 0) {
                try {
                    // Per loop, read when it is made: 256 buffers of 16 KiB by default, 4 MiB.
                    recv = new Receives(r, regs, REMOVE_DATA, Integer.getInteger("ffpoll.uring.receiveBuffers", 256),
                            Integer.getInteger("ffpoll.uring.receiveBufferSize", 16 * 1024),
                            Boolean.getBoolean("ffpoll.uring.multishotReceives") && RingSetup.kernelAtLeast(6, 0));
                } catch (IOException e) {
                    recv = null; // no provided buffer rings (Linux < 5.19): reads stay syscalls
                }
            }
            // A multishot poll posts one completion per write of the eventfd.
            w = new EventFdWakeup();
            ringAccepts = RING_ACCEPTS && r.unsupported(IoUringAbi.IORING_OP_ACCEPT).length == 0
                    && RingSetup.kernelAtLeast(5, 19);
            zeroCopyMin = SendSlots.zeroCopyMin(r);
        } catch (IOException | RuntimeException e) {
            if (recv != null) {
                recv.quiesced();
            }
            r.close();
            throw e;
        }
        ring = r;
        sends = new SendSlots(r, REMOVE_DATA, zeroCopyMin);
        receives = recv;
        accepts = ringAccepts ? new Accepts(r, regs, REMOVE_DATA) : null;
        wakeup = w;
        polls = new Polls(r, regs, recv, accepts, REMOVE_DATA);
        completions = new Completions(r, polls, sends, recv, accepts);
    }

    @Override
    public String name() {
        return "io_uring";
    }

    /** The ring's setup flags (IORING_SETUP_*), for tests and logs. */
    public int setupFlags() {
        return ring.setupFlags();
    }

    @Override
    public Thread boundTo() {
        return ring.owner();
    }

    /** Whether each enter uses a registered ring fd (set on the first poll). */
    public boolean registeredRing() {
        return ring.registeredRing();
    }

    @Override
    public void deregisterAndClose(int fd) throws IOException {
        ensureOpen();
        checkFd(fd);
        disarm(fd); // also gives a received buffer not yet read back to the ring
        // The poll (and a receive) holds the file: until the ring drops it, a closed listener
        // would still take connections and a closed socket would send no FIN. So the cancel goes
        // now, in an enter of its own whose task work drops it, not with the next poll's. A send
        // still in the SQ names the fd by number: submitted after the close, it would go to
        // whatever socket takes the number next, so it goes before the close too.
        if (ring.unsubmitted() > 0) {
            ring.enter(0, 1, 0);
        }
        regs.forget(fd);
        if (ring.unsubmitted() > 0) {
            // The kernel took none or not all of them (EBUSY, EAGAIN: its CQ is full, or it is
            // short of memory). Closed now, the number could be taken by the next socket
            // opened while a send or cancel queued for it is not yet submitted: the close goes
            // behind them instead, in the next poll's enter.
            ring.prepare(IoUringAbi.IORING_OP_CLOSE, fd, 0, 0, 0, 0, Completions.CLOSE_DATA);
            return;
        }
        // Never retried: Linux has released the fd even when close reports EINTR.
        Errors.check(Fd.close(fd), "close(" + fd + ")");
    }

    @Override
    public void deregisterAndCloseSoon(int fd) throws IOException {
        ensureOpen();
        checkFd(fd);
        disarm(fd);
        regs.forget(fd);
        // The close goes after the cancels of the fd's poll and receive (and after a send still
        // queued, which names the fd by number), in the same enter. For a socket it runs inline:
        // IORING_OP_CLOSE defers to a worker only a file with a flush method, and sockets have
        // none. The file goes, with its FIN, when the cancels' task work in that enter drops the
        // ring's last reference. Until that enter the fd stays open, so its number is not reused.
        ring.prepare(IoUringAbi.IORING_OP_CLOSE, fd, 0, 0, 0, 0, Completions.CLOSE_DATA);
    }

    private void disarm(int fd) throws IOException {
        if (receives != null) {
            receives.stop(fd);
        }
        if (accepts != null) {
            accepts.stop(fd);
        }
        polls.disarm(fd);
    }

    @Override
    public int poll(EventBuffer events, long timeoutNanos) throws IOException {
        ensureOpen();
        events.clear(this);
        regs.beginBatch();
        if (!completions.wakeupArmed()) {
            ring.prepare(IoUringAbi.IORING_OP_POLL_ADD, wakeup.fd(), 0, IoUringAbi.IORING_POLL_ADD_MULTI, 0,
                    IoUringAbi.POLLIN, Completions.WAKEUP_DATA);
            completions.wakeupArmedNow();
        }
        applyChanges();
        if (receives != null || accepts != null) {
            polls.remask();
        }
        if (receives != null) {
            receives.armQueued();
        }
        if (accepts != null) {
            accepts.update();
        }
        int room = regs.deliverOwedFirst(events);
        if (room == 0) {
            return events.size(); // owed events filled the buffer; the changes wait in the SQ
        }
        // Completions already posted and nothing to submit: no enter is needed to see them.
        if (ring.ready() == 0 || ring.unsubmitted() > 0) {
            boolean mayBlock = timeoutNanos != 0 && events.size() == 0 && !regs.hasDeliveries() && ring.ready() == 0;
            boolean blocking = mayBlock && wakeup.prepareToBlock();
            // GETEVENTS even when not waiting: under DEFER_TASKRUN it is what runs the pending
            // completions' task work and posts them.
            ring.enter(blocking ? 1 : 0, 1, blocking ? timeoutNanos : 0);
            if (blocking) {
                wakeup.blocked();
            }
        }
        completions.reap(events);
        regs.deliverPending(events);
        return events.size();
    }

    private void applyChanges() throws IOException {
        int n = regs.changeCount();
        for (int i = 0; i < n; i++) {
            int fd = regs.change(i);
            if (regs.isPendingAdd(fd)) {
                // Registered again before its removal reached the ring: the old poll goes first.
                // (An accept left from the old registration goes in Accepts.update.)
                if (receives != null) {
                    receives.stop(fd);
                }
                polls.disarm(fd);
                polls.arm(fd);
                regs.added(fd);
            } else if (regs.isPendingDelete(fd)) {
                disarm(fd);
                regs.deleted(fd);
            }
        }
        regs.clearChanges();
    }

    @Override
    public boolean completesSends() {
        return RING_SENDS;
    }

    @Override
    public long send(int fd, Gather gather, int count, SendCompletion done) throws IOException {
        ensureOpen();
        checkFd(fd);
        return sends.send(fd, gather, count, done);
    }

    @Override
    public void cancelSend(long handle) throws IOException {
        ensureOpen();
        sends.cancel(handle);
    }

    @Override
    public int sendsInFlight() {
        return sends.inFlight();
    }

    /**
     * Zero-copy sends made, and those the kernel copied after all (its notification said so),
     * for tests and benchmarks: {@code -Dffpoll.uring.zeroCopySends}.
     */
    public long[] zeroCopySends() {
        return sends.zeroCopyCounts();
    }

    @Override
    public void quiesceSends() throws IOException {
        ensureOpen();
        if (sends.inFlight() > 0) {
            sends.cancelAll();
            completions.await(sends::inFlight, "sends");
        }
        runCompletions();
    }

    @Override
    public boolean completesReceives() {
        return receives != null;
    }

    @Override
    public void receiveInto(int fd) {
        checkRingTakes(fd, receives, "io_uring: receives are off (-Dffpoll.uring.receives=false)"
                + " or this kernel has no provided buffer rings (Linux < 5.19)");
        receives.start(fd);
        polls.remaskLater(fd);
    }

    /** What {@link #receiveInto} and {@link #acceptFor} check before the ring takes {@code fd}'s input. */
    private void checkRingTakes(int fd, Object side, String whyNot) {
        ensureOpen();
        checkFd(fd);
        if (side == null) {
            throw new UnsupportedOperationException(whyNot);
        }
        if (!regs.isRegistered(fd)) {
            throw new IllegalArgumentException("fd " + fd + " is not registered");
        }
    }

    @Override
    public long receive(int fd, MemorySegment dst, long room) {
        ensureOpen();
        if (receives == null) {
            throw new UnsupportedOperationException("io_uring: receives are off");
        }
        return receives.take(fd, dst, room);
    }

    @Override
    public MemorySegment lendReceived(int fd) {
        ensureOpen();
        return receives == null ? null : receives.lend(fd);
    }

    @Override
    public void giveBackReceived(MemorySegment lent) {
        receives.giveBackLent(lent);
    }

    @Override
    public boolean completesAccepts() {
        return accepts != null;
    }

    @Override
    public void acceptFor(int fd) throws IOException {
        checkRingTakes(fd, accepts, "io_uring: accepts are off (-Dffpoll.uring.accepts=false)"
                + " or this kernel has no multishot accept (Linux < 5.19)");
        accepts.start(fd);
        polls.remaskLater(fd);
    }

    @Override
    public int accept(int fd) {
        ensureOpen();
        if (accepts == null) {
            throw new UnsupportedOperationException("io_uring: accepts are off");
        }
        return accepts.take(fd);
    }

    /** Connections the ring accepted for listening socket {@code fd} and nobody took yet, for tests. */
    public int acceptsHeld(int fd) {
        return accepts == null ? 0 : accepts.held(fd);
    }

    /** Receive buffers lent to readers in place so far ({@link #lendReceived}), for tests. */
    public long receiveBuffersLent() {
        return receives == null ? 0 : receives.lends();
    }

    /** Receive SQEs (and fallback polls) submitted so far, for tests: one per read, or one per socket when multishot. */
    public long receivesArmed() {
        return receives == null ? 0 : receives.armed();
    }

    /** Receive buffers stashed for sockets and not yet emptied by their readers, for tests. */
    public int receiveBuffersHeld() {
        return receives == null ? 0 : receives.held();
    }

    @Override
    public int runCompletions() {
        return sends.run();
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
        return ring.isClosed() && wakeup.isClosed() && (receives == null || receives.memoryReleased());
    }

    @Override
    public void close() throws IOException {
        if (!open) {
            return;
        }
        open = false;
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
                for (int fd = 0; fd < polls.size(); fd++) {
                    disarm(fd);
                }
                ring.enter(0, 1, 0);
                if (accepts != null) {
                    // An fd accepted before the cancel comes in a completion: closed when reaped.
                    completions.await(accepts::outstanding, "accepts");
                }
                if (receives != null) {
                    // A receive writes into its buffer until its completion: the buffers are
                    // freed only once every cancelled receive has come back.
                    completions.await(receives::outstanding, "receives");
                }
            }
        } catch (IOException e) {
            failure = e;
        }
        // Closes left for a poll that never came (closed from another thread than the ring's,
        // or its last enter failed): done here, as the caller was promised.
        for (int fd : ring.unsubmittedFds(IoUringAbi.IORING_OP_CLOSE)) {
            Fd.close(fd);
        }
        if (accepts != null) {
            // Connections the ring accepted that nobody took, held or still in the CQ (read
            // without an enter): nobody else knows of them. Accepts the kernel might finish
            // while it tears the ring down are out of reach. With DEFER_TASKRUN they run only
            // in the owner's enters, which have ended; with COOP_TASKRUN (before 6.1) the
            // owner may still run one on its way back from any syscall until the ring closes.
            try {
                completions.reap(null);
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
            accepts.closeHeld();
        }
        try {
            ring.close(); // cancels every poll still armed
        } catch (IOException e) {
            failure = failure == null ? e : failure;
        }
        try {
            wakeup.close();
        } catch (IOException e) {
            failure = failure == null ? e : failure;
        }
        polls.close();
        if (receives != null && !receives.quiesced() && failure == null) {
            // Closed by another thread than the ring's, or a receive never came back: the
            // kernel may still write into the buffers, so they stay with the process.
            failure = new IOException("io_uring: " + receives.outstanding() + " receives still in flight and "
                    + receives.lent() + " buffers still lent at close; their buffers are left to the process");
        }
        if (failure != null) {
            throw failure;
        }
    }
}
