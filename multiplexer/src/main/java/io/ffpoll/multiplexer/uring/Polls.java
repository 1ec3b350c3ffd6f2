package io.ffpoll.multiplexer.uring;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.linux.Epoll;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.linux.IoUringAbi;
import io.ffpoll.multiplexer.backend.EventBuffer;
import io.ffpoll.multiplexer.backend.Registrations;
import io.ffpoll.multiplexer.epoll.EpollBackend;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The readiness side of {@link IoUringBackend}: one multishot {@code IORING_OP_POLL_ADD} per
 * registered fd, for both directions, or for writability only where {@link Receives} takes the
 * fd's input; a poll the kernel ends is armed again, unless its file is one epoll refuses
 * (EPERM), which is refused as epoll refuses it. Loop thread only.
 */
final class Polls {
    private static final long NONE = -1L;
    private static final int POLL_MASK = IoUringAbi.POLLIN | IoUringAbi.POLLOUT | IoUringAbi.POLLRDHUP;
    // A listening socket other loops or processes also watch: each of their polls wakes per
    // connection, not one (no EPOLLEXCLUSIVE). io_uring's poll takes an exclusive wakeup even
    // while its loop is busy in a callback, or is cancelling the poll to close or suspend its
    // listener, where epoll passes over an epoll nobody waits on to one somebody does. The
    // connection would then wait for a loop that accepts it late, or never, until another came.
    private static final int SHARED_MASK = IoUringAbi.POLLIN;
    // A poll for writability only: its user_data differs from the poll it replaces (same fd and
    // generation), whose cancelled completion comes later and must not pass for the new one's.
    private static final long SENDS_ONLY = 1L << 60;
    private static final int SENDS_ONLY_MASK = IoUringAbi.POLLOUT;

    private final Ring ring;
    private final Registrations regs;
    private final Receives receives; // or null
    private final Accepts accepts;   // or null
    private final long cancelData;
    private long[] armed = new long[256]; // the user_data of fd's poll in the ring, or NONE
    private int epollProbe = -1; // made when the kernel first ends a poll; see refusedByEpoll
    private int[] remask = new int[16];
    private int remaskCount;

    Polls(Ring ring, Registrations regs, Receives receives, Accepts accepts, long cancelData) {
        this.ring = ring;
        this.regs = regs;
        this.receives = receives;
        this.accepts = accepts;
        this.cancelData = cancelData;
        Arrays.fill(armed, NONE);
    }

    private long[] armed(int fd) {
        if (fd >= armed.length) {
            int old = armed.length;
            armed = Arrays.copyOf(armed, Math.max(old * 2, fd + 1));
            Arrays.fill(armed, old, armed.length, NONE);
        }
        return armed;
    }

    /** One past the highest fd that has had a poll. */
    int size() {
        return armed.length;
    }

    private boolean isArmed(int fd) {
        return armed(fd)[fd] != NONE;
    }

    void arm(int fd) throws IOException {
        // 28 bits of generation: bits 60 to 62 tag. A clash after 2^28 registrations of one fd
        // number is harmless: armed[] says which poll is current.
        long data = ((long) (regs.generation(fd) & 0x0FFF_FFFF) << 32) | (fd & 0xFFFF_FFFFL);
        int mask = regs.isShared(fd) ? SHARED_MASK : POLL_MASK;
        if (ringTakesInput(fd)) {
            data |= SENDS_ONLY;
            mask = SENDS_ONLY_MASK;
        }
        ring.prepare(IoUringAbi.IORING_OP_POLL_ADD, fd, 0, IoUringAbi.IORING_POLL_ADD_MULTI, 0, mask, data);
        armed(fd)[fd] = data;
    }

    void disarm(int fd) throws IOException {
        long data = armed(fd)[fd];
        if (data != NONE) {
            // ASYNC_CANCEL, not POLL_REMOVE: a poll whose wakeup is being handled (a socket that
            // data keeps arriving on) refuses POLL_REMOVE with EALREADY and stays armed, holding
            // its closed socket open; a cancel marks it and it ends at its next check.
            ring.prepare(IoUringAbi.IORING_OP_ASYNC_CANCEL, -1, data, 0, 0, 0, cancelData);
            armed[fd] = NONE;
        }
    }

