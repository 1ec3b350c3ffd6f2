package io.ffpoll.multiplexer.uring;

import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.IoUringAbi;
import io.ffpoll.bindings.linux.Sockets;
import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.backend.Backend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The sends in flight on one ring: a slot per send, whose index is in the SQE's user_data, so a
 * completion finds its {@link Backend.SendCompletion} even when the connection that sent it is
 * closed and its fd number reused. Completions are kept in arrival order until the loop reports
 * them after its dispatch. Nothing is allocated per send once the table has grown.
 *
 * <p>Sends of at least {@code zeroCopyMin} bytes go as {@code SEND_ZC} or {@code SENDMSG_ZC}
 * (Linux 6.0, 6.1), off by default. Such a send completes twice: first with the bytes sent and
 * {@code IORING_CQE_F_MORE}, then with a notification ({@code IORING_CQE_F_NOTIF}) once the
 * kernel holds no reference to the memory. Its owner hears of it only at the notification, so
 * the connection's chunks stay until the kernel has let go of them, and the slot stays in flight
 * (and its cancel does nothing) in between. The cost: a connection's next send waits for that
 * notification, which on a real network comes when the peer has acknowledged the bytes, where
 * Netty sends on at the first completion and holds only the memory (that needs a queue that
 * keeps sent chunks apart; not built). Only TCP sockets are asked ({@code mayZeroCopy}); one
 * that refuses (EOPNOTSUPP) sends again, copying, and is not asked again.
 */
final class SendSlots {
    /** The tag of a send's user_data: bit 62, above any poll's or receive's (bits 0 to 61). */
    static final long TAG = 1L << 62;
    private static final int NO_RESULT = Integer.MIN_VALUE;
    private static final Logger LOG = LoggerFactory.getLogger(IoUringBackend.class);
    private static final AtomicBoolean ZERO_COPY_MISSING_LOGGED = new AtomicBoolean();
    private static final AtomicBoolean ZERO_COPY_ON_LOGGED = new AtomicBoolean();

    private final Ring ring;
    private final long cancelData;
    private final long zeroCopyMin; // Long.MAX_VALUE: never
    // Linux 6.2 reports whether a zero-copy send was copied; 6.1 refuses the flag (EINVAL).
    private final int zeroCopyFlags = RingSetup.kernelAtLeast(6, 2) ? IoUringAbi.IORING_SEND_ZC_REPORT_USAGE : 0;

    private Backend.SendCompletion[] owners = new Backend.SendCompletion[64];
    // Bumped at each take: a handle (generation << 32 | slot) names one send, not its slot's next.
    private int[] generations = new int[64];
    // A zero-copy send's first result, kept until its notification; NO_RESULT before that.
    private int[] sentBeforeNotice = new int[64];
    private boolean[] zeroCopy = new boolean[64]; // the slot's send is zero-copy
    private int[] free = new int[64];
    private int freeCount;
    private int used; // slots ever handed out; the rest of the table is virgin
    private int inFlight;
    private Backend.SendCompletion[] doneOwners = new Backend.SendCompletion[64];
    private int[] doneResults = new int[64];
    private int doneCount;
    private long zeroCopySends;
    private long zeroCopyCopied;

    /**
     * The smallest send made zero-copy on {@code ring}, from {@code -Dffpoll.uring.zeroCopySends}
     * (read as each backend is made): unset or {@code false}, never ({@link Long#MAX_VALUE});
     * {@code true}, sends of 16 KiB or more; a number, sends of that many bytes or more. Never
     * where the kernel lacks SEND_ZC or SENDMSG_ZC, with one log line saying so.
     */
    static long zeroCopyMin(Ring ring) throws IOException {
        String v = System.getProperty("ffpoll.uring.zeroCopySends", "false").trim();
        long min;
        if (v.equals("false")) {
            return Long.MAX_VALUE;
        } else if (v.equals("true")) {
            min = 16 * 1024;
        } else {
            try {
                min = Math.max(1, Long.parseLong(v));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-Dffpoll.uring.zeroCopySends=" + v + ": true, false or a number of bytes");
            }
        }
        int[] missing = ring.unsupported(IoUringAbi.IORING_OP_SEND_ZC, IoUringAbi.IORING_OP_SENDMSG_ZC);
        if (missing.length > 0) {
            if (!ZERO_COPY_MISSING_LOGGED.getAndSet(true)) {
                LOG.info("io_uring: zero-copy sends asked for, but this kernel lacks opcode(s) {} (SEND_ZC is 47, "
                        + "Linux 6.0; SENDMSG_ZC 48, Linux 6.1): sends copy", Arrays.toString(missing));
            }
            return Long.MAX_VALUE;
        }
        if (!ZERO_COPY_ON_LOGGED.getAndSet(true)) {
            LOG.info("io_uring: zero-copy sends on, for TCP sends of {} bytes and more; each waits for its "
                    + "notification, so a stream can run many times slower (README, io_uring engine)", min);
        }
        return min;
    }

