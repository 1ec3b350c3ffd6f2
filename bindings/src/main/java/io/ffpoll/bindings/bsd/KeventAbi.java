package io.ffpoll.bindings.bsd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code struct kevent} and the kqueue constants, per OS. Three layouts exist on 64-bit systems:
 * <ul>
 * <li>the classic 32 bytes ({@code uintptr_t ident; short filter; u_short flags; u_int fflags;
 *     intptr_t data; void *udata}) of macOS (XNU {@code bsd/sys/event.h}, under
 *     {@code pack(4)}), FreeBSD before 12, and libkqueue;</li>
 * <li>FreeBSD 12's 64 bytes: the classic fields with a 64-bit {@code data}, then
 *     {@code uint64_t ext[4]} (FreeBSD {@code sys/sys/event.h});</li>
 * <li>NetBSD's 40 bytes, where filter and flags are 32-bit ({@code uintptr_t ident; uint32_t
 *     filter; uint32_t flags; uint32_t fflags; int64_t data; intptr_t udata}, NetBSD
 *     {@code sys/sys/event.h}), and the filters count up from 0 instead of down from -1.</li>
 * </ul>
 * The flags are the same everywhere. {@code EVFILT_USER} is -10 on macOS, -11 on FreeBSD (and
 * libkqueue, which follows FreeBSD's numbers); NetBSD's 40-byte kernels have none. {@code BsdAbiTest} holds
 * each value with its source.
 */
public enum KeventAbi {
    MACOS(32, false, -1, -2, -10),
    FREEBSD(64, false, -1, -2, -11),
    /** libkqueue on Linux: the classic layout with FreeBSD's filter numbers (its README). */
    LIBKQUEUE(32, false, -1, -2, -11),
    /**
     * NetBSD's {@code __kevent50} layout (NetBSD 5 to 9): 32-bit filter and flags, filters from
     * 0. Those kernels have no EVFILT_USER (the 2016 header ends at EVFILT_TIMER 6,
     * EVFILT_SYSCOUNT 7) and refuse an unknown filter with EINVAL: 8 is the number NetBSD gave
     * it later, with a new layout. A KeventCalls for these kernels emulates the wakeup (the
     * rump kernel's, in the tests, over a socketpair).
     */
    NETBSD(40, true, 0, 1, 8);

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

    /** Offset of ident: first in every layout. */
    public static final long IDENT = 0;

    /** {@code sizeof(struct kevent)}. */
    public final long size;
    /** Whether filter and flags are 32-bit (NetBSD) rather than 16-bit. */
    public final boolean wide;
    public final short evfiltRead;
    public final short evfiltWrite;
    public final short evfiltUser;
    /** Offsets of the fields after ident. */
    public final long filterOffset;
    public final long flagsOffset;
    public final long fflagsOffset;
    public final long dataOffset;
    public final long udataOffset;

    KeventAbi(long size, boolean wide, int evfiltRead, int evfiltWrite, int evfiltUser) {
        this.size = size;
        this.wide = wide;
        this.evfiltRead = (short) evfiltRead;
        this.evfiltWrite = (short) evfiltWrite;
        this.evfiltUser = (short) evfiltUser;
        int step = wide ? 4 : 2;
        this.filterOffset = 8;
        this.flagsOffset = 8 + step;
        this.fflagsOffset = 8 + 2L * step;
        this.dataOffset = wide ? 24 : 16; // NetBSD: 20 rounded up to int64_t's alignment
        this.udataOffset = dataOffset + 8;
    }

    /** A zeroed array of {@code n} kevents. */
    public MemorySegment allocate(Arena arena, int n) {
        return arena.allocate(size * n, 8);
    }

    /** Fills kevent {@code i} (and zeroes FreeBSD's ext[4], NetBSD's padding). */
    public void set(MemorySegment k, int i, long ident, short filter, int flags, int fflags, long data, long udata) {
        long o = i * size;
        if (size != 32) {
            k.asSlice(o, size).fill((byte) 0); // FreeBSD's ext[4]; the 4 bytes of padding before NetBSD's data
        }
        k.set(ValueLayout.JAVA_LONG, o + IDENT, ident);
        if (wide) {
            k.set(ValueLayout.JAVA_INT, o + filterOffset, filter);
            k.set(ValueLayout.JAVA_INT, o + flagsOffset, flags);
        } else {
            k.set(ValueLayout.JAVA_SHORT, o + filterOffset, filter);
            k.set(ValueLayout.JAVA_SHORT, o + flagsOffset, (short) flags);
        }
        k.set(ValueLayout.JAVA_INT, o + fflagsOffset, fflags);
        k.set(ValueLayout.JAVA_LONG, o + dataOffset, data);
        k.set(ValueLayout.JAVA_LONG, o + udataOffset, udata);
    }

    public long ident(MemorySegment k, int i) {
        return k.get(ValueLayout.JAVA_LONG, i * size + IDENT);
    }

    /** The filter, as the short of the classic layouts (NetBSD's small unsigned numbers fit). */
    public short filter(MemorySegment k, int i) {
        return wide ? (short) k.get(ValueLayout.JAVA_INT, i * size + filterOffset)
                : k.get(ValueLayout.JAVA_SHORT, i * size + filterOffset);
    }

    /** flags, as an unsigned value (16-bit but on NetBSD). */
    public int flags(MemorySegment k, int i) {
        return wide ? k.get(ValueLayout.JAVA_INT, i * size + flagsOffset)
                : Short.toUnsignedInt(k.get(ValueLayout.JAVA_SHORT, i * size + flagsOffset));
    }

    /** Adds {@code flags} to kevent {@code i}'s flags (EV_RECEIPT on a change already written). */
    public void addFlags(MemorySegment k, int i, int flags) {
        if (wide) {
            k.set(ValueLayout.JAVA_INT, i * size + flagsOffset, flags(k, i) | flags);
        } else {
            k.set(ValueLayout.JAVA_SHORT, i * size + flagsOffset, (short) (flags(k, i) | flags));
        }
    }

    public int fflags(MemorySegment k, int i) {
        return k.get(ValueLayout.JAVA_INT, i * size + fflagsOffset);
    }

    public long data(MemorySegment k, int i) {
        return k.get(ValueLayout.JAVA_LONG, i * size + dataOffset);
    }

    public long udata(MemorySegment k, int i) {
        return k.get(ValueLayout.JAVA_LONG, i * size + udataOffset);
    }
}