    /** Whether the ring receives or accepts {@code fd}'s input itself: its poll watches writability only. */
    private boolean ringTakesInput(int fd) {
        return (receives != null && receives.isReceiving(fd)) || (accepts != null && accepts.isAccepting(fd));
    }

    /** {@code fd}'s input is received now: a poll that watches input too is replaced at the next poll. */
    void remaskLater(int fd) {
        if (isArmed(fd)) {
            if (remaskCount == remask.length) {
                remask = Arrays.copyOf(remask, remaskCount * 2);
            }
            remask[remaskCount++] = fd;
        }
    }

    void remask() throws IOException {
        for (int i = 0; i < remaskCount; i++) {
            int fd = remask[i];
            long data = armed[fd];
            if (data != NONE && (data & SENDS_ONLY) == 0 && ringTakesInput(fd)) {
                disarm(fd);
                arm(fd);
            }
        }
        remaskCount = 0;
    }

    /** A poll's completion: readiness for the fd's current registration, else ignored. */
    void completed(long data, int res, boolean more, EventBuffer events) throws IOException {
        int fd = (int) data;
        // armed[] holds the poll of fd's current registration, if any: any other is one removed.
        if (fd >= armed.length || armed[fd] != data || !regs.isRegistered(fd) || regs.isPendingAdd(fd)) {
            return; // the end of a removed poll (ECANCELED, ENOENT), or an edge it posted first
        }
        if (res < 0) {
            armed[fd] = NONE;
            // A file with no wait queue and no readiness of interest fails the poll (EINVAL).
            int errno = res == -Err.EINVAL && refusedByEpoll(fd) ? Err.EPERM : -res;
            regs.addFailed(fd, errno, "io_uring_enter(IORING_OP_POLL_ADD, fd " + fd + ")");
            return;
        }
        if (!more && refusedByEpoll(fd)) {
            armed[fd] = NONE;
            regs.addFailed(fd, Err.EPERM, "io_uring_enter(IORING_OP_POLL_ADD, fd " + fd + ", nothing to wait on)");
            return;
        }
        regs.kernelEvent(fd, regs.generation(fd), EpollBackend.toReady(res), events);
        if (!more) {
            // The kernel ended the multishot: a completion it had no room for, or while its
            // overflow list held any. A new poll reports the current state first: nothing is lost.
            arm(fd);
        }
    }

    /**
     * Whether epoll_ctl refuses {@code fd} (EPERM): a file with no poll method, such as a
     * regular file, a directory or /dev/null, whose readiness never changes. The kernel ends an
     * io_uring poll on such a file at its first completion (with nothing to wait on it cannot
     * stay armed), and armed again at every iteration it would keep the loop from sleeping. A
     * full completion queue ends healthy polls too, so the kernel is asked, on an epoll set of
     * the backend's own that is never waited on: two epoll_ctl calls, only when a poll ends.
     * Where the probe itself fails (no epoll set to be had) the fd is armed again, as before.
     */
    private boolean refusedByEpoll(int fd) {
        if (epollProbe < 0) {
            int r = Epoll.epoll_create1(Epoll.EPOLL_CLOEXEC);
            if (r < 0) {
                return false;
            }
            epollProbe = r;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment event = Epoll.allocateEvents(arena, 1);
            Epoll.set(event, 0, Epoll.EPOLLIN, 0);
            int r = Epoll.epoll_ctl(epollProbe, Epoll.EPOLL_CTL_ADD, fd, event);
            if (r == 0) {
                Epoll.epoll_ctl(epollProbe, Epoll.EPOLL_CTL_DEL, fd, event);
            }
            return r == -Err.EPERM;
        }
    }

    /** Closes the probe's epoll set, if one was made. */
    void close() {
        if (epollProbe >= 0) {
            Fd.close(epollProbe); // never retried: the number is released whatever close says
            epollProbe = -1;
        }
    }
}
