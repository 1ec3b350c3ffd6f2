package io.ffpoll.multiplexer.uring;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.linux.IoUringAbi;
import io.ffpoll.bindings.linux.Sockets;
import io.ffpoll.multiplexer.backend.EventBuffer;
import io.ffpoll.multiplexer.backend.Registrations;

import java.io.IOException;
import java.util.Arrays;

/**
 * The accepting side of {@link IoUringBackend} (Linux 5.19): one multishot
 * {@code IORING_OP_ACCEPT} per listening socket, which accepts every connection that comes, in
 * the loop's enter, and posts each new fd as a completion. The fds wait here, in order with the
 * errors that ended an accept, until the listener {@link #take}s them; the listener is reported
 * readable when one comes.
 *
 * <p>The accept runs only while the listener wants input (its interest includes READ) and holds
 * fewer than {@link #HOLD} fds here: a listener that pauses or suspends accepting, or falls
 * behind, has its accept cancelled, and further connections wait in the kernel's backlog as on
 * epoll. A connection accepted before the cancel took effect still comes, and is kept. An error
 * (EMFILE, ECONNABORTED...) ends the kernel's multishot; the accept is armed again at the next
 * poll that finds the listener wanting input.
 *
 * <p>When the listener's registration ends, its accept is cancelled, and every fd accepted for
 * it and not taken (held here, or still coming in a completion) is closed: nobody else knows it.
 */
final class Accepts {
    /** user_data bit 60 with bit 61 ({@link Receives#TAG}) tags an accept. */
    static final long MARK = 1L << 60;
    /**
     * Accepted fds one listener holds here before its accept is cancelled. A soft bound: the
     * enter that brings it there may bring a whole backlog's worth more.
     */
    static final int HOLD = 128;
    private static final long NONE = -1L;
    private static final int FLAGS = Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC;
    // Never counted (no syscall is made); under fault injection a take fails as accept4 would.
    private static final Syscalls.Counter ACCEPT = Syscalls.counter("IORING_OP_ACCEPT");

    private final Ring ring;
    private final Registrations regs;
    private final long cancelData;
    private int outstanding; // accepts submitted whose last completion has not come

    private int[] generation = new int[0]; // of the registration accepted for, else -1
    private long[] inFlight = new long[0];  // the user_data of the fd's accept, or NONE
    private boolean[] cancelling = new boolean[0];
    private int[][] held = new int[0][];     // per listener: accepted fds and -errnos, a ring
    private int[] first = new int[0];
    private int[] count = new int[0];
    private int[] listeners = new int[4];
    private int listenerCount;

    Accepts(Ring ring, Registrations regs, long cancelData) {
        this.ring = ring;
        this.regs = regs;
        this.cancelData = cancelData;
    }

    static boolean isAccept(long userData) {
        return userData > 0 && (userData & (SendSlots.TAG | Receives.TAG | MARK)) == (Receives.TAG | MARK);
    }

    private void ensure(int fd) {
        if (fd >= generation.length) {
            int old = generation.length;
            int n = Math.max(Math.max(old * 2, 64), fd + 1);
            generation = Arrays.copyOf(generation, n);
            inFlight = Arrays.copyOf(inFlight, n);
            cancelling = Arrays.copyOf(cancelling, n);
            held = Arrays.copyOf(held, n);
            first = Arrays.copyOf(first, n);
            count = Arrays.copyOf(count, n);
            Arrays.fill(generation, old, n, -1);
            Arrays.fill(inFlight, old, n, NONE);
        }
    }

    /** Whether {@code fd}'s current registration is accepted for here. */
    boolean isAccepting(int fd) {
        return fd < generation.length && generation[fd] == regs.generation(fd) && regs.isRegistered(fd);
    }

    /** From the next poll on, {@code fd}'s current registration (a listening socket) is accepted for here. */
    void start(int fd) throws IOException {
        ensure(fd);
        stop(fd); // what an earlier registration of the number left, if anything
        generation[fd] = regs.generation(fd);
        if (held[fd] == null) {
            held[fd] = new int[16];
        }
        if (listenerCount == listeners.length) {
            listeners = Arrays.copyOf(listeners, listenerCount * 2);
        }
        listeners[listenerCount++] = fd;
    }

