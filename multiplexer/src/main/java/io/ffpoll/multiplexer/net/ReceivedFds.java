package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.Platform;

import java.util.Objects;

/**
 * The descriptors one {@link FdPassingChannel#receive} brought, and what it says about them:
 * a holder the caller makes once and passes to every receive, so a receive allocates nothing
 * (its array is sized on first use, to what the channel's control buffer can bring).
 *
 * <p>Ownership: after a receive the descriptors here are the caller's, open and close-on-exec.
 * Take them ({@link #fd(int)}, then {@link #clear()}) or close them ({@link #closeAll()}); a
 * receive into a holder that still holds descriptors is refused, so that none is ever
 * overwritten and leaked. Not thread-safe: one receiving thread at a time.
 */
public final class ReceivedFds {
    private static final int[] NONE = new int[0];
    private int[] fds = NONE;
    private int count;
    private boolean controlTruncated;
    private boolean dataTruncated;

    /** An empty holder. */
    public ReceivedFds() {}

    /**
     * How many descriptors the last receive brought (0 after {@link #clear()} or {@link #closeAll()}).
     *
     * @return how many
     */
    public int count() {
        return count;
    }

    /**
     * Descriptor {@code i} of the last receive, in the order the sender gave them.
     *
     * @param i from 0 to {@link #count()} - 1
     * @return the descriptor
     * @throws IndexOutOfBoundsException if {@code i} is out of range
     */
    public int fd(int i) {
        Objects.checkIndex(i, count);
        return fds[i];
    }

    /**
     * Whether the last receive's control data was truncated ({@code MSG_CTRUNC}): the sender
     * passed more descriptors than the channel's {@link FdPassingChannel#maxFds()} leaves room
     * for. The descriptors that did arrive have been closed, so {@link #count()} is 0; the
     * bytes were received as usual.
     *
     * @return whether descriptors were lost
     */
    public boolean controlTruncated() {
        return controlTruncated;
    }

    /**
     * Whether the last receive dropped the end of a message longer than the caller's buffer
     * ({@code MSG_TRUNC}; only a seqpacket socket drops bytes, a stream keeps them for the next
     * receive).
     *
     * @return whether bytes were dropped
     */
    public boolean dataTruncated() {
        return dataTruncated;
    }

    /** The caller has taken the descriptors: forget them without closing them. */
    public void clear() {
        count = 0;
    }

    /**
     * Closes every descriptor held (never retried on EINTR) and forgets them.
     *
     * @return how many were closed
     */
    public int closeAll() {
        int n = count;
        count = 0; // first: a close that throws must not leave them to be closed twice
        Platform os = Platform.current();
        for (int i = 0; i < n; i++) {
            os.close(fds[i]);
        }
        return n;
    }

    /** The array a receive fills, at least {@code room} long. */
    int[] array(int room) {
        if (count != 0) {
            throw new IllegalStateException("the last receive's " + count + " descriptor(s) are still held:"
                    + " take them (clear()) or close them (closeAll()) first");
        }
        if (fds.length < room) {
            fds = new int[room];
        }
        return fds;
    }

    void filled(int count, boolean controlTruncated, boolean dataTruncated) {
        this.count = count;
        this.controlTruncated = controlTruncated;
        this.dataTruncated = dataTruncated;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("ReceivedFds[");
        for (int i = 0; i < count; i++) {
            b.append(i == 0 ? "" : ", ").append(fds[i]);
        }
        return b.append(controlTruncated ? "; control truncated" : "").append(dataTruncated ? "; data truncated" : "")
                .append(']').toString();
    }
}
