package io.ffpoll.multiplexer.net;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Fast byte search in the {@link MemorySegment} a {@link ConnectionHandler#onData} call gets,
 * eight bytes at a time (the SWAR zero-byte test), and a resumable delimiter finder for framing
 * protocols. Allocation-free.
 *
 * <pre>{@code
 * private final ByteSearch.Finder lines = ByteSearch.finder((byte) '\n');
 *
 * public long onData(Connection c, MemorySegment data) {
 *     long used = 0;
 *     long eol;
 *     while ((eol = lines.find(data, used)) >= 0) {
 *         handleLine(c, data.asSlice(used, eol - used));
 *         used = eol + 1;
 *     }
 *     return used; // the rest waits for more bytes; the finder will not scan it again
 * }
 * }</pre>
 */
public final class ByteSearch {
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    private ByteSearch() {}

    /**
     * The index of the first {@code b} in {@code data[from, to)}, or -1.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= from <= to <= data.byteSize()}
     * @param data the bytes
     * @param from where the search starts
     * @param to where the search ends (exclusive)
     * @param b the byte to find
     * @return the index, or -1
     */
    public static long indexOf(MemorySegment data, long from, long to, byte b) {
        if (from < 0 || from > to || to > data.byteSize()) {
            throw new IndexOutOfBoundsException("range [" + from + ", " + to + ") of " + data.byteSize() + " bytes");
        }
        long pattern = ONES * (b & 0xFF);
        long i = from;
        for (; i + 8 <= to; i += 8) {
            long x = data.get(WORD, i) ^ pattern; // a zero byte where b is
            long found = (x - ONES) & ~x & HIGHS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        for (; i < to; i++) {
            if (data.get(ValueLayout.JAVA_BYTE, i) == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The index of the first {@code b} in {@code data} from {@code from} on, or -1.
     *
     * @param data the bytes
     * @param from where the search starts
     * @param b the byte to find
     * @return the index, or -1
     */
    public static long indexOf(MemorySegment data, long from, byte b) {
        return indexOf(data, from, data.byteSize(), b);
    }

    /**
     * A finder for {@code delimiter}, for one connection (not thread-safe).
     *
     * @param delimiter the byte that ends a unit (a newline, say)
     * @return a new finder
     */
    public static Finder finder(byte delimiter) {
        return new Finder(delimiter);
    }

    /**
     * Finds a delimiter across {@code onData} calls without scanning a byte twice: when a search
     * from {@code from} finds none, the finder remembers how far it looked, and the next search
     * from 0 (the next call, whose data starts at that same {@code from} when the handler
     * returned it as consumed) starts after the bytes already seen.
     */
    public static final class Finder {
        private final byte delimiter;
        private long scanned; // bytes after the last miss's start already known to hold no delimiter

        private Finder(byte delimiter) {
            this.delimiter = delimiter;
        }

        /**
         * The index of the next delimiter in {@code data} at or after {@code from}, or -1.
         *
         * @param data the bytes
         * @param from where the search starts
         * @return the index of the delimiter, or -1
         */
        public long find(MemorySegment data, long from) {
            long start = from == 0 ? Math.min(scanned, data.byteSize()) : from;
            long at = indexOf(data, start, data.byteSize(), delimiter);
            scanned = at < 0 ? data.byteSize() - from : 0;
            return at;
        }

        /** Forgets what was scanned (the handler consumed bytes some other way). */
        public void reset() {
            scanned = 0;
        }
    }
}
