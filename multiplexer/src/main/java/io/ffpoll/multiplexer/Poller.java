package io.ffpoll.multiplexer;

import io.ffpoll.bindings.bsd.KeventAbi;
import io.ffpoll.bindings.bsd.KqueuePlatform;
import io.ffpoll.bindings.bsd.NativeKevent;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.backend.Backend;
import io.ffpoll.multiplexer.epoll.EpollBackend;
import io.ffpoll.multiplexer.kqueue.KqueueBackend;
import io.ffpoll.multiplexer.uring.IoUringBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Locale;

/**
 * A readiness multiplexer over the kernel's facility, epoll on Linux and kqueue on macOS and
 * FreeBSD, making exactly one syscall per {@link #poll}: the call that waits (and, on kqueue
 * and io_uring, applies the queued changes in the same call). On Linux, {@code open("io_uring")}
 * takes readiness from io_uring instead ({@link #open(String)}); a
 * {@link io.ffpoll.multiplexer.net.Connection} on such a loop also has its socket's reads and
 * sends done by the ring, with no read or send syscall.
 *
 * <h2>Contract</h2>
 * <ul>
 * <li>{@link #register}, {@link #modify}, {@link #deregister} only queue changes;
 *     {@link #poll} applies them and waits. Each fd is added once, edge-triggered for both
 *     directions; interest changes after that are user-space only.</li>
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
 * <li>Threading: one thread uses a Poller. Only {@link #wakeup()} may be called from others.
 *     On io_uring the first thread that polls owns the Poller for good: a poll from another
 *     thread throws {@link IllegalStateException} (the ring is SINGLE_ISSUER).</li>
 * </ul>
 */
