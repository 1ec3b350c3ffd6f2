package io.ffpoll.multiplexer.backend;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Coalesces cross-thread wakeups so that the kernel is signalled only when the poller is
 * blocked (Go's netpollWakeSig, Netty's nextWakeupNanos). A wakeup while the owner is running
 * just flags the next poll as non-blocking; a burst of wakeups during one blocked poll signals
 * once.
 *
 * <p>The owner never waits for a waker. A waker that found the owner blocked claims the wakeup
 * (BLOCKED to PENDING) before it writes: if the owner then returns early for another reason, the
 * claim is consumed by {@link #blocked()} and the late write only ends one later wait (one
 * spurious wakeup, which the Poller contract allows). The owner cannot spin on a write in
 * progress: on one CPU, a loop that a waker's write preempted would otherwise poll with a zero
 * timeout until the waker was scheduled again.
 */
public final class WakeupLatch {
    private static final int AWAKE = 0;    // owner is not in a blocking wait; no wakeup pending
    private static final int BLOCKED = 1;  // owner is (about to be) waiting in the kernel
    private static final int PENDING = 2;  // a wakeup arrived (and, if the owner was blocked, is signalled)
    private static final int CLOSED = 3;

    private final AtomicInteger state = new AtomicInteger(AWAKE);
    // Wakers between claiming a wakeup and finishing their write, so close() can wait for them
    // and no write reaches a closed (and maybe reused) descriptor.
    private final AtomicInteger signalling = new AtomicInteger();
    private long signalled; // the owner's alone

    /** Something that signals the kernel object the poller waits on (an eventfd write). */
    public interface Signal {
        void signal();
    }

    /**
     * Called by the owner before waiting. Returns false when a wakeup is pending, so the wait
     * must not block; that wakeup is then consumed.
     */
    public boolean prepareToBlock() {
        if (state.compareAndSet(AWAKE, BLOCKED)) {
            return true;
        }
        state.compareAndSet(PENDING, AWAKE); // came while the owner was awake: it cost no signal
        return false;
    }

    /**
     * Called by the owner after a wait that {@link #prepareToBlock()} allowed. A wakeup claimed
     * during the wait is consumed here: its write ended this wait, or will end the next.
     */
    public void blocked() {
        if (!state.compareAndSet(BLOCKED, AWAKE) && state.compareAndSet(PENDING, AWAKE)) {
            signalled++; // a waker found this wait blocked and signalled it: one write, one count
        }
    }

    /**
     * Waits that wakers signalled so far: each cost its waker one write to the kernel object.
     * Wakeups that came while the owner was awake cost none and are not counted. Owner only.
     */
    public long signalled() {
        return signalled;
    }

    /** Called from any thread. */
    public void wake(Signal signal) {
        while (true) {
            int s = state.get();
            if (s == AWAKE) {
                if (state.compareAndSet(AWAKE, PENDING)) {
                    return;
                }
            } else if (s == BLOCKED) {
                if (state.compareAndSet(BLOCKED, PENDING)) {
                    signalling.incrementAndGet();
                    try {
                        // close() sets CLOSED before it reads the count: either it sees this
                        // waker and waits, or this waker sees CLOSED and does not write.
                        if (state.get() != CLOSED) {
                            signal.signal();
                        }
                    } finally {
                        signalling.decrementAndGet();
                    }
                    return;
                }
            } else {
                return; // PENDING: already on its way; CLOSED: nothing to wake
            }
        }
    }

    /** Called by the owner on close; waits for writes in progress, so none hits a closed fd. */
    public void close() {
        state.set(CLOSED);
        while (signalling.get() != 0) {
            Thread.onSpinWait();
        }
    }
}
