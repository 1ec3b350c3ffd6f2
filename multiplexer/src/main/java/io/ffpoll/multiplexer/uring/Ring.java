package io.ffpoll.multiplexer.uring;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.linux.IoUring;
import io.ffpoll.bindings.linux.IoUringAbi;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static io.ffpoll.bindings.linux.IoUringAbi.offset;

/**
 * One io_uring instance owned by one thread: the submission and completion rings mapped into
 * this process, SQEs prepared in place, and one {@code io_uring_enter} that submits what was
 * prepared and waits, with the timeout as its EXT_ARG. Not thread-safe: only the thread that
 * made it may touch it (the ring is set up SINGLE_ISSUER where the kernel has it).
 *
 * <p>Memory ordering is the kernel's ring protocol (io_uring(7)): the kernel's SQ head and CQ
 * tail are read with acquire, our SQ tail and CQ head are published with release; the other
 * two indexes are ours alone and live in fields.
 */
public final class Ring {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final StructLayout P = IoUringAbi.io_uring_params;
    private static final long SQE_SIZE = IoUringAbi.io_uring_sqe.byteSize();
    private static final long CQE_SIZE = IoUringAbi.io_uring_cqe.byteSize();
    private static final long SQE_OPCODE = offset(IoUringAbi.io_uring_sqe, "opcode");
    private static final long SQE_FLAGS = offset(IoUringAbi.io_uring_sqe, "flags");
    private static final long SQE_IOPRIO = offset(IoUringAbi.io_uring_sqe, "ioprio");
    private static final long SQE_FD = offset(IoUringAbi.io_uring_sqe, "fd");
    private static final long SQE_OFF = offset(IoUringAbi.io_uring_sqe, "off");
    private static final long SQE_ADDR = offset(IoUringAbi.io_uring_sqe, "addr");
    private static final long SQE_LEN = offset(IoUringAbi.io_uring_sqe, "len");
    private static final long SQE_OP_FLAGS = offset(IoUringAbi.io_uring_sqe, "poll32_events");
    private static final long SQE_USER_DATA = offset(IoUringAbi.io_uring_sqe, "user_data");
    private static final long SQE_BUF_GROUP = offset(IoUringAbi.io_uring_sqe, "buf_index"); // a union in C
    private static final long CQE_USER_DATA = offset(IoUringAbi.io_uring_cqe, "user_data");
    private static final long CQE_RES = offset(IoUringAbi.io_uring_cqe, "res");
    private static final long CQE_FLAGS = offset(IoUringAbi.io_uring_cqe, "flags");
    private static final long TS_SEC = offset(IoUringAbi.__kernel_timespec, "tv_sec");
    private static final long TS_NSEC = offset(IoUringAbi.__kernel_timespec, "tv_nsec");
    private static final long ARG_TS = offset(IoUringAbi.io_uring_getevents_arg, "ts");

    // Shared: the ring is made on one thread and driven by the loop's.
    private final Arena arena = Arena.ofShared();
    private final int ringFd;
    private int enterFd;             // the registered index where REGISTERED_RING works, else ringFd
    private int enterFlags;          // REGISTERED_RING, or 0
    private Thread owner;            // the thread that enabled the ring; the only one that may enter
    private final int setupFlags;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing; // the same mapping as sqRing under IORING_FEAT_SINGLE_MMAP
    private final MemorySegment sqes;
    private final long sqHeadOff, sqTailOff, sqFlagsOff;
    private final long cqHeadOff, cqTailOff, cqesOff;
    private final int sqMask, sqEntries, cqMask;
    private final MemorySegment timespec;
    private final MemorySegment waitArg;
    private int sqTail;      // SQEs prepared so far (published to the kernel's tail on enter)
    private int cqHead;      // CQEs consumed so far (published on advance)
    private boolean closed;

