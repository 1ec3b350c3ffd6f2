package io.ffpoll.multiplexer.uring;

import io.ffpoll.bindings.linux.IoUringAbi;
import io.ffpoll.bindings.linux.Sockets;
import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.backend.Backend;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The sends in flight on one ring: a slot per send, whose index is in the SQE's user_data, so a
 * completion finds its {@link Backend.SendCompletion} even when the connection that sent it is
 * closed and its fd number reused. Completions are kept in arrival order until the loop reports
 * them after its dispatch. Nothing is allocated per send once the table has grown.
 */
final class SendSlots {
    /** The tag of a send's user_data: bit 62, above any poll's or receive's (bits 0 to 61). */
    static final long TAG = 1L << 62;

    private final Ring ring;
    private final long cancelData;

    private Backend.SendCompletion[] owners = new Backend.SendCompletion[64];
    // Bumped at each take: a handle (generation << 32 | slot) names one send, not its slot's next.
    private int[] generations = new int[64];
    private int[] free = new int[64];
    private int freeCount;
    private int used; // slots ever handed out; the rest of the table is virgin
    private int inFlight;
    private Backend.SendCompletion[] doneOwners = new Backend.SendCompletion[64];
    private int[] doneResults = new int[64];
    private int doneCount;

    SendSlots(Ring ring, long cancelData) {
        this.ring = ring;
        this.cancelData = cancelData;
    }

    /**
     * Prepares a send (MSG_NOSIGNAL) of {@code count} iovecs of {@code gather} on {@code fd}; its
     * handle. One iovec goes as a SEND of its bytes, which spares the kernel copying in a msghdr
     * and an iovec array; more as a SENDMSG.
     */
    long send(int fd, Gather gather, int count, Backend.SendCompletion done) throws IOException {
        long handle = take(done);
        try {
            long length = count == 1 ? gather.iovecs().get(ValueLayout.JAVA_LONG, 8) : 0;
            if (count == 1 && length <= Integer.MAX_VALUE) {
                long base = gather.iovecs().get(ValueLayout.JAVA_LONG, 0);
                ring.prepare(IoUringAbi.IORING_OP_SEND, fd, base, (int) length, 0, Sockets.MSG_NOSIGNAL, userData(handle));
            } else {
                Platform.current().setGatherCount(gather, count);
                ring.prepare(IoUringAbi.IORING_OP_SENDMSG, fd, gather.msghdr().address(), 1, 0, Sockets.MSG_NOSIGNAL,
                        userData(handle));
            }
        } catch (IOException | RuntimeException e) {
            release(handle);
            throw e;
        }
        return handle;
    }

    /**
     * Cancels send {@code handle}. One whose completion is reaped already (its report waits for
     * {@link #run}) has nothing to cancel, and its slot may hold another connection's send by now.
     */
    void cancel(long handle) throws IOException {
        if (isInFlight(handle)) {
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
            }
            slot = used++;
        }
        owners[slot] = owner;
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

    /** A send's completion came: frees its slot, keeps the report for {@link #run}. */
    void completed(long userData, int result) {
        int slot = (int) userData;
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
