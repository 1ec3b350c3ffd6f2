package io.ffpoll.multiplexer.uring;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.linux.IoUringAbi;
import io.ffpoll.multiplexer.backend.EventBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.function.IntSupplier;

/**
 * Hands each completion {@link IoUringBackend}'s ring posted to the side it belongs to, told by
 * its user_data: the wakeup eventfd's poll, sends, accepts, receives, closes, and readiness
 * polls. Loop thread only.
 */
final class Completions {
    /** The wakeup eventfd's poll: fd bits 0xFFFFFFFF, which no fd has. */
    static final long WAKEUP_DATA = -1L;
    /** A cancel, whose own completion says nothing. */
    static final long REMOVE_DATA = -2L;
    /** A close SQE. */
    static final long CLOSE_DATA = -3L;
    private static final Logger LOG = LoggerFactory.getLogger(IoUringBackend.class);

    private final Ring ring;
    private final Polls polls;
    private final SendSlots sends;
    private final Receives receives; // or null
    private final Accepts accepts;   // or null
    private boolean wakeupArmed;

    Completions(Ring ring, Polls polls, SendSlots sends, Receives receives, Accepts accepts) {
        this.ring = ring;
        this.polls = polls;
        this.sends = sends;
        this.receives = receives;
        this.accepts = accepts;
    }

    /** Whether the wakeup eventfd's multishot poll is armed (the kernel may end it). */
    boolean wakeupArmed() {
        return wakeupArmed;
    }

    void wakeupArmedNow() {
        wakeupArmed = true;
    }

    /**
     * Consumes every posted completion, readiness into {@code events}. With {@code events} null
     * (the backend is closing) readiness is dropped; sends, accepts and receives still count,
     * as they hold memory or fds.
     */
    void reap(EventBuffer events) throws IOException {
        int n = ring.ready();
        int i = 0;
        try {
            for (; i < n; i++) {
                dispatch(i, events);
            }
        } finally {
            // A handler that threw (a re-arm found the SQ full and the kernel refusing) has
            // consumed its completion and those before it: handled again by the close's reap,
            // an accepted fd would be closed twice, a receive's buffer given back twice.
            ring.advance(i < n ? i + 1 : n);
        }
    }

    private void dispatch(int i, EventBuffer events) throws IOException {
        long data = ring.userData(i);
        int res = ring.res(i);
        boolean more = (ring.cqeFlags(i) & IoUringAbi.IORING_CQE_F_MORE) != 0;
        if (data == WAKEUP_DATA) {
            wakeupArmed &= more;
        } else if (SendSlots.isSend(data)) {
            sends.completed(data, res, ring.cqeFlags(i));
        } else if (Accepts.isAccept(data)) {
            accepts.completed(data, res, more, events);
        } else if (Receives.isReceive(data)) {
            receives.completed(data, res, ring.cqeFlags(i), events);
        } else if (data == CLOSE_DATA) {
            closed(res);
        } else if (data != REMOVE_DATA && events != null) {
            polls.completed(data, res, more, events);
        }
    }

    private static void closed(int res) {
        if (res < 0) {
            // The fd is released all the same, as close(2)'s is; nobody is left to tell.
            LOG.debug("io_uring: a close SQE failed: {}", Errors.exception("close", -res).getMessage());
        }
    }

    /**
     * Waits until the cancelled operations have all completed. A cancel completes at once or
     * after the operation it found; the wait is bounded all the same, and the caller then leaves
     * the memory to the process instead of freeing it.
     */
    void await(IntSupplier outstanding, String what) throws IOException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (outstanding.getAsInt() > 0) {
            if (System.nanoTime() > deadline) {
                throw new IOException("io_uring: " + outstanding.getAsInt() + " cancelled " + what + " never completed");
            }
            ring.enter(1, 1, 100_000_000L);
            reap(null);
        }
    }
}
