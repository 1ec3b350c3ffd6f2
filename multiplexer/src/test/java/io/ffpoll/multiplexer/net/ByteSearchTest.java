package io.ffpoll.multiplexer.net;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link ByteSearch} against a plain loop, on random data, and the finder's resumption. */
class ByteSearchTest {

    private static long naive(MemorySegment s, long from, long to, byte b) {
        for (long i = from; i < to; i++) {
            if (s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) == b) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void findsWhatAPlainLoopFindsAtEveryOffsetAndValue() {
        Random random = new Random(42);
        try (Arena arena = Arena.ofConfined()) {
            for (int round = 0; round < 2000; round++) {
                int size = random.nextInt(70);
                MemorySegment s = arena.allocate(Math.max(1, size)).asSlice(0, size);
                for (int i = 0; i < size; i++) {
                    // Few distinct values, high bytes included, so matches and near-misses abound.
                    s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (random.nextInt(4) * 0x55 + 0x80));
                }
                byte b = (byte) (random.nextInt(4) * 0x55 + 0x80);
                long from = size == 0 ? 0 : random.nextInt(size + 1);
                long to = from + random.nextInt((int) (size - from) + 1);
                assertEquals(naive(s, from, to, b), ByteSearch.indexOf(s, from, to, b), "round " + round);
            }
            MemorySegment heap = MemorySegment.ofArray("abc\ndef".getBytes());
            assertEquals(3, ByteSearch.indexOf(heap, 0, (byte) '\n'));
            assertEquals(-1, ByteSearch.indexOf(heap, 4, (byte) '\n'));
            assertThrows(IndexOutOfBoundsException.class, () -> ByteSearch.indexOf(heap, 5, 3, (byte) 'a'));
        }
    }

    @Test
    void theFinderResumesWhereItStoppedAndFindsEveryLine() {
        ByteSearch.Finder finder = ByteSearch.finder((byte) '\n');
        // A handler's view: unconsumed bytes first, then what arrived since.
        MemorySegment first = MemorySegment.ofArray("one\ntw".getBytes());
        assertEquals(3, finder.find(first, 0));
        assertEquals(-1, finder.find(first, 4)); // "tw" has no newline: 4 is returned as used
        MemorySegment second = MemorySegment.ofArray("two\nthree".getBytes()); // starts at "tw"
        assertEquals(3, finder.find(second, 0));
        assertEquals(-1, finder.find(second, 4));
        // A finder that skipped the known bytes still finds a newline placed in them later
        // only if the caller resets it: the contract is that the offered prefix is unchanged.
        MemorySegment third = MemorySegment.ofArray("three\n".getBytes());
        assertEquals(5, finder.find(third, 0));
        finder.reset();
        assertEquals(5, finder.find(third, 0));
    }
}
