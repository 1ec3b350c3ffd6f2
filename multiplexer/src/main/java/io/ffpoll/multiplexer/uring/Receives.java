package io.ffpoll.multiplexer.uring;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.internal.Faults;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.IoUring;
import io.ffpoll.bindings.linux.IoUringAbi;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.backend.EventBuffer;
import io.ffpoll.multiplexer.backend.Registrations;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

import static io.ffpoll.bindings.linux.IoUringAbi.offset;

/**
 * The receiving side of {@link IoUringBackend}: one single-shot {@code IORING_OP_RECV} per
 * socket at a time, with {@code IOSQE_BUFFER_SELECT}, so the kernel takes a buffer from the
 * backend's provided-buffer ring (IORING_REGISTER_PBUF_RING, Linux 5.19) only when data has
 * come: an idle socket holds no memory. A completion leaves its buffer stashed for the fd and
 * reports the fd readable; {@link #lend} hands it to the reader in place (or {@link #take}
 * copies out of it, behind bytes the reader kept), and the buffer goes back to the ring once
 * returned or emptied, when the next receive is queued. A socket therefore holds one buffer at most,
 * whatever its reader does: a paused reader stops the receives, the socket's buffer fills and
 * TCP slows the peer, as on epoll.
 *
 * <p>When the ring runs dry (ENOBUFS: more sockets hold a buffer than the ring has), the socket
 * falls back to one {@code read(2)}, then to a one-shot readiness poll and a read per wakeup
 * while the ring stays dry, and to receives again once buffers are back: slower, never stuck,
 * nothing lost.
 *
 * <p>A receive in flight may write into a buffer until its completion: a cancelled receive's
 * buffer goes back to the ring only when that completion comes, and the memory is freed only
 * when no receive is in flight ({@link #quiesced}).
 */
final class Receives {
    /** user_data bit 61 tags a receive (or its fallback poll); bit 62 tags sends. */
    static final long TAG = 1L << 61;
    private static final long NONE = -1L;
    private static final int GROUP = 0;
    private static final int NO_BUFFER = Stashes.NONE;
    private static final int NO_END = 1;
    private static final StructLayout ENTRY = IoUringAbi.io_uring_buf;
    private static final long E_ADDR = offset(ENTRY, "addr");
    private static final long E_LEN = offset(ENTRY, "len");
    private static final long E_BID = offset(ENTRY, "bid");
    private static final long TAIL = offset(IoUringAbi.io_uring_buf_ring, "tail");
    private static final VarHandle SHORT = ValueLayout.JAVA_SHORT.varHandle();
    private static final int FALLBACK_POLL = IoUringAbi.POLLIN | IoUringAbi.POLLRDHUP;
    // Never counted (no syscall is made); under fault injection a take fails as a read would.
    private static final Syscalls.Counter RECV = Syscalls.counter("IORING_OP_RECV");

    /**
     * With multishot receives, the buffers a socket may hold before its receive is cancelled
     * until its reader has taken them. A reader that pauses or falls behind holds this many and
     * what the kernel took before the cancel reached it, which only the data sent and the ring
     * bound (33 and 66 buffers in two runs of a test): multishot receives stay off by default.
     */
    static final int PER_SOCKET = 4;

    private final Ring ring;
    private final Registrations regs;
    private final long cancelData;
    private final boolean multishot;  // one receive stays armed per socket (Linux 6.0)
    // Not closed with the backend while a receive is in flight: the kernel may still write there.
    private final Arena memory = Arena.ofShared();
    private final MemorySegment entries;
    private final MemorySegment buffers;
    private final MemorySegment lendable; // the buffers, read-only: what a reader borrows
    private final boolean[] lentOut;      // by buffer: lent and not yet returned
    private final Stashes stash;          // by fd: the buffers received and not yet read, in order
    private final int count;
    private final int size;
    private int tail;
    private int held;          // buffers taken by completions and not yet given back
    private int lent;          // of those, lent to readers (lend) and not yet returned
    private long lends;        // buffers lent so far
    private long armed;        // receives (and fallback polls) submitted so far
    private int outstanding;   // receives and fallback polls submitted whose completion has not come

    private int[] generation = new int[0]; // of the registration whose input is received, else stale
    private long[] inFlight = new long[0];  // user_data of the fd's receive or fallback poll, or NONE
    private boolean[] cancelling = new boolean[0]; // its multishot receive holds PER_SOCKET: cancelled
    private int[] ended = new int[0];       // NO_END, 0 (EOF) or -errno, reported once the stash is empty
    private boolean[] direct = new boolean[0]; // reads are read(2) until EAGAIN (the ring ran dry)
    private boolean[] queued = new boolean[0];
    private boolean[] drained = new boolean[0]; // the last receive was short: the socket was empty then
    private int[] toArm = new int[64];
    private int toArmCount;

