package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FdPassingChannel#pair} when memory runs out part of the way (a native allocation past
 * -XX:MaxDirectMemorySize is an OutOfMemoryError): whichever allocation fails, the pair's two
 * descriptors and every arena made so far are closed before the error reaches the caller.
 */
class FdPassingChannelFailureTest {

    /** Arenas whose allocations are counted across all of them; number {@code failAt} fails. */
    private static final class Arenas implements Supplier<Arena> {
        final List<Arena> made = new ArrayList<>();
        final int failAt;
        final boolean failSecondArena;
        int allocations;

        Arenas(int failAt, boolean failSecondArena) {
            this.failAt = failAt;
            this.failSecondArena = failSecondArena;
        }

        @Override
        public Arena get() {
            if (failSecondArena && made.size() == 1) {
                throw new OutOfMemoryError("injected: no second arena");
            }
            Arena real = Arena.ofShared();
            Arena counted = new Arena() {
                @Override
                public MemorySegment allocate(long byteSize, long byteAlignment) {
                    if (++allocations == failAt) {
                        throw new OutOfMemoryError("injected: allocation " + failAt);
                    }
                    return real.allocate(byteSize, byteAlignment);
                }

                @Override
                public MemorySegment.Scope scope() {
                    return real.scope();
                }

                @Override
                public void close() {
                    real.close();
                }
            };
            made.add(counted);
            return counted;
        }

        void assertAllClosed(String when) {
            for (Arena a : made) {
                assertFalse(a.scope().isAlive(), when + ": an arena was left open");
            }
        }
    }

    @Test
    void everyAllocationThatFailsLeavesNoDescriptorAndNoMemoryBehind() throws Exception {
        long before = Loopback.openFds();
        // Count a pair's allocations first: the failures below cover each of them.
        Arenas counting = new Arenas(0, false);
        FdPassingChannel[] ok = FdPassingChannel.pair(false, 4, counting);
        ok[0].close();
        ok[1].close();
        counting.assertAllClosed("a pair closed normally");
        int total = counting.allocations;
        assertTrue(total >= 2, total + " allocations");
        for (boolean seqpacket : new boolean[] {false, true}) {
            for (int failAt = 1; failAt <= total; failAt++) {
                Arenas arenas = new Arenas(failAt, false);
                int n = failAt;
                OutOfMemoryError e = assertThrows(OutOfMemoryError.class,
                        () -> FdPassingChannel.pair(seqpacket, 4, arenas), "allocation " + n);
                assertEquals("injected: allocation " + failAt, e.getMessage());
                assertEquals(before, Loopback.openFds(), "descriptors left open when allocation " + failAt + " failed");
                arenas.assertAllClosed("allocation " + failAt + " failed");
            }
        }
        Arenas noSecond = new Arenas(0, true);
        assertThrows(OutOfMemoryError.class, () -> FdPassingChannel.pair(false, 4, noSecond));
        assertEquals(before, Loopback.openFds(), "descriptors left open when the second arena could not be made");
        noSecond.assertAllClosed("the second arena could not be made");
    }
}