    /**
     * Before the poll's enter: arms or cancels each listener's accept as its interest and hold
     * say. A registration that ended without {@link #stop} (deregistered before it reached the
     * kernel, its poll failed, or its number registered again in one iteration) is stopped
     * here, before the enter that would otherwise keep its accept, and its socket, alive.
     */
    void update() throws IOException {
        for (int i = 0; i < listenerCount; i++) {
            int fd = listeners[i];
            if (!isAccepting(fd)) {
                stop(fd); // moves the last listener into slot i
                i--;
                continue;
            }
            boolean wanted = (regs.interest(fd) & EventBuffer.READ) != 0 && count[fd] < HOLD;
            if (wanted && inFlight[fd] == NONE && regs.isInKernel(fd)) {
                long data = Receives.TAG | MARK | ((long) (generation[fd] & 0x0FFF_FFFF) << 32) | (fd & 0xFFFF_FFFFL);
                ring.prepareAccept(fd, FLAGS, data);
                inFlight[fd] = data;
                outstanding++;
            } else if (!wanted && inFlight[fd] != NONE && !cancelling[fd]) {
                ring.prepare(IoUringAbi.IORING_OP_ASYNC_CANCEL, -1, inFlight[fd], 0, 0, 0, cancelData);
                cancelling[fd] = true;
            }
        }
    }

    /**
     * The next connection accepted for listener {@code fd}: its fd, the -errno that ended an
     * accept, or -EAGAIN while none is held.
     */
    int take(int fd) {
        if (!isAccepting(fd)) {
            throw new IllegalStateException("fd " + fd + " is not accepted for by the ring");
        }
        if (count[fd] == 0) {
            return -ErrnoCodes.EAGAIN;
        }
        int fault = ACCEPT.fault();
        if (fault != 0) {
            return -fault; // injected: the connection stays held for the next take
        }
        int[] q = held[fd];
        int r = q[first[fd]];
        first[fd] = (first[fd] + 1) % q.length;
        count[fd]--;
        return r;
    }

    private void hold(int fd, int r) {
        int[] q = held[fd];
        if (count[fd] == q.length) {
            int[] bigger = new int[q.length * 2];
            for (int k = 0; k < count[fd]; k++) {
                bigger[k] = q[(first[fd] + k) % q.length];
            }
            held[fd] = q = bigger;
            first[fd] = 0;
        }
        q[(first[fd] + count[fd]) % q.length] = r;
        count[fd]++;
    }

    /**
     * An accept's completion: the fd or error is held for the listener, which is reported
     * readable into {@code events}; an fd accepted for a registration that has ended is closed
     * (also while closing, {@code events} null).
     */
    void completed(long data, int res, boolean more, EventBuffer events) {
        if (!more) {
            outstanding--;
        }
        int fd = (int) data;
        boolean mine = fd < inFlight.length && inFlight[fd] == data;
        // The accept of the fd's current registration: a number closed and registered again
        // has another generation, and the old socket's connections are not the new one's.
        boolean current = events != null && mine && isAccepting(fd)
                && (int) ((data >>> 32) & 0x0FFF_FFFF) == (generation[fd] & 0x0FFF_FFFF);
        if (!current) {
            if (res >= 0) {
                Fd.close(res); // its listener is closed or deregistered
            }
            if (!more && mine) {
                inFlight[fd] = NONE;
                cancelling[fd] = false;
            }
            return;
        }
        if (!more) {
            inFlight[fd] = NONE;
            cancelling[fd] = false;
        }
        if (res == -IoUringAbi.ECANCELED) {
            return; // paused, suspended or full: what waits stays in the backlog
        }
        hold(fd, res);
        regs.kernelEvent(fd, regs.generation(fd), EventBuffer.READ, events);
    }

    /** Closes every fd held here, without a syscall to the ring: for a ring that will not enter again. */
    void closeHeld() {
        for (int i = 0; i < listenerCount; i++) {
            closeHeld(listeners[i]);
        }
    }

    private void closeHeld(int fd) {
        while (count[fd] > 0) {
            int r = held[fd][first[fd]];
            first[fd] = (first[fd] + 1) % held[fd].length;
            count[fd]--;
            if (r >= 0) {
                Fd.close(r);
            }
        }
    }

    /** Fds accepted for {@code fd} and not yet taken, for tests. */
    int held(int fd) {
        return fd < count.length && isAccepting(fd) ? count[fd] : 0;
    }

    /** {@code fd}'s registration ends: its accept is cancelled and the fds held for it are closed. */
    void stop(int fd) throws IOException {
        if (fd >= generation.length) {
            return;
        }
        if (inFlight[fd] != NONE && !cancelling[fd]) {
            ring.prepare(IoUringAbi.IORING_OP_ASYNC_CANCEL, -1, inFlight[fd], 0, 0, 0, cancelData);
            cancelling[fd] = true;
        }
        // Completions still coming are for no registration now: completed() closes their fds.
        generation[fd] = -1;
        closeHeld(fd);
        for (int i = 0; i < listenerCount; i++) {
            if (listeners[i] == fd) {
                listeners[i] = listeners[--listenerCount];
                break;
            }
        }
    }

    /** Accepts submitted whose last completion has not come. */
    int outstanding() {
        return outstanding;
    }
}