    SendSlots(Ring ring, long cancelData, long zeroCopyMin) {
        this.ring = ring;
        this.cancelData = cancelData;
        this.zeroCopyMin = zeroCopyMin;
        Arrays.fill(sentBeforeNotice, NO_RESULT);
    }

    /**
     * Prepares a send (MSG_NOSIGNAL) of {@code count} iovecs of {@code gather} on {@code fd}; its
     * handle. One iovec goes as a SEND of its bytes, which spares the kernel copying in a msghdr
     * and an iovec array; more as a SENDMSG. Either is zero-copy from {@code zeroCopyMin} bytes.
     */
    long send(int fd, Gather gather, int count, Backend.SendCompletion done) throws IOException {
        long handle = take(done);
        try {
            MemorySegment iov = gather.iovecs();
            long length = count == 1 ? iov.get(ValueLayout.JAVA_LONG, 8) : 0;
            boolean zeroCopy = zeroCopyMin != Long.MAX_VALUE && done.mayZeroCopy()
                    && (count == 1 ? length : length(iov, count)) >= zeroCopyMin;
            this.zeroCopy[(int) handle] = zeroCopy;
            if (zeroCopy) {
                zeroCopySends++;
            }
            if (count == 1 && length <= Integer.MAX_VALUE) {
                long base = iov.get(ValueLayout.JAVA_LONG, 0);
                if (zeroCopy) {
                    ring.prepareZeroCopySend(IoUringAbi.IORING_OP_SEND_ZC, fd, base, (int) length, Sockets.MSG_NOSIGNAL,
                            zeroCopyFlags, userData(handle));
                } else {
                    ring.prepare(IoUringAbi.IORING_OP_SEND, fd, base, (int) length, 0, Sockets.MSG_NOSIGNAL, userData(handle));
                }
            } else {
                Platform.current().setGatherCount(gather, count);
                long msghdr = gather.msghdr().address();
                if (zeroCopy) {
                    ring.prepareZeroCopySend(IoUringAbi.IORING_OP_SENDMSG_ZC, fd, msghdr, 1, Sockets.MSG_NOSIGNAL,
                            zeroCopyFlags, userData(handle));
                } else {
                    ring.prepare(IoUringAbi.IORING_OP_SENDMSG, fd, msghdr, 1, 0, Sockets.MSG_NOSIGNAL, userData(handle));
                }
            }
        } catch (IOException | RuntimeException e) {
            release(handle);
            throw e;
        }
        return handle;
    }

    private static long length(MemorySegment iov, int count) {
        long n = 0;
        for (int i = 0; i < count; i++) {
            n += iov.get(ValueLayout.JAVA_LONG, i * 16L + 8);
        }
        return n;
    }

    /**
     * Cancels send {@code handle}. One whose completion is reaped already (its report waits for
     * {@link #run}) has nothing to cancel, and its slot may hold another connection's send by now.
     */
    void cancel(long handle) throws IOException {
        // A zero-copy send that has sent waits only for its notification: nothing to cancel.
        if (isInFlight(handle) && sentBeforeNotice[(int) handle] == NO_RESULT) {
            ring.prepare(IoUringAbi.IORING_OP_ASYNC_CANCEL, -1, userData(handle), 0, 0, 0, cancelData);
        }
    }

    void cancelAll() throws IOException {
        for (int slot = 0; slot < used; slot++) {
            if (owners[slot] != null) {
                cancel(handle(slot));
            }
        }
    }

    static boolean isSend(long userData) {
        return userData > 0 && (userData & TAG) != 0;
    }

    static long userData(long handle) {
        return TAG | handle;
    }

    /** The handle of the send in {@code slot}. */
    long handle(int slot) {
        return ((long) generations[slot] << 32) | slot;
    }