    /** A ring over {@code ringFd}, set up by {@link RingSetup#open} with {@code setupFlags}. */
    Ring(int ringFd, MemorySegment params, int setupFlags) throws IOException {
        this.ringFd = ringFd;
        this.setupFlags = setupFlags;
        sqEntries = params.get(ValueLayout.JAVA_INT, offset(P, "sq_entries"));
        int cqEntries = params.get(ValueLayout.JAVA_INT, offset(P, "cq_entries"));
        int features = params.get(ValueLayout.JAVA_INT, offset(P, "features"));
        long sqArrayOff = params.get(ValueLayout.JAVA_INT, offset(P, "sq_off", "array"));
        sqHeadOff = params.get(ValueLayout.JAVA_INT, offset(P, "sq_off", "head"));
        sqTailOff = params.get(ValueLayout.JAVA_INT, offset(P, "sq_off", "tail"));
        sqFlagsOff = params.get(ValueLayout.JAVA_INT, offset(P, "sq_off", "flags"));
        cqHeadOff = params.get(ValueLayout.JAVA_INT, offset(P, "cq_off", "head"));
        cqTailOff = params.get(ValueLayout.JAVA_INT, offset(P, "cq_off", "tail"));
        cqesOff = params.get(ValueLayout.JAVA_INT, offset(P, "cq_off", "cqes"));
        long sqSize = sqArrayOff + (long) sqEntries * Integer.BYTES;
        long cqSize = cqesOff + (long) cqEntries * CQE_SIZE;
        boolean single = (features & IoUringAbi.IORING_FEAT_SINGLE_MMAP) != 0;
        MemorySegment sq = IoUring.mmap(ringFd, single ? Math.max(sqSize, cqSize) : sqSize, IoUringAbi.IORING_OFF_SQ_RING);
        if (sq.address() == 0) {
            throw Errors.exception("mmap(io_uring fd " + ringFd + ", IORING_OFF_SQ_RING)", IoUring.lastMmapErrno());
        }
        MemorySegment cq = single ? sq : IoUring.mmap(ringFd, cqSize, IoUringAbi.IORING_OFF_CQ_RING);
        if (cq.address() == 0) {
            int errno = IoUring.lastMmapErrno();
            IoUring.munmap(sq);
            throw Errors.exception("mmap(io_uring fd " + ringFd + ", IORING_OFF_CQ_RING)", errno);
        }
        MemorySegment s = IoUring.mmap(ringFd, sqEntries * SQE_SIZE, IoUringAbi.IORING_OFF_SQES);
        if (s.address() == 0) {
            int errno = IoUring.lastMmapErrno();
            IoUring.munmap(sq);
            if (!single) {
                IoUring.munmap(cq);
            }
            throw Errors.exception("mmap(io_uring fd " + ringFd + ", IORING_OFF_SQES)", errno);
        }
        sqRing = sq;
        cqRing = cq;
        sqes = s;
        sqMask = sq.get(ValueLayout.JAVA_INT, params.get(ValueLayout.JAVA_INT, offset(P, "sq_off", "ring_mask")));
        cqMask = cq.get(ValueLayout.JAVA_INT, params.get(ValueLayout.JAVA_INT, offset(P, "cq_off", "ring_mask")));
        // The indirection array maps ring slot i to SQE i once and for all.
        for (int i = 0; i < sqEntries; i++) {
            sq.set(ValueLayout.JAVA_INT, sqArrayOff + (long) i * Integer.BYTES, i);
        }
        sqTail = (int) INT.getAcquire(sq, sqTailOff);
        cqHead = (int) INT.getAcquire(cq, cqHeadOff);
        timespec = arena.allocate(IoUringAbi.__kernel_timespec);
        waitArg = arena.allocate(IoUringAbi.io_uring_getevents_arg);
        enterFd = ringFd;
    }