    /**
     * Registers a ring of {@code count} buffers of {@code size} bytes.
     *
     * @throws IOException naming io_uring_register's errno where the kernel has no provided
     *     buffer rings (before 5.19: EINVAL)
     */
    Receives(Ring ring, Registrations regs, long cancelData, int count, int size, boolean multishot) throws IOException {
        if (Integer.bitCount(count) != 1 || count > 32768 || size <= 0) {
            throw new IllegalArgumentException("receive buffers: a power of two up to 32768 of them, of a positive size"
                    + " (given " + count + " of " + size + " bytes)");
        }
        this.ring = ring;
        this.regs = regs;
        this.cancelData = cancelData;
        this.multishot = multishot;
        this.count = count;
        this.size = size;
        try {
            // The kernel wants the ring page-aligned: 64 KiB is a page on every Linux there is.
            entries = memory.allocate(count * ENTRY.byteSize(), 65536);
            buffers = memory.allocate((long) count * size, 4096);
            MemorySegment reg = memory.allocate(IoUringAbi.io_uring_buf_reg);
            StructLayout r = IoUringAbi.io_uring_buf_reg;
            reg.set(ValueLayout.JAVA_LONG, offset(r, "ring_addr"), entries.address());
            reg.set(ValueLayout.JAVA_INT, offset(r, "ring_entries"), count);
            reg.set(ValueLayout.JAVA_SHORT, offset(r, "bgid"), (short) GROUP);
            Errors.check(IoUring.io_uring_register(ring.fd(), IoUringAbi.IORING_REGISTER_PBUF_RING, reg, 1),
                    "io_uring_register(IORING_REGISTER_PBUF_RING, " + count + " buffers)");
        } catch (IOException | RuntimeException e) {
            memory.close();
            throw e;
        }
        lendable = buffers.asReadOnly();
        lentOut = new boolean[count];
        stash = new Stashes(count);
        for (int b = 0; b < count; b++) {
            giveBack(b);
        }
    }

    static boolean isReceive(long userData) {
        return userData > 0 && (userData & (SendSlots.TAG | TAG | Accepts.MARK)) == TAG;
    }

    private void ensure(int fd) {
        if (fd >= inFlight.length) {
            int old = inFlight.length;
            int n = Math.max(Math.max(old * 2, 256), fd + 1);
            generation = Arrays.copyOf(generation, n);
            inFlight = Arrays.copyOf(inFlight, n);
            stash.ensure(n);
            cancelling = Arrays.copyOf(cancelling, n);
            ended = Arrays.copyOf(ended, n);
            direct = Arrays.copyOf(direct, n);
            queued = Arrays.copyOf(queued, n);
            drained = Arrays.copyOf(drained, n);
            Arrays.fill(generation, old, n, -1);
            Arrays.fill(inFlight, old, n, NONE);
            Arrays.fill(ended, old, n, NO_END);
        }
    }

    /** Whether {@code fd}'s current registration has its input received here. */
    boolean isReceiving(int fd) {
        return fd < generation.length && generation[fd] == regs.generation(fd) && regs.isRegistered(fd);
    }

    /** From the next poll on, {@code fd}'s current registration has its input received here. */
    void start(int fd) {
        ensure(fd);
        stopped(fd); // what an earlier registration of the number left, if anything
        generation[fd] = regs.generation(fd);
        drained[fd] = false; // a socket just accepted may hold its first request already
        queue(fd);
    }

    private void queue(int fd) {
        if (!queued[fd]) {
            queued[fd] = true;
            if (toArmCount == toArm.length) {
                toArm = Arrays.copyOf(toArm, toArmCount * 2);
            }
            toArm[toArmCount++] = fd;
        }
    }

    /** Queues a receive for each socket that needs one; before the poll's enter. */
    void armQueued() throws IOException {
        for (int i = 0; i < toArmCount; i++) {
            int fd = toArm[i];
            queued[fd] = false;
            if (!isReceiving(fd) || !regs.isInKernel(fd) || inFlight[fd] != NONE || stash.head(fd) != NO_BUFFER
                    || ended[fd] != NO_END || direct[fd]) {
                continue;
            }
            long data = TAG | ((long) (regs.generation(fd) & 0x0FFF_FFFF) << 32) | (fd & 0xFFFF_FFFFL);
            if (held < count && multishot) {
                ring.prepareMultishotRecv(fd, GROUP, data);
            } else if (held < count) {
                ring.prepareRecv(fd, GROUP, size, drained[fd], data);
            } else {
                // Every buffer is stashed: wait for readiness instead, and read(2) when it comes.
                ring.prepare(IoUringAbi.IORING_OP_POLL_ADD, fd, 0, 0, 0, FALLBACK_POLL, data);
                direct[fd] = true;
            }
            inFlight[fd] = data;
            outstanding++;
            armed++;
        }
        toArmCount = 0;
    }

