package io.ffpoll.bindings.testing.rump;

import io.ffpoll.bindings.bsd.KeventAbi;
import io.ffpoll.bindings.bsd.KeventCalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * kqueue and kevent of the NetBSD rump kernel: NetBSD's kern_event.c itself, in NetBSD's
 * 40-byte struct kevent ({@link KeventAbi#NETBSD}). Closing a descriptor removes its knotes,
 * and a failed change comes back at once as an EV_ERROR entry, as in the other BSD kernels.
 *
 * <p><b>The one emulated part: EVFILT_USER.</b> This 2016 kernel has no EVFILT_USER, which the
 * backend wakes its loop with. Each kqueue made here gets a Unix socketpair in the rump kernel;
 * an EVFILT_USER change is rewritten, in a copy of the change list, to an EVFILT_READ knote on
 * the pair's reading end with the same flags and udata; a NOTE_TRIGGER is a one-byte write to
 * the other end, and no kevent (a trigger-only call makes no kevent at all); an event of the
 * reading end comes back as the EVFILT_USER event it stands for, after the end is drained (so
 * the next trigger is a new edge of EV_CLEAR). Everything else goes to the kernel unchanged.
 */
final class RumpKevent implements KeventCalls {
    private static final int AF_LOCAL = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_NONBLOCK = 0x20000000;
    private static final int SOCK_CLOEXEC = 0x10000000;

    private final RumpCalls calls;
    private final KeventAbi abi = KeventAbi.NETBSD;
    private final Map<Integer, Wake> wakes = new ConcurrentHashMap<>();

    /** The socketpair standing in for one kqueue's EVFILT_USER knote. */
    private record Wake(int readEnd, int writeEnd, Arena arena, MemorySegment drain, MemorySegment one,
                        MemorySegment changes) {}

    RumpKevent(RumpCalls calls) {
        this.calls = calls;
    }

    @Override
    public KeventAbi abi() {
        return abi;
    }

    @Override
    public String name() {
        return "kqueue (NetBSD rump kernel; EVFILT_USER emulated)";
    }

    @Override
    public boolean closeRemovesRegistrations() {
        return true;
    }

    @Override
    public boolean returnsChangeErrorsAtOnce() {
        return true;
    }

    @Override
    public int kqueue() {
        int kq = calls.kqueue();
        if (kq < 0) {
            return kq;
        }
        Arena arena = Arena.ofShared(); // lives as long as the kqueue: closed with it
        MemorySegment fds = arena.allocate(8, 4);
        int r = calls.socketpair(AF_LOCAL, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, fds);
        if (r < 0) {
            calls.close(kq);
            arena.close();
            return r;
        }
        MemorySegment one = arena.allocate(1);
        one.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        wakes.put(kq, new Wake(fds.get(ValueLayout.JAVA_INT, 0), fds.get(ValueLayout.JAVA_INT, 4), arena,
                arena.allocate(64), one, arena.allocate(abi.size * 64, 8)));
        return kq;
    }

    @Override
    public int kevent(int kq, MemorySegment changes, int nchanges, MemorySegment events, int nevents,
                      MemorySegment timeout, MemorySegment errnoState) {
        Wake wake = wakes.get(kq);
        if (wake != null && hasUserChange(changes, nchanges)) {
            nchanges = rewrite(wake, changes, nchanges);
            changes = wake.changes;
            if (nchanges == 0 && nevents == 0) {
                return 0; // only a trigger: the write was the whole call
            }
        }
        int n = calls.kevent(kq, changes, nchanges, events, nevents, timeout, errnoState);
        if (wake != null) {
            for (int i = 0; i < n; i++) {
                if (abi.ident(events, i) == wake.readEnd && abi.filter(events, i) == abi.evfiltRead) {
                    calls.read(wake.readEnd, wake.drain, wake.drain.byteSize()); // only the loop's thread reads
                    int flags = abi.flags(events, i);
                    abi.set(events, i, 0, abi.evfiltUser, flags, 0, 0, abi.udata(events, i));
                }
            }
        }
        return n;
    }

    private boolean hasUserChange(MemorySegment changes, int nchanges) {
        for (int i = 0; i < nchanges; i++) {
            if (abi.filter(changes, i) == abi.evfiltUser) {
                return true;
            }
        }
        return false;
    }

    /** The change list with EVFILT_USER changes rewritten (or, for triggers, done): its length. */
    private int rewrite(Wake wake, MemorySegment changes, int nchanges) {
        if (nchanges > 64) {
            throw new IllegalStateException("the emulation rewrites up to 64 changes at a time, not " + nchanges);
        }
        int k = 0;
        for (int i = 0; i < nchanges; i++) {
            if (abi.filter(changes, i) != abi.evfiltUser) {
                MemorySegment.copy(changes, i * abi.size, wake.changes, k++ * abi.size, abi.size);
                continue;
            }
            if ((abi.fflags(changes, i) & KeventAbi.NOTE_TRIGGER) != 0) {
                calls.write(wake.writeEnd, wake.one, 1); // EAGAIN: bytes are unread, the edge is still owed
            }
            int flags = abi.flags(changes, i);
            if ((flags & (KeventAbi.EV_ADD | KeventAbi.EV_DELETE | KeventAbi.EV_ENABLE | KeventAbi.EV_DISABLE)) != 0) {
                abi.set(wake.changes, k++, wake.readEnd, abi.evfiltRead, flags, 0, 0, abi.udata(changes, i));
            }
        }
        return k;
    }

    @Override
    public int close(int fd) {
        Wake wake = wakes.remove(fd);
        if (wake != null) {
            calls.close(wake.readEnd);
            calls.close(wake.writeEnd);
            wake.arena.close();
        }
        return calls.close(fd);
    }
}
