package io.ffpoll.http.parse;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Eight bytes at a time over the long runs of a head (a target, a field value), where a byte at
 * a time spends most of its work on the loop: picohttpparser does the same with SSE4.2. Each
 * method skips whole 8-byte words in which every byte belongs to the run and returns where the
 * byte-wise scan must take over; it never skips a byte that ends the run, so the scanners'
 * verdicts do not change (the bit tricks are exact as booleans: Hacker's Delight 6-1, Sean
 * Anderson's "Bit Twiddling Hacks", hasless and haszero).
 */
final class Words {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long DELS = ONES * 0x7F;
    private static final long CRS = ONES * '\r';
    private static final long HASHES = ONES * '#';

    private Words() {}

    /** Whether a byte of {@code x} is below {@code n} (n at most 128; bytes of 0x80 and up never are). */
    static boolean anyBelow(long x, int n) {
        return ((x - ONES * n) & ~x & HIGHS) != 0;
    }

    /** Whether a byte of {@code x} is zero. */
    static boolean anyZero(long x) {
        return ((x - ONES) & ~x & HIGHS) != 0;
    }

    /**
     * Past the words from {@code i} whose bytes are all {@code lowest} or above, DEL excepted:
     * {@code ' '} for a field value (HTAB, also allowed there, is left to the byte-wise scan).
     * Bytes of 0x80 and up (obs-text) belong to the run.
     */
    static int skipVisible(byte[] a, int i, int stop, int lowest) {
        while (i + 8 <= stop) {
            long x = (long) LONGS.get(a, i);
            if (anyBelow(x, lowest) || anyZero(x ^ DELS)) {
                break;
            }
            i += 8;
        }
        return i;
    }

    /** {@link #skipVisible} for a request-target ({@code '!'} and up), which has no {@code '#'} either. */
    static int skipTarget(byte[] a, int i, int stop) {
        while (i + 8 <= stop) {
            long x = (long) LONGS.get(a, i);
            if (anyBelow(x, '!') || anyZero(x ^ DELS) || anyZero(x ^ HASHES)) {
                break;
            }
            i += 8;
        }
        return i;
    }

    /** Past the words without a CR from {@code i}. */
    static int skipToCr(byte[] a, int i, int stop) {
        while (i + 8 <= stop) {
            if (anyZero((long) LONGS.get(a, i) ^ CRS)) {
                break;
            }
            i += 8;
        }
        return i;
    }
}
