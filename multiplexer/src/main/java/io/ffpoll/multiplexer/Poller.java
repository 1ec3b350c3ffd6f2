package io.ffpoll.multiplexer;

import java.io.IOException;
import java.time.Duration;

/**
 * A readiness multiplexer over the kernel's facility (epoll on Linux), making exactly one
 * syscall per {@link #poll}: the call that waits.
 *
 * <h2>Contract</h2>
 * <ul>
 * <li>{@link #register}, {@link #modify}, {@link #deregister} only queue changes;
 *     {@link #poll} applies them and waits. On epoll each fd is added once, edge-triggered for
 *     both directions; interest changes after that are user-space only.</li>
 * <li>Readiness is edge-triggered: an fd is reported when it becomes ready, not while it stays
 *     ready. Read or write until EAGAIN before expecting another event. Events may be spurious.</li>
 * <li>Readiness is remembered: readiness the kernel reported while its direction was not of
 *     interest (or was not drained) is delivered, without a syscall, by the first poll after
 *     {@link #modify} enables that interest. Call {@link #clearReadiness} after EAGAIN to avoid a
 *     spurious event then.</li>
 * <li>Timeouts: {@code null} waits until an event or a {@link #wakeup()}; zero returns at once;
 *     a positive timeout is rounded up to whole milliseconds, so it never returns early because
 *     of rounding (a sub-millisecond wait is never a busy spin). A poll may return early, with
 *     no events (EINTR, wakeups).</li>
 * <li>Threading: one thread uses a Poller. Only {@link #wakeup()} may be called from others.</li>
 * </ul>
 */
public abstract sealed class Poller implements AutoCloseable permits EpollPoller {

    Poller() {}

    /** Opens the backend for this OS. */
    public static Poller open() throws IOException {
        String os = System.getProperty("os.name", "");
        if (os.startsWith("Linux")) {
            return new EpollPoller();
        }
        throw new UnsupportedOperationException("no ffpoll backend for " + os + " yet (Linux/epoll only)");
    }

    /** Opens the named backend ({@code "epoll"}); for tests and benchmarks. */
    public static Poller open(String backend) throws IOException {
        if (backend.equals("epoll")) {
            return new EpollPoller();
        }
        throw new IllegalArgumentException("unknown backend '" + backend + "' (known: epoll)");
    }

    /** The backend's name, e.g. {@code "epoll"}. */
    public abstract String backend();

    /**
     * Queues {@code fd} for registration with {@code interest}; events carry {@code attachment}.
     * A failure to add it (a closed fd, say) is reported by the next poll as an event whose
     * {@link Event#registrationFailure()} is set.
     *
     * @throws IllegalArgumentException if {@code fd} is negative
     * @throws IllegalStateException if {@code fd} is already registered or the poller is closed
     */
    public abstract void register(int fd, Interest interest, Object attachment);

    /**
     * {@link #register} for a file that other pollers also wait on through duplicates of the
     * descriptor (one listening socket served by several loops): one event wakes one of them
     * (EPOLLEXCLUSIVE on epoll), and {@link #deregisterAndClose} removes the entry before the
     * close, since the kernel keeps it while a duplicate is open. Read readiness only.
     */
    abstract void registerShared(int fd, Interest interest, Object attachment);

    /**
     * Changes the interest of a registered fd, in user space. Enabling a direction whose
     * readiness is remembered delivers it on the next poll.
     *
     * @throws IllegalStateException if {@code fd} is not registered or the poller is closed
     */
    public abstract void modify(int fd, Interest interest);

    /** {@link #modify(int, Interest)} that also replaces the attachment. */
    public abstract void modify(int fd, Interest interest, Object attachment);

    /** Forgets remembered readiness, e.g. after read or write returned EAGAIN. */
    public abstract void clearReadiness(int fd, Interest which);

    /**
     * Delivers the remembered readiness of {@code which} (where it is of interest) again on the
     * next poll, without a syscall: for a reader that stopped before EAGAIN to let others run.
     */
    abstract void redeliver(int fd, Interest which);

    /**
     * Removes {@code fd}, which stays open: queued, applied by the next poll (one
     * {@code epoll_ctl(DEL)}). Events of this registration not yet handled become invalid
     * ({@link Event#isValid()}). To close the fd too, prefer {@link #deregisterAndClose}.
     *
     * @throws IllegalStateException if {@code fd} is not registered or the poller is closed
     */
    public abstract void deregister(int fd);

    /**
     * Forgets {@code fd}'s registration (if any) and closes it, with no epoll syscall: the kernel
     * drops a closed file from every epoll set by itself (unless a duplicate of it is still open
     * elsewhere, in which case its events are ignored).
     *
     * @throws IOException if close(2) fails; the fd is released all the same
     */
    public abstract void deregisterAndClose(int fd) throws IOException;

    /** Whether {@code fd} is registered (or queued to be). */
    public abstract boolean isRegistered(int fd);

    /** The fds registered now (or queued to be), for closing what is left when a loop stops. */
    abstract int[] registeredFds();

    /**
     * Applies queued changes and waits for events, in one syscall; fills {@code events} and
     * returns how many there are.
     *
     * @param timeout {@code null} to wait without limit, else zero or positive
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException if the poller is closed
     */
    public final int poll(Events events, Duration timeout) throws IOException {
        long nanos;
        if (timeout == null) {
            nanos = -1;
        } else if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative timeout " + timeout + " (use null to wait without limit)");
        } else {
            nanos = Durations.saturatedNanos(timeout);
        }
        return poll(events, nanos);
    }

    /** {@link #poll(Events, Duration)} with nanoseconds; -1 waits without limit. */
    abstract int poll(Events events, long timeoutNanos) throws IOException;

    /**
     * Makes the current or next {@link #poll} return promptly. Thread-safe and cheap: it writes
     * to the kernel only when the poller is blocked, so a burst of wakeups costs about one write.
     * A no-op after close.
     */
    public abstract void wakeup();

    /** Releases the poller's kernel objects and memory; idempotent. Registered fds stay open. */
    @Override
    public abstract void close() throws IOException;

    public abstract boolean isOpen();

    /** Whether the registration of {@code fd} is still the one of {@code generation}. */
    abstract boolean isCurrent(int fd, int generation);
}
