package io.ffpoll.multiplexer;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Coalesces cross-thread wakeups so that the kernel is signalled only when the poller is
 * blocked (Go's netpollWakeSig, Netty's nextWakeupNanos). A wakeup while the owner is running
 * just flags the next poll as non-blocking; a burst of wakeups during one blocked poll signals
 * once.
 */
final class WakeupLatch {
    private static final int RUNNING = 0;      // owner is not in poll; no wakeup pending
    private static final int BLOCKED = 1;      // owner is (about to be) waiting in the kernel
    private static final int PENDING = 2;      // a wakeup arrived; the next poll must not block
    private static final int SIGNALLING = 3;   // a waker is writing to the kernel object
    private static final int CLOSED = 4;

    private final AtomicInteger state = new AtomicInteger(RUNNING);

    /** Something that signals the kernel object the poller waits on (an eventfd write). */
    interface Signal {
        void signal();
    }

    /**
     * Called by the owner before waiting. Returns false when a wakeup is pending, so the wait
     * must not block; that wakeup is then consumed.
     */
    boolean prepareToBlock() {
        if (state.compareAndSet(RUNNING, BLOCKED)) {
            return true;
        }
        // PENDING is consumed here; SIGNALLING becomes PENDING shortly and costs one more
        // non-blocking poll (a spurious wakeup, which the contract allows).
        state.compareAndSet(PENDING, RUNNING);
        return false;
    }

    /** Called by the owner after a wait that {@link #prepareToBlock()} allowed. */
    void blocked() {
        // A wakeup that came during the wait leaves PENDING or SIGNALLING: the next poll then
        // does not block, at the cost of one spurious wakeup.
        state.compareAndSet(BLOCKED, RUNNING);
    }

    /** Called from any thread. */
    void wake(Signal signal) {
        while (true) {
            int s = state.get();
            switch (s) {
                case RUNNING -> {
                    if (state.compareAndSet(RUNNING, PENDING)) {
                        return;
                    }
                }
                case BLOCKED -> {
                    if (state.compareAndSet(BLOCKED, SIGNALLING)) {
                        try {
                            signal.signal();
                        } finally {
                            state.compareAndSet(SIGNALLING, PENDING);
                        }
                        return;
                    }
                }
                default -> {
                    return; // PENDING, SIGNALLING: already on its way; CLOSED: nothing to wake
                }
            }
        }
    }

    /** Called by the owner on close; waits for a signal in progress, so none hits a closed fd. */
    void close() {
        while (true) {
            int s = state.get();
            if (s == SIGNALLING) {
                Thread.onSpinWait();
            } else if (s == CLOSED || state.compareAndSet(s, CLOSED)) {
                return;
            }
        }
    }
}