    /**
     * Enables the ring for the calling thread, which becomes its only issuer, and registers the
     * ring's fd in this thread's io_uring context, so each enter skips the fd table (Linux
     * 5.18; the plain fd elsewhere). Registered ring fds are per thread, hence here and not in open.
     */
    private void start() throws IOException {
        Errors.check(IoUring.io_uring_register(ringFd, IoUringAbi.IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0),
                "io_uring_register(IORING_REGISTER_ENABLE_RINGS)");
        owner = Thread.currentThread();
        StructLayout u = IoUringAbi.io_uring_rsrc_update;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment update = a.allocate(u);
            update.set(ValueLayout.JAVA_INT, offset(u, "offset"), -1); // let the kernel pick the slot
            update.set(ValueLayout.JAVA_LONG, offset(u, "data"), ringFd);
            // EBUSY when this thread has all 16 of its slots taken: the plain fd then serves.
            if (IoUring.io_uring_register(ringFd, IoUringAbi.IORING_REGISTER_RING_FDS, update, 1) == 1) {
                enterFd = update.get(ValueLayout.JAVA_INT, offset(u, "offset"));
                enterFlags = IoUringAbi.IORING_ENTER_REGISTERED_RING;
            }
        }
    }

    /** The thread that drives the ring, or null before its first enter. */
    public Thread owner() {
        return owner;
    }

    /** The setup flags the kernel took. */
    public int setupFlags() {
        return setupFlags;
    }

    /** Whether each enter uses the registered ring fd. */
    public boolean registeredRing() {
        return enterFlags != 0;
    }

    public int fd() {
        return ringFd;
    }

    /** SQEs prepared and not yet taken by the kernel. */
    public int unsubmitted() {
        return sqTail - (int) INT.getAcquire(sqRing, sqHeadOff);
    }

    /**
     * Prepares the next SQE, submitting what is queued first if the ring is full (that costs one
     * more enter, only when more than {@code entries} SQEs are queued in one iteration).
     */
    public void prepare(int opcode, int fd, long addr, int len, long off, int opFlags, long userData)
            throws IOException {
        if (unsubmitted() == sqEntries) {
            enter(0, 0, -1);
            if (unsubmitted() == sqEntries) {
                // EBUSY (Linux < 5.19): the kernel holds completions it could not post and takes
                // no SQE until they are flushed, which GETEVENTS does. Never write over an SQE
                // the kernel has not read.
                enter(0, 1, 0);
                if (unsubmitted() == sqEntries) {
                    throw new IOException("io_uring: the submission queue stays full (" + sqEntries
                            + " SQEs the kernel does not take)");
                }
            }
        }
        long base = (long) (sqTail & sqMask) * SQE_SIZE;
        for (long o = 0; o < SQE_SIZE; o += Long.BYTES) {
            sqes.set(ValueLayout.JAVA_LONG, base + o, 0L);
        }
        sqes.set(ValueLayout.JAVA_BYTE, base + SQE_OPCODE, (byte) opcode);
        sqes.set(ValueLayout.JAVA_BYTE, base + SQE_FLAGS, (byte) 0);
        sqes.set(ValueLayout.JAVA_INT, base + SQE_FD, fd);
        sqes.set(ValueLayout.JAVA_LONG, base + SQE_OFF, off);
        sqes.set(ValueLayout.JAVA_LONG, base + SQE_ADDR, addr);
        sqes.set(ValueLayout.JAVA_INT, base + SQE_LEN, len);
        sqes.set(ValueLayout.JAVA_INT, base + SQE_OP_FLAGS, opFlags);
        sqes.set(ValueLayout.JAVA_LONG, base + SQE_USER_DATA, userData);
        sqTail++;
    }

    /**
     * The fds of the prepared SQEs of {@code opcode} the kernel has not taken yet, oldest first:
     * what a ring closed without its last enter never did.
     */
    public int[] unsubmittedFds(int opcode) {
        int n = unsubmitted();
        int[] fds = new int[n];
        int found = 0;
        for (int i = sqTail - n; i != sqTail; i++) {
            long base = (long) (i & sqMask) * SQE_SIZE;
            if (sqes.get(ValueLayout.JAVA_BYTE, base + SQE_OPCODE) == opcode) {
                fds[found++] = sqes.get(ValueLayout.JAVA_INT, base + SQE_FD);
            }
        }
        return java.util.Arrays.copyOf(fds, found);
    }

    /**
     * Prepares a multishot ACCEPT (Linux 5.19) on listening socket {@code fd}: a completion per
     * connection, its res the new fd opened with {@code flags} (SOCK_NONBLOCK, SOCK_CLOEXEC).
     * No address: the kernel would write every connection's into the same place.
     */
    public void prepareAccept(int fd, int flags, long userData) throws IOException {
        prepare(IoUringAbi.IORING_OP_ACCEPT, fd, 0, 0, 0, flags, userData);
        long base = (long) ((sqTail - 1) & sqMask) * SQE_SIZE;
        sqes.set(ValueLayout.JAVA_SHORT, base + SQE_IOPRIO, (short) IoUringAbi.IORING_ACCEPT_MULTISHOT);
    }

    /**
     * Prepares a zero-copy send, {@code IORING_OP_SEND_ZC} of {@code len} bytes at {@code addr}
     * or {@code IORING_OP_SENDMSG_ZC} of the msghdr at {@code addr}, with {@code zcFlags} in
     * its ioprio (IORING_SEND_ZC_REPORT_USAGE: the notification says whether the kernel copied
     * the bytes after all; Linux 6.2, which refuses unknown flags with EINVAL before that).
     */
    public void prepareZeroCopySend(int opcode, int fd, long addr, int len, int msgFlags, int zcFlags, long userData)
            throws IOException {
        prepare(opcode, fd, addr, len, 0, msgFlags, userData);
        long base = (long) ((sqTail - 1) & sqMask) * SQE_SIZE;
        sqes.set(ValueLayout.JAVA_SHORT, base + SQE_IOPRIO, (short) zcFlags);
    }

    /**
     * Prepares a RECV into a buffer the kernel picks from provided-buffer group {@code group}
     * when data arrives (IOSQE_BUFFER_SELECT): a waiting receive holds no memory. With
     * {@code pollFirst} the kernel waits for readiness before it tries (the socket was just
     * drained: a first try would only find it empty).
     */
    public void prepareRecv(int fd, int group, int length, boolean pollFirst, long userData) throws IOException {
        // The length, not 0: 0 for "the buffer's" came with Linux 6.0; on 5.19 it is a 0-byte
        // receive, which completes as if the peer had closed.
        prepare(IoUringAbi.IORING_OP_RECV, fd, 0, length, 0, 0, userData);
        long base = (long) ((sqTail - 1) & sqMask) * SQE_SIZE;
        sqes.set(ValueLayout.JAVA_BYTE, base + SQE_FLAGS, (byte) IoUringAbi.IOSQE_BUFFER_SELECT);
        sqes.set(ValueLayout.JAVA_SHORT, base + SQE_BUF_GROUP, (short) group);
        if (pollFirst) {
            sqes.set(ValueLayout.JAVA_SHORT, base + SQE_IOPRIO, (short) IoUringAbi.IORING_RECVSEND_POLL_FIRST);
        }
    }

    /**
     * Prepares a multishot receive (Linux 6.0): one {@code IORING_OP_RECV} that stays armed and
     * posts a completion, with F_MORE, each time data comes, in a buffer of {@code group} each.
     * Its length is 0, the buffer's: the kernel refuses a multishot receive with another.
     */
    public void prepareMultishotRecv(int fd, int group, long userData) throws IOException {
        prepare(IoUringAbi.IORING_OP_RECV, fd, 0, 0, 0, 0, userData);
        long base = (long) ((sqTail - 1) & sqMask) * SQE_SIZE;
        sqes.set(ValueLayout.JAVA_BYTE, base + SQE_FLAGS, (byte) IoUringAbi.IOSQE_BUFFER_SELECT);
        sqes.set(ValueLayout.JAVA_SHORT, base + SQE_BUF_GROUP, (short) group);
        sqes.set(ValueLayout.JAVA_SHORT, base + SQE_IOPRIO, (short) IoUringAbi.IORING_RECV_MULTISHOT);
    }

    /**
     * One io_uring_enter: submits every prepared SQE and waits for {@code minComplete}
     * completions, at most {@code timeoutNanos} (below 0: no limit). Returns 0, or the errno
     * of a wait that ended early (ETIME, EINTR), which is not an error for a poller.
     */
    public int enter(int minComplete, int getEvents, long timeoutNanos) throws IOException {
        if (owner != Thread.currentThread()) {
            if (owner != null) {
                throw new IllegalStateException("io_uring: the ring belongs to " + owner.getName()
                        + ", which first polled it; " + Thread.currentThread().getName() + " may not");
            }
            start();
        }
        INT.setRelease(sqRing, sqTailOff, sqTail);
        int toSubmit = unsubmitted();
        int flags = enterFlags;
        MemorySegment arg = MemorySegment.NULL;
        if (getEvents != 0 || minComplete > 0) {
            flags |= IoUringAbi.IORING_ENTER_GETEVENTS | IoUringAbi.IORING_ENTER_EXT_ARG;
            long ts = 0;
            if (timeoutNanos >= 0 && minComplete > 0) {
                timespec.set(ValueLayout.JAVA_LONG, TS_SEC, timeoutNanos / 1_000_000_000L);
                timespec.set(ValueLayout.JAVA_LONG, TS_NSEC, timeoutNanos % 1_000_000_000L);
                ts = timespec.address();
            }
            waitArg.set(ValueLayout.JAVA_LONG, ARG_TS, ts);
            arg = waitArg;
        }
        int r = IoUring.io_uring_enter(enterFd, toSubmit, minComplete, flags, arg);
        if (r >= 0 || r == -IoUringAbi.ETIME || r == -ErrnoCodes.EINTR) {
            return r >= 0 ? 0 : -r;
        }
        if (r == -IoUringAbi.EBUSY || r == -ErrnoCodes.EAGAIN) {
            return -r; // the CQ is full: the caller reaps, and the next enter submits the rest
        }
        throw Errors.exception("io_uring_enter(io_uring fd " + ringFd + ", " + toSubmit + " SQEs)", -r);
    }

    /** Completions posted and not yet consumed. */
    public int ready() {
        return (int) INT.getAcquire(cqRing, cqTailOff) - cqHead;
    }

    /** The {@code i}-th unconsumed CQE's user_data ({@code i < ready()}). */
    public long userData(int i) {
        return cqRing.get(ValueLayout.JAVA_LONG, cqe(i) + CQE_USER_DATA);
    }

    public int res(int i) {
        return cqRing.get(ValueLayout.JAVA_INT, cqe(i) + CQE_RES);
    }

    public int cqeFlags(int i) {
        return cqRing.get(ValueLayout.JAVA_INT, cqe(i) + CQE_FLAGS);
    }

    private long cqe(int i) {
        return cqesOff + (long) ((cqHead + i) & cqMask) * CQE_SIZE;
    }

    /** Hands {@code n} consumed CQEs back to the kernel. */
    public void advance(int n) {
        cqHead += n;
        INT.setRelease(cqRing, cqHeadOff, cqHead);
    }

    /** Whether the kernel holds completions that did not fit in the CQ (flushed by the next enter). */
    public boolean overflowed() {
        return ((int) INT.getAcquire(sqRing, sqFlagsOff) & IoUringAbi.IORING_SQ_CQ_OVERFLOW) != 0;
    }

    /** Which of {@code opcodes} this kernel lacks (IORING_REGISTER_PROBE); empty if it has them all. */
    public int[] unsupported(int... opcodes) throws IOException {
        StructLayout pr = IoUringAbi.io_uring_probe;
        long opSize = IoUringAbi.io_uring_probe_op.byteSize();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment probe = a.allocate(pr.byteSize() + 256 * opSize, 8);
            Errors.check(IoUring.io_uring_register(ringFd, IoUringAbi.IORING_REGISTER_PROBE, probe, 256),
                    "io_uring_register(IORING_REGISTER_PROBE)");
            int last = Byte.toUnsignedInt(probe.get(ValueLayout.JAVA_BYTE, offset(pr, "last_op")));
            long ops = offset(pr, "ops");
            long flagsOff = offset(IoUringAbi.io_uring_probe_op, "flags");
            return java.util.Arrays.stream(opcodes)
                    .filter(op -> op > last || (probe.get(ValueLayout.JAVA_SHORT, ops + op * opSize + flagsOff)
                            & IoUringAbi.IO_URING_OP_SUPPORTED) == 0)
                    .toArray();
        }
    }

    /** Whether the rings are unmapped and the ring fd closed. */
    public boolean isClosed() {
        return closed;
    }

    /** Unmaps the rings and closes the ring fd, which cancels whatever is in flight. Idempotent. */
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        // The registered slot holds a reference to the ring in its thread's io_uring context,
        // which only that thread can drop (or its exit does): an event loop closes its poller
        // on its own thread, so it is dropped here.
        if (enterFlags != 0 && owner == Thread.currentThread()) {
            StructLayout u = IoUringAbi.io_uring_rsrc_update;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment update = a.allocate(u);
                update.set(ValueLayout.JAVA_INT, offset(u, "offset"), enterFd);
                IoUring.io_uring_register(ringFd, IoUringAbi.IORING_UNREGISTER_RING_FDS, update, 1);
            }
        }
        IoUring.munmap(sqes);
        if (cqRing.address() != sqRing.address()) {
            IoUring.munmap(cqRing);
        }
        IoUring.munmap(sqRing);
        arena.close();
        // Never retried: Linux has released the fd even when close reports EINTR.
        Errors.check(Fd.close(ringFd), "close(io_uring fd " + ringFd + ")");
    }
}
