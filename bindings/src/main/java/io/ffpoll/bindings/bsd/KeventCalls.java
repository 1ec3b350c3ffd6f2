package io.ffpoll.bindings.bsd;

import java.lang.foreign.MemorySegment;

/**
 * kqueue(2) and kevent(2), the seam under the kqueue backend: a real implementation links them
 * from libc on macOS and FreeBSD, or from libkqueue on Linux ({@link NativeKevent}); a scripted
 * model in the tests stands in for the kernel behaviours neither of those shows here.
 */
public interface KeventCalls {
    /** The layout of the kevents these calls take. */
    KeventAbi abi();

    /** What implements them, for messages: "kqueue (libc)", "kqueue (libkqueue ...)". */
    String name();

    /** A new kqueue: its fd, or -errno. */
    int kqueue();

    /**
     * Applies {@code nchanges} changes, then collects up to {@code nevents} events, waiting up
     * to {@code timeout} (a {@code struct timespec}; NULL waits without limit): the number of
     * events, or -errno. {@code errnoState} is a capture segment
     * ({@link io.ffpoll.bindings.internal.Errno#allocateState}), or null for the calling thread's own.
     * A count of kevents larger than its list's segment, or a timeout segment smaller than a
     * timespec, is an IndexOutOfBoundsException before the call.
     */
    int kevent(int kq, MemorySegment changes, int nchanges, MemorySegment events, int nevents,
               MemorySegment timeout, MemorySegment errnoState);

    /** Closes a descriptor (the kqueue itself, or one the kernel must forget). */
    int close(int fd);

    /**
     * Whether closing a descriptor removes its registrations, as the BSD kernels do. libkqueue
     * does not: its registrations must be deleted before the close, or a reused fd number
     * inherits them.
     */
    boolean closeRemovesRegistrations();

    /**
     * Whether a call that writes {@code EV_ERROR} entries for failed changes returns them at
     * once, without waiting, as FreeBSD's and XNU's {@code kqueue_kevent} do. libkqueue goes on
     * to wait while the event list has room, and returns 0, dropping the entries, when that wait
     * times out: failed changes are only reliably reported there by a call whose event list
     * they fill exactly ({@code EV_RECEIPT} on every change).
     */
    boolean returnsChangeErrorsAtOnce();
}