public final class Poller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Poller.class);
    private final Backend backend;

    private Poller(Backend backend) {
        this.backend = backend;
    }

    /**
     * The platform a test brought with its own kernel ({@link Platform#PROVIDER_PROPERTY}), or
     * null: without the property the OS's platform is not even chosen here, so that an OS ffpoll
     * has no platform for still gets {@link #open()}'s clear refusal.
     */
    private static KqueuePlatform providedKernel() {
        if (System.getProperty(Platform.PROVIDER_PROPERTY, "").isEmpty()) {
            return null;
        }
        return Platform.current() instanceof KqueuePlatform own ? own : null;
    }

    /**
     * The system property that picks the Linux default of {@link #open()}: {@code epoll} (the
     * default), {@code io_uring} or {@code auto}, as {@link #open(String)} takes them. It lets a
     * program built on the default run on io_uring unchanged; elsewhere it is ignored.
     */
    public static final String ENGINE_PROPERTY = "ffpoll.engine";

    /**
     * Opens the backend for this OS: epoll on Linux (or what {@value #ENGINE_PROPERTY} names),
     * kqueue on macOS and FreeBSD; and the kqueue of the platform where the current platform
     * brings its own kernel ({@link KqueuePlatform}: the tests' NetBSD rump kernel).
     *
     * @return the poller
     * @throws IOException if the kernel object cannot be made
     */
    public static Poller open() throws IOException {
        KqueuePlatform own = providedKernel();
        if (own != null) {
            return new Poller(new KqueueBackend(own.keventCalls())); // its descriptors are its kernel's
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            String engine = System.getProperty(ENGINE_PROPERTY, "epoll");
            return engine.equals("epoll") ? new Poller(new EpollBackend()) : open(engine);
        }
        if (os.startsWith("mac")) {
            return new Poller(new KqueueBackend(NativeKevent.system(KeventAbi.MACOS)));
        }
        if (os.startsWith("freebsd")) {
            return new Poller(new KqueueBackend(NativeKevent.system(KeventAbi.FREEBSD)));
        }
        throw new UnsupportedOperationException("ffpoll has no backend for " + System.getProperty("os.name")
                + " (epoll on Linux, kqueue on macOS and FreeBSD)");
    }

    /**
     * Opens the named backend: {@code "epoll"} (Linux); {@code "io_uring"} (Linux >= 5.13:
     * multishot polls on a ring, and from 5.19 a {@link io.ffpoll.multiplexer.net.Connection}'s
     * socket reads too, into 4 MiB of buffers per loop, and a
     * {@link io.ffpoll.multiplexer.net.Listener}'s accepts; see below); {@code "auto"}: io_uring
     * where it can be set up, else the OS's default with one log line that says why; or
     * {@code "kqueue"}: the system's on macOS and FreeBSD, and on Linux libkqueue (a userspace
     * kqueue, for testing), loaded from the path in the system property {@code ffpoll.libkqueue},
     * or else as {@code libkqueue.so.0} from the dynamic linker's search path.
     *
     * <p>io_uring is not available everywhere Linux is: Docker's default seccomp profile and
     * {@code kernel.io_uring_disabled} refuse it (EPERM), and kernels without it answer ENOSYS.
     * {@code "io_uring"} then throws an IOException that names the call and the errno; on macOS
     * and FreeBSD it throws {@link UnsupportedOperationException}.
     *
     * @throws IllegalArgumentException for another name
     * @throws IllegalStateException for kqueue on Linux where libkqueue is not found
     * @throws UnsupportedOperationException for io_uring on another OS than Linux
     * @param name the name
     * @return the poller
     * @throws IOException if the kernel object cannot be made
     */
    public static Poller open(String name) throws IOException {
        java.util.Objects.requireNonNull(name, "name (epoll, io_uring, auto or kqueue)");
        if (!name.equals("kqueue") && providedKernel() != null) {
            // Its descriptors name its kernel's files: the host's epoll or ring would take them for its own.
            throw new UnsupportedOperationException(name + ": the platform -D" + Platform.PROVIDER_PROPERTY
                    + " names brings its own kernel, which has kqueue only");
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        switch (name) {
            case "epoll" -> {
                return new Poller(new EpollBackend());
            }
            case "io_uring" -> {
                if (!os.startsWith("linux")) {
                    throw new UnsupportedOperationException("io_uring is Linux-only; this is "
                            + System.getProperty("os.name") + " (use kqueue, the default here)");
                }
                return new Poller(new IoUringBackend());
            }
            case "auto" -> {
                if (!os.startsWith("linux")) {
                    return open();
                }
                try {
                    return new Poller(new IoUringBackend());
                } catch (IOException unavailable) {
                    LOG.info("io_uring unavailable, using epoll: {}", unavailable.getMessage());
                    return new Poller(new EpollBackend());
                }
            }
            case "kqueue" -> {
                if (os.startsWith("mac") || os.startsWith("freebsd") || providedKernel() != null) {
                    return open();
                }
                return new Poller(new KqueueBackend(NativeKevent.libkqueue()));
            }
            default -> throw new IllegalArgumentException("unknown backend '" + name + "' (known: epoll, io_uring, auto, kqueue)");
        }
    }

    /** The backend itself, for this package's tests of what only one backend does. */
    Backend unwrap() {
        return backend;
    }

    /**
     * The backend's name, e.g. {@code "epoll"}.
     *
     * @return the backend's name
     */
    public String backend() {
        return backend.name();
    }

    /**
     * Queues {@code fd} for registration with {@code interest}; events carry {@code attachment}.
     * A failure to add it (a closed fd, say) is reported by the next poll as an event whose
     * {@link Event#registrationFailure()} is set. On Linux a file whose readiness never changes
     * (a regular file, a directory, /dev/null: no poll method) is refused with EPERM, by
     * epoll_ctl, and on io_uring by the backend when the kernel ends the file's poll at once; a
     * procfs or sysfs file that has a poll is taken. kqueue takes a regular file (EVFILT_READ
     * reports the bytes past the offset).
     *
     * @throws IllegalArgumentException if {@code fd} is negative
     * @throws IllegalStateException if {@code fd} is already registered or the poller is closed
     * @param fd the descriptor
     * @param interest the directions to deliver
     * @param attachment what events for the fd carry
     */
    public void register(int fd, Interest interest, Object attachment) {
        backend.register(fd, interest.bits, attachment, false);
    }

    /**
     * {@link #register} for a file that other pollers also wait on through duplicates of the
     * descriptor (one listening socket served by several loops): read readiness only; on epoll
     * one event wakes one of them (EPOLLEXCLUSIVE), and {@link #deregisterAndClose} removes the
     * entry before the close, since epoll keeps it while a duplicate is open. On io_uring each
     * event wakes every one: its poll would keep an exclusive wakeup while its loop is busy or
     * leaving, where epoll passes it to a poller that waits.
     */
    void registerShared(int fd, Interest interest, Object attachment) {
        backend.register(fd, interest.bits, attachment, true);
    }

    /**
     * Changes the interest of a registered fd, in user space. Enabling a direction whose
     * readiness is remembered delivers it on the next poll.
     *
     * @throws IllegalStateException if {@code fd} is not registered or the poller is closed
     * @param fd the descriptor
     * @param interest the directions to deliver
     */
    public void modify(int fd, Interest interest) {
        backend.modify(fd, interest.bits);
    }

    /**
     * {@link #modify(int, Interest)} that also replaces the attachment.
     *
     * @param fd the descriptor
     * @param interest the directions to deliver
     * @param attachment what events for the fd carry
     */
    public void modify(int fd, Interest interest, Object attachment) {
        backend.modify(fd, interest.bits, attachment);
    }

    /**
     * Forgets remembered readiness, e.g. after read or write returned EAGAIN.
     *
     * @param fd the descriptor
     * @param which the directions
     */
    public void clearReadiness(int fd, Interest which) {
        backend.clearReadiness(fd, which.bits);
    }

    /**
     * Delivers the remembered readiness of {@code which} (where it is of interest) again on the
     * next poll, without a syscall: for a reader that stopped before EAGAIN to let others run.
     */
    void redeliver(int fd, Interest which) {
        backend.redeliver(fd, which.bits);
    }

    /**
     * Removes {@code fd}, which stays open: queued, applied by the next poll. Events of this
     * registration not yet handled become invalid ({@link Event#isValid()}). To close the fd
     * too, prefer {@link #deregisterAndClose}.
     *
     * @throws IllegalStateException if {@code fd} is not registered or the poller is closed
     * @param fd the descriptor
     */
    public void deregister(int fd) {
        backend.deregister(fd);
    }

    /**
     * Forgets {@code fd}'s registration (if any) and closes it, with no syscall where the
     * kernel drops a closed file from the set by itself (epoll, and kqueue on macOS and
     * FreeBSD; libkqueue needs its deletion first).
     *
     * @throws IOException if close(2) fails; the fd is released all the same
     * @param fd the descriptor
     */
    public void deregisterAndClose(int fd) throws IOException {
        backend.deregisterAndClose(fd);
    }

    /**
     * Whether {@code fd} is registered (or queued to be).
     *
     * @param fd the descriptor
     * @return whether it is registered
     */
    public boolean isRegistered(int fd) {
        return backend.isRegistered(fd);
    }

    /** The fds registered now (or queued to be), for closing what is left when a loop stops. */
    int[] registeredFds() {
        return backend.registeredFds();
    }

    /**
     * Applies queued changes and waits for events, in one syscall; fills {@code events} and
     * returns how many there are.
     *
     * @param timeout {@code null} to wait without limit, else zero or positive
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException if the poller is closed
     * @param events the buffer to fill
     * @return the number of events
     * @throws IOException if the wait fails (not on EINTR: that returns early)
     */
    public int poll(Events events, Duration timeout) throws IOException {
        long nanos;
        if (timeout == null) {
            nanos = -1;
        } else if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative timeout " + timeout + " (use null to wait without limit)");
        } else {
            nanos = io.ffpoll.multiplexer.internal.Durations.saturatedNanos(timeout);
        }
        return poll(events, nanos);
    }

    /** {@link #poll(Events, Duration)} with nanoseconds; -1 waits without limit. */
    int poll(Events events, long timeoutNanos) throws IOException {
        return backend.poll(events.buffer, timeoutNanos);
    }

    /**
     * Makes the current or next {@link #poll} return promptly. Thread-safe and cheap: it writes
     * to the kernel only when the poller is blocked, so a burst of wakeups costs about one write.
     * A no-op after close.
     */
    public void wakeup() {
        backend.wakeup();
    }

    /** Releases the poller's kernel objects and memory; idempotent. Registered fds stay open. */
    @Override
    public void close() throws IOException {
        backend.close();
    }

    /** {@return false once closed} */
    public boolean isOpen() {
        return backend.isOpen();
    }

    /** Whether the poller's native memory has been freed (for leak tests). */
    boolean memoryReleased() {
        return backend.memoryReleased();
    }
}
