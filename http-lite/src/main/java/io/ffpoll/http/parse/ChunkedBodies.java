package io.ffpoll.http.parse;

/**
 * The heap one loop lends to decoded chunked request bodies. A Content-Length body stays in
 * the connection's read buffer, but a chunked one is copied out of its framing into an array,
 * and those arrays are what a crowd of slow uploads would fill the heap with. So a body in
 * flight reserves each chunk's size as its size line arrives, before a byte of it is copied,
 * and a body that would take the loop past its budget is refused; the reservation is given
 * back when the request is complete or its connection ends. The arrays themselves grow only
 * with the bytes that arrived, up to what is reserved.
 *
 * <p>Budget: the system property {@value #BUDGET_PROPERTY} (bytes per loop) when set; else
 * a quarter of the maximum heap shared by as many loops as there are processors (the server's
 * default), and never less than one body at the body limit, so that the limit stays reachable.
 *
 * <p>One array of at most 64 KiB is kept per loop for the next body, so small chunked requests
 * allocate nothing, while a connection keeps none between requests. Loop thread only.
 */
final class ChunkedBodies {
    /** The system property that sets the budget, in bytes per loop. */
    static final String BUDGET_PROPERTY = "ffpoll.http.chunkedBodyBudget";
    static final byte[] EMPTY = new byte[0];
    private static final int SPARE_MAX = 64 * 1024;
    private static final int FIRST = 4096;

    final long budget;
    private long reserved;
    private byte[] spare = EMPTY;

    ChunkedBodies(long budget) {
        this.budget = budget;
    }

    /** The budget for a loop of a server whose body limit is {@code maxBody}. */
    static long defaultBudget(long maxBody) {
        String configured = System.getProperty(BUDGET_PROPERTY);
        if (configured != null) {
            long b = Long.parseLong(configured.strip());
            if (b < 0) {
                throw new IllegalArgumentException(BUDGET_PROPERTY + " must not be negative, got " + b);
            }
            return b;
        }
        long share = Runtime.getRuntime().maxMemory() / 4 / Runtime.getRuntime().availableProcessors();
        return Math.max(maxBody, share);
    }

    /** Reserves {@code n} more bytes for a body; false if that would pass the budget. */
    boolean reserve(long n) {
        if (n > budget - reserved) {
            return false;
        }
        reserved += n;
        return true;
    }

    void release(long n) {
        reserved -= n;
    }

    /** Bytes reserved by the bodies in flight now. */
    long reserved() {
        return reserved;
    }

    /**
     * An array for {@code used} bytes of {@code old} and at least {@code needed} in all,
     * at most {@code limit} (what the body reserved): doubling, so a body arriving in small
     * pieces is copied a bounded number of times.
     */
    byte[] grow(byte[] old, int used, int needed, long limit) {
        int capacity = (int) Math.min(limit, Math.max(needed, Math.max(FIRST, 2L * old.length)));
        byte[] a;
        if (used == 0 && spare.length >= capacity) {
            a = spare;
            spare = EMPTY;
        } else {
            a = new byte[capacity];
            System.arraycopy(old, 0, a, 0, used);
        }
        give(old);
        return a;
    }

    /** Takes back a body's array once its request no longer needs it: kept if small, for the next body. */
    void give(byte[] a) {
        if (a.length <= SPARE_MAX && a.length > spare.length) {
            spare = a;
        }
    }
}
