package io.ffpoll.bindings.bsd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code struct kevent} and the kqueue constants, per OS. Two layouts exist on 64-bit systems:
 * the classic 32 bytes ({@code uintptr_t ident; short filter; u_short flags; u_int fflags;
 * intptr_t data; void *udata}) of macOS (XNU {@code bsd/sys/event.h}, under {@code pack(4)}),
 * FreeBSD before 12, and libkqueue; and FreeBSD 12's 64 bytes, with a 64-bit {@code data} and
 * {@code uint64_t ext[4]} at the end (FreeBSD {@code sys/sys/event.h}). The filters and flags
 * are the same everywhere but {@code EVFILT_USER}: -10 on macOS, -11 on FreeBSD (and libkqueue,
 * which follows FreeBSD's numbers). {@code BsdAbiTest} holds each value with its source.
 */
public enum KeventAbi {
    MACOS(32, -10),
    FREEBSD(64, -11),
    /** libkqueue on Linux: the classic layout with FreeBSD's filter numbers (its README). */
    LIBKQUEUE(32, -11);

    public static final short EVFILT_READ = -1;
    public static final short EVFILT_WRITE = -2;
    public static final int EV_ADD = 0x0001;
    public static final int EV_DELETE = 0x0002;
    public static final int EV_ENABLE = 0x0004;
    public static final int EV_DISABLE = 0x0008;
    public static final int EV_ONESHOT = 0x0010;
    public static final int EV_CLEAR = 0x0020;
    public static final int EV_RECEIPT = 0x0040;
    public static final int EV_ERROR = 0x4000;
    public static final int EV_EOF = 0x8000;
    public static final int NOTE_TRIGGER = 0x01000000;

    public static final long IDENT = 0;
    public static final long FILTER = 8;
    public static final long FLAGS = 10;
    public static final long FFLAGS = 12;
    public static final long DATA = 16;
    public static final long UDATA = 24;

    /** {@code sizeof(struct kevent)}. */
    public final long size;
    public final short evfiltUser;

    KeventAbi(long size, int evfiltUser) {
        this.size = size;
        this.evfiltUser = (short) evfiltUser;
    }

    /** A zeroed array of {@code n} kevents. */
    public MemorySegment allocate(Arena arena, int n) {
        return arena.allocate(size * n, 8);
    }

    /** Fills kevent {@code i} (and zeroes FreeBSD's ext[4]). */
    public void set(MemorySegment k, int i, long ident, short filter, int flags, int fflags, long data, long udata) {
        long o = i * size;
        k.set(ValueLayout.JAVA_LONG, o + IDENT, ident);
        k.set(ValueLayout.JAVA_SHORT, o + FILTER, filter);
        k.set(ValueLayout.JAVA_SHORT, o + FLAGS, (short) flags);
        k.set(ValueLayout.JAVA_INT, o + FFLAGS, fflags);
        k.set(ValueLayout.JAVA_LONG, o + DATA, data);
        k.set(ValueLayout.JAVA_LONG, o + UDATA, udata);
        if (size > 32) {
            k.asSlice(o + 32, size - 32).fill((byte) 0);
        }
    }

    public long ident(MemorySegment k, int i) {
        return k.get(ValueLayout.JAVA_LONG, i * size + IDENT);
    }

    public short filter(MemorySegment k, int i) {
        return k.get(ValueLayout.JAVA_SHORT, i * size + FILTER);
    }

    /** flags, as an unsigned 16-bit value. */
    public int flags(MemorySegment k, int i) {
        return Short.toUnsignedInt(k.get(ValueLayout.JAVA_SHORT, i * size + FLAGS));
    }

    public int fflags(MemorySegment k, int i) {
        return k.get(ValueLayout.JAVA_INT, i * size + FFLAGS);
    }

    public long data(MemorySegment k, int i) {
        return k.get(ValueLayout.JAVA_LONG, i * size + DATA);
    }

    public long udata(MemorySegment k, int i) {
        return k.get(ValueLayout.JAVA_LONG, i * size + UDATA);
    }
}