    /** Whether {@code handle}'s send is still in flight (not reaped). */
    boolean isInFlight(long handle) {
        int slot = (int) handle;
        return slot < used && owners[slot] != null && generations[slot] == (int) (handle >>> 32);
    }

    private long take(Backend.SendCompletion owner) {
        int slot;
        if (freeCount > 0) {
            slot = free[--freeCount];
        } else {
            if (used == owners.length) {
                owners = Arrays.copyOf(owners, used * 2);
                free = Arrays.copyOf(free, used * 2);
                generations = Arrays.copyOf(generations, used * 2);
                int old = sentBeforeNotice.length;
                sentBeforeNotice = Arrays.copyOf(sentBeforeNotice, used * 2);
                Arrays.fill(sentBeforeNotice, old, used * 2, NO_RESULT);
                zeroCopy = Arrays.copyOf(zeroCopy, used * 2);
            }
            slot = used++;
        }
        owners[slot] = owner;
        sentBeforeNotice[slot] = NO_RESULT;
        generations[slot] = (generations[slot] + 1) & 0x1FFF_FFFF; // 29 bits: bits 61 and 62 tag
        inFlight++;
        return handle(slot);
    }

    /** A send that never reached the ring (its SQE could not be prepared): the slot is free again. */
    private void release(long handle) {
        int slot = (int) handle;
        owners[slot] = null;
        free[freeCount++] = slot;
        inFlight--;
    }

    /**
     * A send's completion came: frees its slot, keeps the report for {@link #run}. A zero-copy
     * send's first completion ({@code IORING_CQE_F_MORE}) only keeps its result: the slot is
     * freed, and the result reported, at its notification ({@code IORING_CQE_F_NOTIF}).
     */
    void completed(long userData, int result, int cqeFlags) {
        int slot = (int) userData;
        if (slot >= used || owners[slot] == null || generations[slot] != (int) ((userData >>> 32) & 0x1FFF_FFFF)) {
            return; // no send of ours: a slot given back twice would hand two sends one completion
        }
        if ((cqeFlags & IoUringAbi.IORING_CQE_F_NOTIF) != 0) {
            if (sentBeforeNotice[slot] == NO_RESULT) {
                return; // a notification before its send's completion: not a kernel's order
            }
            if ((result & IoUringAbi.IORING_NOTIF_USAGE_ZC_COPIED) != 0) {
                zeroCopyCopied++;
            }
            result = sentBeforeNotice[slot];
            sentBeforeNotice[slot] = NO_RESULT;
        } else if ((cqeFlags & IoUringAbi.IORING_CQE_F_MORE) != 0) {
            sentBeforeNotice[slot] = result;
            return;
        }
        if (result == -ErrnoCodes.EOPNOTSUPP && zeroCopy[slot]) {
            owners[slot].zeroCopyRefused(); // not a TCP socket: it sends again, copying
            result = -ErrnoCodes.EAGAIN;
        }
        Backend.SendCompletion owner = owners[slot];
        owners[slot] = null;
        free[freeCount++] = slot;
        inFlight--;
        if (doneCount == doneOwners.length) {
            doneOwners = Arrays.copyOf(doneOwners, doneCount * 2);
            doneResults = Arrays.copyOf(doneResults, doneCount * 2);
        }
        doneOwners[doneCount] = owner;
        doneResults[doneCount++] = result;
    }

    /**
     * Zero-copy sends prepared, and those whose notification said the kernel copied the bytes
     * after all (0 before Linux 6.2, which does not say).
     */
    long[] zeroCopyCounts() {
        return new long[] {zeroCopySends, zeroCopyCopied};
    }

    int inFlight() {
        return inFlight;
    }

    /**
     * Reports what completed, in order. An owner that throws does not stop the others; the
     * first throwable is rethrown once all have run (the loop logs it).
     */
    int run() {
        int n = doneCount;
        Throwable first = null;
        for (int i = 0; i < n; i++) {
            Backend.SendCompletion owner = doneOwners[i];
            doneOwners[i] = null;
            try {
                owner.completed(doneResults[i]);
            } catch (Throwable t) {
                first = first == null ? t : first;
            }
        }
        doneCount = 0;
        if (first instanceof RuntimeException r) {
            throw r;
        }
        if (first instanceof Error e) {
            throw e;
        }
        return n;
    }
}
