package io.ffpoll.multiplexer.kqueue;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.bsd.KeventAbi;
import io.ffpoll.bindings.bsd.KeventCalls;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scripted kevent() with the behaviours of the BSD kernels that libkqueue does not reproduce,
 * in each kernel's struct kevent layout, for the kqueue backend's tests. Files are fake: the
 * test opens, fills and hangs them up. Read from FreeBSD's and XNU's {@code kern_event.c}:
 * <ul>
 * <li>changes are applied in order; one that fails, or carries EV_RECEIPT, gets an EV_ERROR
 *     entry (data: the errno, or 0) in the event list, and a call that wrote any returns them
 *     at once, without scanning or waiting;</li>
 * <li>with no room left for such an entry, FreeBSD returns at once, the error as errno (or 0
 *     for a receipt) and the rest of the change list unapplied; XNU likewise stops at an error,
 *     but skips a receipt and goes on;</li>
 * <li>closing a file removes its knotes; EV_ADD of an existing knote updates its udata;
 *     EV_CLEAR reports a knote once per change of state, and new data is such a change even
 *     when nothing was read;</li>
 * <li>a read event's data is every unread byte, and a listener's the connections waiting to
 *     be accepted (its backlog).</li>
 * </ul>
 * NetBSD's kernel, run in a rump kernel ({@code RumpKernelTest}), showed each of these; libkqueue
 * differs in every one (README, "kqueue and the platform layer").
 * The model never blocks: a wait with nothing to report returns 0 and is counted.
 */
final class KeventModel implements KeventCalls {
    enum Kernel {
        FREEBSD(KeventAbi.FREEBSD), XNU(KeventAbi.MACOS),
        /** NetBSD's kevent1 stops at a change it cannot report, as FreeBSD's does. */
        NETBSD(KeventAbi.NETBSD);

        final KeventAbi abi;

        Kernel(KeventAbi abi) {
            this.abi = abi;
        }
    }

    static final class File {
        boolean readable;
        boolean writable = true;
        boolean eof;
        boolean readEof; // the peer shut down its output: only the read side is at EOF
        int error;
        long unread; // bytes arrived and not read: a read event's data
        boolean listening;
        long backlog; // a listener's connections waiting to be accepted: its read event's data
    }

    private record Key(long ident, short filter) {}

    private static final class Knote {
        long udata;
        boolean clear;
        boolean pending;
    }

    private static final Syscalls.Counter KEVENT = Syscalls.counter("kevent");
    private static final int KQ = 900;

    final Kernel kernel;
    final Map<Integer, File> files = new HashMap<>();
    private final Map<Key, Knote> knotes = new LinkedHashMap<>();
    long waitsWithNothingToReport;
    long calls;
    /** The timeout of the last kevent, in nanoseconds; -1 for NULL (wait without limit). */
    long lastTimeoutNanos;

    KeventModel(Kernel kernel) {
        this.kernel = kernel;
    }

    File open(int fd) {
        File f = new File();
        files.put(fd, f);
        return f;
    }

    /** Data arrives on {@code fd}: its read knote fires. */
    void arrive(int fd) {
        files.get(fd).readable = true;
        fire(fd, kernel.abi.evfiltRead);
    }

    /** {@code bytes} arrive on {@code fd}, read or not: its read knote fires with all unread bytes. */
    void arrive(int fd, long bytes) {
        files.get(fd).unread += bytes;
        arrive(fd);
    }

    /** The application reads {@code bytes}: no knote fires. */
    void read(int fd, long bytes) {
        File f = files.get(fd);
        f.unread -= bytes;
        f.readable = f.unread > 0;
    }

    /** A listening socket. */
    File listener(int fd) {
        File f = open(fd);
        f.writable = false;
        f.listening = true;
        return f;
    }

    /** A connection waits on the listener {@code fd}: its read knote fires with the backlog. */
    void connectionWaits(int fd) {
        files.get(fd).backlog++;
        arrive(fd);
    }

    /** The peer is gone: both directions at EOF, with {@code errno} (0 for none) in fflags. */
    void hangUp(int fd, int errno) {
        File f = files.get(fd);
        f.eof = true;
        f.error = errno;
        fire(fd, kernel.abi.evfiltRead);
        fire(fd, kernel.abi.evfiltWrite);
    }

    /** The peer shut down its output (a half-close): the read knote fires with EV_EOF, no errno. */
    void peerShutsDownOutput(int fd) {
        files.get(fd).readEof = true;
        fire(fd, kernel.abi.evfiltRead);
    }

    private void fire(int fd, short filter) {
        Knote k = knotes.get(new Key(fd, filter));
        if (k != null) {
            k.pending = true;
        }
    }

