package io.ffpoll.http.parse;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.function.IntPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The word-at-a-time skips never pass a byte that ends their run and skip every word that holds
 * none: each byte value at each position of a word, and random words (where borrows between
 * bytes could mislead a carelessly built trick), against the byte-wise definition.
 */
class WordsTest {
    private static final IntPredicate FIELD_VALUE = c -> c >= 0x20 && c != 0x7F;
    private static final IntPredicate TARGET = c -> c >= 0x21 && c != 0x7F && c != '#';
    private static final IntPredicate NOT_CR = c -> c != '\r';

    @Test
    void everyByteValueAtEveryPosition() {
        for (int v = 0; v < 256; v++) {
            for (int k = 0; k < 8; k++) {
                byte[] a = new byte[16];
                Arrays.fill(a, (byte) 'a');
                a[k] = (byte) v;
                check(a, v);
            }
        }
    }

    @Test
    void randomWordsAgreeWithTheByteWiseDefinition() {
        Random random = new Random(7);
        byte[] pool = {0, 8, 9, 10, 13, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x24, 0x41, 0x7E, 0x7F, (byte) 0x80, (byte) 0x81, (byte) 0xFF};
        for (int round = 0; round < 200_000; round++) {
            byte[] a = new byte[8 + random.nextInt(24)];
            for (int i = 0; i < a.length; i++) {
                a[i] = random.nextBoolean() ? pool[random.nextInt(pool.length)] : (byte) random.nextInt(256);
            }
            assertEquals(expected(a, FIELD_VALUE), Words.skipVisible(a, 0, a.length, ' '), Arrays.toString(a));
            assertEquals(expected(a, TARGET), Words.skipTarget(a, 0, a.length), Arrays.toString(a));
            assertEquals(expected(a, NOT_CR), Words.skipToCr(a, 0, a.length), Arrays.toString(a));
        }
    }

    private static void check(byte[] a, int v) {
        assertEquals(expected(a, FIELD_VALUE), Words.skipVisible(a, 0, a.length, ' '), "field value, byte " + v);
        assertEquals(expected(a, TARGET), Words.skipTarget(a, 0, a.length), "target, byte " + v);
        assertEquals(expected(a, NOT_CR), Words.skipToCr(a, 0, a.length), "CR, byte " + v);
    }

    /** The start of the first 8-byte word (within {@code a}) holding a byte outside the run. */
    private static int expected(byte[] a, IntPredicate inRun) {
        int i = 0;
        while (i + 8 <= a.length) {
            for (int k = i; k < i + 8; k++) {
                if (!inRun.test(a[k] & 0xFF)) {
                    return i;
                }
            }
            i += 8;
        }
        return i;
    }
}