    /**
     * Copies up to {@code room} bytes of {@code fd}'s received input into {@code dst}.
     *
     * @return the bytes copied, 0 at the end of the stream, -EAGAIN while nothing has come (a
     *     receive is waiting), or the receive's -errno
     */
    long take(int fd, MemorySegment dst, long room) {
        if (!isReceiving(fd)) {
            return Platform.current().read(fd, dst, room);
        }
        int b = stash.head(fd);
        if (b != NO_BUFFER) {
            int fault = RECV.fault();
            if (fault != 0) {
                if (fault != ErrnoCodes.EINTR) { // as a receive that failed: the stream ends with the error
                    unstash(fd, true);
                    ended[fd] = -fault;
                }
                return -fault;
            }
            int left = stash.to(fd) - stash.from(fd);
            int n = (int) Math.min(room, left);
            MemorySegment.copy(buffers, (long) b * size + stash.from(fd), dst, 0, n);
            if (n == left) {
                drained[fd] = stash.to(fd) < size;
                unstash(fd, false);
                held--;
                giveBack(b);
            } else {
                stash.read(fd, n);
            }
            return n;
        }
        if (ended[fd] != NO_END) {
            return ended[fd];
        }
        if (direct[fd] && inFlight[fd] == NONE) {
            long n = Platform.current().read(fd, dst, room);
            if (n > 0 || n == -ErrnoCodes.EAGAIN) {
                // Whether more is waiting is not known (a reader takes a short read for empty):
                // a receive, or a fallback poll while the ring is dry, finds out.
                direct[fd] = false;
                drained[fd] = n == -ErrnoCodes.EAGAIN;
                queue(fd);
            }
            return n;
        }
        return -ErrnoCodes.EAGAIN;
    }

    /**
     * Lends {@code fd}'s stashed input without copying it: the socket no longer holds the buffer
     * (its next receive is queued), the caller reads it in place and hands it back with
     * {@link #giveBackLent} once done; the kernel may fill it again as soon as it is back.
     *
     * @return a read-only view of the bytes, or null when none is stashed ({@link #take} then
     *     says what there is: the end, an error, or nothing yet)
     */
    MemorySegment lend(int fd) {
        // Where a fault may be injected, the input goes through take, where a receive may fail.
        if (RECV.mayFault() || !isReceiving(fd) || stash.head(fd) == NO_BUFFER) {
            return null;
        }
        int b = stash.head(fd);
        MemorySegment view = lendable.asSlice((long) b * size + stash.from(fd), stash.to(fd) - stash.from(fd));
        drained[fd] = stash.to(fd) < size;
        unstash(fd, false);
        lentOut[b] = true;
        lent++;
        lends++;
        return view;
    }

    /**
     * {@code fd}'s stashed buffer has been read (or, {@code all}, every one is dropped): the
     * next one behind it is read from now on; when none is, the socket's next receive is queued
     * (none while its multishot one is armed).
     */
    private void unstash(int fd, boolean all) {
        if (all) {
            stash.clear(fd, this::dropped);
        } else if (stash.next(fd)) {
            return;
        }
        queue(fd);
    }

    private void dropped(int b) {
        held--;
        giveBack(b);
    }

    /** Takes back a buffer {@link #lend} gave out: to the ring, for the kernel's next receive. */
    void giveBackLent(MemorySegment view) {
        long at = view.address() - buffers.address();
        int b = (int) (at / size);
        if (at < 0 || at >= buffers.byteSize() || !lentOut[b]) {
            // Twice in the ring, one buffer would take two receives at once.
            throw new IllegalStateException("not a receive buffer lent and not yet returned: " + view);
        }
        lentOut[b] = false;
        lent--;
        held--;
        if (Faults.ENABLED) {
            // Test runs: a read of a returned buffer (a view kept past its callback) sees this,
            // not the bytes the kernel would otherwise leave there until its next receive.
            buffers.asSlice((long) b * size, size).fill((byte) 0xDB);
        }
        giveBack(b);
    }

