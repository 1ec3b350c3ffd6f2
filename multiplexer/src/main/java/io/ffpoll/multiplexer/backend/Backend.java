package io.ffpoll.multiplexer.backend;

import io.ffpoll.bindings.platform.Gather;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * A readiness backend under {@link io.ffpoll.multiplexer.Poller} (epoll, kqueue). The contract,
 * as Go states its netpoll's:
 * <ul>
 * <li>{@code register}, {@code modify}, {@code deregister} only queue changes; {@link #poll}
 *     applies them and waits, in one syscall. Interest and remembered readiness live in user
 *     space ({@link Registrations}): each fd is added to the kernel once, for both directions,
 *     edge-triggered.</li>
 * <li>{@link #poll} with a timeout below 0 blocks, 0 polls without blocking, above 0 waits at
 *     most that long, rounded up to the kernel's resolution (never early, never a spin).</li>
 * <li>{@link #wakeup()} is the only method other threads may call.</li>
 * </ul>
 * A new backend (io_uring, say) extends this class in a package of its own; nothing else has
 * to change but {@code Poller.open}.
 */
public abstract class Backend {
    protected final Registrations regs = new Registrations();
    protected boolean open = true;

    /** "epoll", "kqueue". */
    public abstract String name();

    protected static void checkFd(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("invalid fd " + fd);
        }
    }

    protected final void ensureOpen() {
        if (!open) {
            throw new IllegalStateException("poller is closed");
        }
    }

    /** Queues {@code fd}'s registration; {@code shared}: its file is also waited on elsewhere. */
    public final void register(int fd, int interest, Object attachment, boolean shared) {
        checkFd(fd);
        ensureOpen();
        regs.register(fd, interest, attachment, shared);
    }

    public final void modify(int fd, int interest) {
        ensureOpen();
        regs.modify(fd, interest, regs.attachment(fd));
    }

    public final void modify(int fd, int interest, Object attachment) {
        ensureOpen();
        regs.modify(fd, interest, attachment);
    }

    public final void clearReadiness(int fd, int which) {
        ensureOpen();
        regs.clearReadiness(fd, which);
    }

    /** Whether {@code fd}'s readiness for {@code which} is remembered: reported, and not cleared by an EAGAIN since. */
    public final boolean isReady(int fd, int which) {
        return regs.isReady(fd, which);
    }

    public final void redeliver(int fd, int which) {
        ensureOpen();
        regs.redeliver(fd, which);
    }

    public final void deregister(int fd) {
        ensureOpen();
        regs.deregister(fd);
    }

    /** Forgets {@code fd}'s registration and closes it; the fd is released even if close fails. */
    public abstract void deregisterAndClose(int fd) throws IOException;

    /**
     * As {@link #deregisterAndClose}, where the backend may leave the close to its next poll and
     * batch it there (io_uring: a close SQE in that poll's enter). The fd stays open, its number
     * taken, until then; a failure of a close left for later is logged, not thrown. Here: at once.
     */
    public void deregisterAndCloseSoon(int fd) throws IOException {
        deregisterAndClose(fd);
    }

    public final boolean isRegistered(int fd) {
        return open && regs.isRegistered(fd);
    }

    public final int[] registeredFds() {
        return open ? regs.registeredFds() : new int[0];
    }

    /**
     * How many times {@code fd}'s number was closed through this backend
     * ({@link #deregisterAndClose}, or a close queued by {@link #deregisterAndCloseSoon}): a
     * change tells that whoever registered the number has closed it.
     */
    public final int closes(int fd) {
        return regs.closes(fd);
    }

    public final boolean isCurrent(int fd, int generation) {
        return regs.isCurrent(fd, generation);
    }

    /** Applies the queued changes and waits, in one syscall; fills {@code events}; -1 waits without limit. */
    public abstract int poll(EventBuffer events, long timeoutNanos) throws IOException;

    /** The thread that alone may poll from now on (io_uring's after its first poll), or null for any. */
    public Thread boundTo() {
        return null;
    }

    /** Makes the current or next poll return promptly; any thread. */
    public abstract void wakeup();

    /** Blocking waits other threads ended so far ({@link WakeupLatch#signalled()}). Poller thread. */
    public abstract long wakeupsSignalled();

    /** Releases the kernel objects and memory; idempotent. */
    public abstract void close() throws IOException;

    public final boolean isOpen() {
        return open;
    }

    /** Whether the backend's native memory has been freed (for leak tests). */
    public abstract boolean memoryReleased();

    /** What a completed send reports to: its result, the bytes sent or -errno. Loop thread. */
    public interface SendCompletion {
        void completed(int result);

        /**
         * Whether the socket takes zero-copy sends (a TCP socket): the backend may then make a
         * large send one, where it is configured to. False by default.
         */
        default boolean mayZeroCopy() {
            return false;
        }

        /**
         * The socket refused a zero-copy send (EOPNOTSUPP: not a TCP socket after all). Nothing
         * was sent; the send completes with -EAGAIN, and its sender should not ask again.
         */
        default void zeroCopyRefused() {}
    }

    /**
     * Whether {@link #send} queues sends for the kernel to complete (io_uring); false for a
     * readiness backend, whose callers make the sendmsg syscall themselves.
     */
    public boolean completesSends() {
        return false;
    }

    /**
     * Queues a send (MSG_NOSIGNAL) of the first {@code count} iovecs of {@code gather} on
     * {@code fd}, submitted by the next poll; {@code done} hears its result from
     * {@link #runCompletions()} after a later poll. The gather and the bytes it points at must
     * stay untouched until then: the kernel reads them while the send is in flight. A send that
     * cannot go at once (a full socket) waits in the kernel until it can; it completes once some
     * bytes are sent.
     *
     * @return the send's handle, for {@link #cancelSend}
     */
    public long send(int fd, Gather gather, int count, SendCompletion done) throws IOException {
        throw new UnsupportedOperationException(name() + " completes no sends");
    }

    /**
     * Asks the kernel to cancel send {@code handle}; its completion still comes (ECANCELED, or
     * the bytes it sent first). Nothing is done for a send reaped already, whose report is due.
     */
    public void cancelSend(long handle) throws IOException {
        throw new UnsupportedOperationException(name() + " completes no sends");
    }

    /** Sends queued or in flight and not yet reported. */
    public int sendsInFlight() {
        return 0;
    }

    /**
     * Cancels every send in flight and waits until the kernel has given each back, then reports
     * them: after this the memory they pointed at may be freed. For a closing loop.
     */
    public void quiesceSends() throws IOException {
    }

    /**
     * Reports the sends that completed in the last poll to their {@link SendCompletion}s, in
     * completion order; one that throws is logged by the caller's wrapper and the rest still run.
     *
     * @return how many were reported
     */
    public int runCompletions() {
        return 0;
    }

    /**
     * Whether {@link #receiveInto} is available: the kernel receives a socket's input into the
     * backend's own buffers (io_uring's provided buffers); false for a readiness backend.
     */
    public boolean completesReceives() {
        return false;
    }

    /**
     * From the next poll on, the kernel receives registered stream socket {@code fd}'s input,
     * one buffer at a time, and readiness READ means a receive completed (with data, the end of
     * the stream or an error: READ alone, never READ_CLOSED or ERROR); the caller then reads with
     * {@link #receive} only, never read(2) itself. Ends with the registration: what was received
     * and not yet taken is dropped then, so the connection layer, its only user, closes the fd
     * with it. Loop thread.
     */
    public void receiveInto(int fd) {
        throw new UnsupportedOperationException(name() + " completes no receives");
    }

    /**
     * Copies up to {@code room} bytes of {@code fd}'s received input into {@code dst}, as a
     * non-blocking read(2) would: the bytes copied, 0 at the end of the stream, -EAGAIN while
     * nothing has come, or the receive's -errno.
     */
    public long receive(int fd, MemorySegment dst, long room) {
        throw new UnsupportedOperationException(name() + " completes no receives");
    }

    /**
     * Lends {@code fd}'s received input in place, saving {@link #receive}'s copy: a read-only
     * view of every byte received and not yet taken, which the caller reads and returns with
     * {@link #giveBackReceived} after its last read of it, before the loop's next poll: the
     * kernel may receive into it again as soon as it is returned. The next receive for the fd
     * is queued as the view is lent.
     *
     * @return the view, or null when nothing is held for the fd: {@link #receive} then says
     *     what there is (the end of the stream, an error, or -EAGAIN)
     */
    public MemorySegment lendReceived(int fd) {
        throw new UnsupportedOperationException(name() + " completes no receives");
    }

    /**
     * Returns a view {@link #lendReceived} lent, once its bytes are read or copied.
     *
     * @throws IllegalStateException for a view not lent, or already returned
     */
    public void giveBackReceived(MemorySegment lent) {
        throw new UnsupportedOperationException(name() + " completes no receives");
    }

    /**
     * Whether {@link #acceptFor} is available: the kernel accepts a listening socket's
     * connections itself (io_uring's multishot accept); false for a readiness backend.
     */
    public boolean completesAccepts() {
        return false;
    }

    /**
     * From the next poll on, the kernel accepts registered listening socket {@code fd}'s
     * connections while its interest includes READ, and readiness READ means one was accepted
     * (or an accept failed); the caller then takes them with {@link #accept} only, never
     * accept(2) itself. Ends with the registration, which closes what was accepted and not
     * taken. Loop thread.
     */
    public void acceptFor(int fd) throws IOException {
        throw new UnsupportedOperationException(name() + " completes no accepts");
    }

    /**
     * The next connection accepted for {@code fd}, as a non-blocking accept4(2) with
     * SOCK_NONBLOCK|SOCK_CLOEXEC and no address would return it: the new fd, -EAGAIN while none
     * has come, or the -errno of an accept that failed.
     */
    public int accept(int fd) {
        throw new UnsupportedOperationException(name() + " completes no accepts");
    }

    /** Rounds up, so that a 0.3 ms timeout waits 1 ms instead of spinning; below 0 stays "forever". */
    protected static int toMillis(long nanos) {
        if (nanos < 0) {
            return -1;
        }
        long millis = nanos / 1_000_000 + (nanos % 1_000_000 == 0 ? 0 : 1);
        return (int) Math.min(millis, Integer.MAX_VALUE);
    }
}
