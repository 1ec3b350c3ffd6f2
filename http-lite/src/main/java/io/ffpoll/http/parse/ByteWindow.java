package io.ffpoll.http.parse;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A loop's copy of part of the segment being parsed, in a heap array: the parsers read bytes
 * from it, which costs far less than a bounds-checked segment read per byte. It slides forward
 * as parsing does, so within one {@code onData} call every byte is copied at most once, however
 * many pipelined requests it holds. {@link #forget()} at the start of each call, because a
 * connection's kept bytes move between calls. Loop thread only.
 */
final class ByteWindow {
    final byte[] bytes;
    /** Bytes copied in, and bytes the parsers examined, so far: the work parsing did, for tests. */
    long copied;
    long examined;
    private MemorySegment segment;
    private long base;
    private int length;

    ByteWindow(int size) {
        bytes = new byte[size];
    }

    void forget() {
        segment = null;
        length = 0;
    }

    /**
     * Makes {@code segment[from, ...)} readable in {@link #bytes} and returns how many bytes
     * from {@code from} (at most {@code end - from}) are there, starting at {@link #index(long)}.
     */
    int load(MemorySegment s, long from, long end) {
        if (s == segment && from >= base && from < base + length) {
            return (int) Math.min(base + length - from, end - from);
        }
        int n = (int) Math.min(end - from, bytes.length);
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, from, bytes, 0, n);
        copied += n;
        segment = s;
        base = from;
        length = n;
        return n;
    }

    /** Where segment offset {@code position} is in {@link #bytes} (after a {@link #load} covering it). */
    int index(long position) {
        return (int) (position - base);
    }
}
