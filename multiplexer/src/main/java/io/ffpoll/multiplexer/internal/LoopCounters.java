package io.ffpoll.multiplexer.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One loop's counters: plain fields that only the loop's thread writes, so counting costs an
 * add and no atomic. Other threads read them through {@link #snapshot}: at the end of each
 * iteration the loop copies them into a published array under a sequence number (a seqlock),
 * and a reader takes a copy made between two equal, even sequence numbers. A reader thus sees
 * the counters as they were at the end of one iteration, all of them from the same one, and
 * never makes the loop wait. A wait in the poll is published twice: as under way when it
 * begins, and as ended when the poll returns.
 *
 * <p>Slots are indexes into {@link #counts}: {@code counts[BYTES_IN] += n}.
 */
public final class LoopCounters {
    public static final int ITERATIONS = 0;
    public static final int EVENTS = 1;
    public static final int TASKS_RUN = 2;
    public static final int TIMERS_FIRED = 3;
    public static final int WAKEUPS = 4;
    public static final int BUSY_NANOS = 5;
    public static final int IDLE_NANOS = 6;
    public static final int OPEN_CONNECTIONS = 7;
    public static final int ACCEPTS = 8;
    public static final int ACCEPT_ERRORS = 9;
    public static final int BYTES_IN = 10;
    public static final int BYTES_OUT = 11;
    public static final int DATAGRAMS_IN = 12;
    public static final int DATAGRAMS_OUT = 13;
    public static final int PAUSED_NOW = 14;
    public static final int PAUSED_TOTAL = 15;
    public static final int BUFFERS_IN_USE = 16;
    public static final int BUFFERS_FREE = 17;
    /** 1 while the loop waits in a poll that began at {@link #POLL_STARTED} (nanoTime), else 0. */
    public static final int IN_POLL = 18;
    public static final int POLL_STARTED = 19;
    public static final int SLOTS = 20;
    /** Errno values past this are counted under the last slot ({@link #acceptErrorSlots}). */
    public static final int MAX_ERRNO = 255;

    private static final VarHandle VERSION;

    static {
        try {
            VERSION = MethodHandles.lookup().findVarHandle(LoopCounters.class, "version", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The live counters: the loop thread's alone. */
    public final long[] counts = new long[SLOTS];
    private final long[] acceptErrors = new long[MAX_ERRNO + 1];
    private final long[] published = new long[SLOTS];
    private final long[] publishedAcceptErrors = new long[MAX_ERRNO + 1];
    /** The most idle time any reader was shown. */
    private final AtomicLong idleSeen = new AtomicLong();
    @SuppressWarnings("unused") // through VERSION
    private long version;

    /** Counts a failed accept(2). Loop thread only. */
    public void acceptFailed(int errno) {
        counts[ACCEPT_ERRORS]++;
        acceptErrors[Math.min(Math.max(errno, 0), MAX_ERRNO)]++;
    }

    /**
     * Makes the counters as they are now what readers see. Loop thread only, once an iteration:
     * an array copy between two ordered stores.
     */
    public void publish() {
        long v = (long) VERSION.get(this);
        VERSION.setOpaque(this, v + 1); // odd: a copy is under way
        VarHandle.storeStoreFence();
        boolean errorsChanged = published[ACCEPT_ERRORS] != counts[ACCEPT_ERRORS];
        System.arraycopy(counts, 0, published, 0, SLOTS);
        if (errorsChanged) {
            System.arraycopy(acceptErrors, 0, publishedAcceptErrors, 0, acceptErrors.length);
        }
        VERSION.setRelease(this, v + 2);
    }

    /**
     * Ends a wait that {@link #publish} showed as under way, and returns the time it ended
     * (nanoTime). Loop thread only, once its poll returns. Published at once, so that the work
     * the loop now does for the events is not counted by readers as more of the wait; the clock
     * is read inside the sequence, after a full fence, so that a reader that still saw the wait
     * under way read its own clock earlier and never counted more idle time than this.
     */
    public long waitEnded(long pollStarted) {
        long v = (long) VERSION.get(this);
        VERSION.setOpaque(this, v + 1);
        VarHandle.fullFence(); // the odd number before the stores below, and before the clock read
        long now = System.nanoTime();
        counts[IDLE_NANOS] += now - pollStarted;
        counts[IN_POLL] = 0;
        published[IDLE_NANOS] = counts[IDLE_NANOS];
        published[IN_POLL] = 0;
        VERSION.setRelease(this, v + 2);
        return now;
    }

    /**
     * Copies the published counters into {@code into} ({@link #SLOTS} long) and the accept
     * errors by errno into {@code errorsInto} ({@code MAX_ERRNO + 1} long, left as it is when
     * there are none); idle time includes a wait still under way. Any thread; retries while the
     * loop is copying, which takes a few nanoseconds.
     */
    public void snapshot(long[] into, long[] errorsInto) {
        for (int tries = 1; ; tries++) {
            long before = (long) VERSION.getAcquire(this);
            if ((before & 1) == 0) {
                System.arraycopy(published, 0, into, 0, SLOTS);
                if (into[ACCEPT_ERRORS] != 0) {
                    System.arraycopy(publishedAcceptErrors, 0, errorsInto, 0, publishedAcceptErrors.length);
                }
                long clock = System.nanoTime(); // before the check: see waitEnded
                VarHandle.loadLoadFence();
                if ((long) VERSION.getVolatile(this) == before) {
                    if (into[IN_POLL] != 0) {
                        // Still waiting: the wait so far is idle time already.
                        into[IDLE_NANOS] += Math.max(0, clock - into[POLL_STARTED]);
                    }
                    // Clocks read on two CPUs may disagree by a little: idle time never goes back.
                    into[IDLE_NANOS] = idleSeen.accumulateAndGet(into[IDLE_NANOS], Math::max);
                    return;
                }
            }
            if (tries % 64 == 0) {
                Thread.yield(); // the loop was preempted mid-copy: let it finish
            } else {
                Thread.onSpinWait();
            }
        }
    }

    @Override
    public String toString() {
        return "LoopCounters" + Arrays.toString(counts);
    }
}