    private void giveBack(int b) {
        long e = (long) (tail & (count - 1)) * ENTRY.byteSize();
        entries.set(ValueLayout.JAVA_LONG, e + E_ADDR, buffers.address() + (long) b * size);
        entries.set(ValueLayout.JAVA_INT, e + E_LEN, size);
        entries.set(ValueLayout.JAVA_SHORT, e + E_BID, (short) b);
        tail++;
        SHORT.setRelease(entries, TAIL, (short) tail); // the kernel reads the entry once it sees the tail
    }

    /**
     * A receive's (or fallback poll's) completion. The current one stashes its buffer or
     * remembers the end and reports {@code fd} readable into {@code events} (null while closing:
     * nothing is reported); any other is a cancelled one's, whose buffer goes back to the ring.
     * A multishot receive's completion with F_MORE is not its last: it stays armed, unless the
     * socket now holds {@link #PER_SOCKET} buffers, when it is cancelled until they are read.
     */
    void completed(long data, int res, int cqeFlags, EventBuffer events) throws IOException {
        boolean more = (cqeFlags & IoUringAbi.IORING_CQE_F_MORE) != 0;
        if (!more) {
            outstanding--;
        }
        int fd = (int) data;
        boolean hasBuffer = (cqeFlags & IoUringAbi.IORING_CQE_F_BUFFER) != 0;
        int b = cqeFlags >>> IoUringAbi.IORING_CQE_BUFFER_SHIFT;
        if (fd >= inFlight.length || inFlight[fd] != data) {
            if (hasBuffer) {
                giveBack(b); // its socket is closed or deregistered: so is the data
            }
            return;
        }
        boolean cancelled = cancelling[fd];
        if (!more) {
            inFlight[fd] = NONE;
            cancelling[fd] = false;
        }
        if (hasBuffer && res > 0) {
            stash.add(fd, b, res);
            held++;
        } else if (hasBuffer) {
            giveBack(b);
        }
        if (res == -IoUringAbi.ECANCELED && cancelled) {
            // Cancelled here at PER_SOCKET: armed again once the reader has taken the stash.
        } else if (res == 0 || (res < 0 && res != -ErrnoCodes.ENOBUFS && res != -ErrnoCodes.EINTR
                && res != -ErrnoCodes.EAGAIN && res != -IoUringAbi.ECANCELED)) {
            ended[fd] = res;
        } else if (res < 0) {
            // No buffer for it, or ended early (an io-wq retry may end EAGAIN on a non-blocking
            // socket): read(2) says what there is, and a receive is armed again after it.
            direct[fd] = true;
        }
        if (!more && stash.head(fd) == NO_BUFFER && ended[fd] == NO_END && !direct[fd]) {
            queue(fd); // a cancel at PER_SOCKET that ended after the reader took the stash
        }
        if (more && stash.count(fd) >= PER_SOCKET && !cancelled) {
            // The reader has not kept up (paused, or slower than the peer): the socket's own
            // buffer holds the rest, and TCP slows the peer, as with one receive at a time.
            ring.prepare(IoUringAbi.IORING_OP_ASYNC_CANCEL, -1, data, 0, 0, 0, cancelData);
            cancelling[fd] = true;
        }
        if (events != null) {
            regs.kernelEvent(fd, regs.generation(fd), EventBuffer.READ, events);
        }
    }

    /**
     * {@code fd}'s registration ends: its receive is cancelled (the buffer it may have taken
     * comes back with its completion), its stash goes back to the ring.
     */
    void stop(int fd) throws IOException {
        if (fd >= inFlight.length) {
            return;
        }
        if (inFlight[fd] != NONE) {
            ring.prepare(IoUringAbi.IORING_OP_ASYNC_CANCEL, -1, inFlight[fd], 0, 0, 0, cancelData);
            inFlight[fd] = NONE;
        }
        stopped(fd);
    }

    private void stopped(int fd) {
        stash.clear(fd, this::dropped);
        cancelling[fd] = false;
        ended[fd] = NO_END;
        direct[fd] = false;
    }

    /** Receives submitted whose completion has not come. */
    int outstanding() {
        return outstanding;
    }

    /** Buffers lent to readers and not yet returned. */
    int lent() {
        return lent;
    }

    /** Buffers lent so far, for tests. */
    long lends() {
        return lends;
    }

    /** Receives and fallback polls submitted so far, for tests. */
    long armed() {
        return armed;
    }

    /** Buffers stashed for sockets (out of the ring), for tests. */
    int held() {
        return held;
    }

    /** Frees the buffers: only once no receive is in flight, else they stay with the process. */
    boolean quiesced() {
        if (outstanding > 0 || lent > 0) {
            return false;
        }
        memory.close();
        return true;
    }

    boolean memoryReleased() {
        return !memory.scope().isAlive();
    }
}