    boolean hasKnote(int fd, short filter) {
        return knotes.containsKey(new Key(fd, filter));
    }

    List<Integer> fdsWithKnotes() {
        List<Integer> fds = new ArrayList<>();
        for (Key k : knotes.keySet()) {
            if (k.filter != kernel.abi.evfiltUser && !fds.contains((int) k.ident)) {
                fds.add((int) k.ident);
            }
        }
        return fds;
    }

    @Override
    public KeventAbi abi() {
        return kernel.abi;
    }

    @Override
    public String name() {
        return "kqueue (model of " + kernel + ")";
    }

    @Override
    public int kqueue() {
        return KQ;
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
    public int close(int fd) {
        if (fd == KQ) {
            knotes.clear();
            return 0;
        }
        if (files.remove(fd) == null) {
            return -Err.EBADF;
        }
        knotes.keySet().removeIf(k -> k.ident == fd && k.filter != kernel.abi.evfiltUser);
        return 0;
    }

    @Override
    public int kevent(int kq, MemorySegment changes, int nchanges, MemorySegment events, int nevents,
                      MemorySegment timeout, MemorySegment errnoState) {
        KEVENT.hit();
        calls++;
        lastTimeoutNanos = timeout.address() == 0 ? -1
                : timeout.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + timeout.get(ValueLayout.JAVA_LONG, 8);
        if (kq != KQ) {
            return -Err.EBADF;
        }
        KeventAbi abi = kernel.abi;
        int out = 0;
        for (int i = 0; i < nchanges; i++) {
            int flags = abi.flags(changes, i);
            int error = register(abi.ident(changes, i), abi.filter(changes, i), flags, abi.fflags(changes, i),
                    abi.udata(changes, i));
            if (error == 0 && (flags & KeventAbi.EV_RECEIPT) == 0) {
                continue;
            }
            if (out == nevents) {
                if (kernel != Kernel.XNU) {
                    return -error; // FreeBSD "if (nevents == 0) return (error);", NetBSD "goto done": the rest is not applied
                }
                if (error != 0) {
                    return -error; // XNU: the loop ends at an error it cannot report
                }
                continue; // XNU: a receipt without room is skipped
            }
            abi.set(events, out++, abi.ident(changes, i), abi.filter(changes, i), KeventAbi.EV_ERROR, 0, error,
                    abi.udata(changes, i));
        }
        if (out > 0 || nevents == 0) {
            return out; // nothing to collect with no event list: no scan, no wait
        }
        for (Map.Entry<Key, Knote> e : knotes.entrySet()) {
            if (out == nevents) {
                break;
            }
            Knote k = e.getValue();
            if (!k.pending) {
                continue;
            }
            Key key = e.getKey();
            int flags = 0;
            int fflags = 0;
            long data = 0;
            if (key.filter != abi.evfiltUser) {
                File f = files.get((int) key.ident);
                if (key.filter == abi.evfiltRead) {
                    data = f.listening ? f.backlog : f.unread;
                }
                if (f.eof || (f.readEof && key.filter == kernel.abi.evfiltRead)) {
                    flags |= KeventAbi.EV_EOF;
                    fflags = f.error;
                }
            }
            abi.set(events, out++, key.ident, key.filter, flags, fflags, data, k.udata);
            if (k.clear) {
                k.pending = false;
            }
        }
        if (out == 0 && lastTimeoutNanos != 0) {
            waitsWithNothingToReport++;
        }
        return out;
    }

    private int register(long ident, short filter, int flags, int fflags, long udata) {
        Key key = new Key(ident, filter);
        if (filter == kernel.abi.evfiltUser) {
            Knote k = knotes.get(key);
            if ((flags & KeventAbi.EV_ADD) != 0 && k == null) {
                k = new Knote();
                k.clear = (flags & KeventAbi.EV_CLEAR) != 0;
                knotes.put(key, k);
            }
            if (k == null) {
                return Err.ENOENT;
            }
            k.udata = udata;
            if ((fflags & KeventAbi.NOTE_TRIGGER) != 0) {
                k.pending = true;
            }
            return 0;
        }
        File f = files.get((int) ident);
        if (f == null) {
            return Err.EBADF;
        }
        if ((flags & KeventAbi.EV_DELETE) != 0) {
            return knotes.remove(key) == null ? Err.ENOENT : 0;
        }
        if ((flags & KeventAbi.EV_ADD) != 0) {
            Knote k = knotes.computeIfAbsent(key, x -> new Knote());
            k.udata = udata;
            k.clear = (flags & KeventAbi.EV_CLEAR) != 0;
            k.pending = filter == kernel.abi.evfiltRead ? f.readable || f.eof || f.readEof : f.writable || f.eof;
            return 0;
        }
        return Err.EINVAL;
    }
}
