package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The peer address a connection learns late (opened without one, it asks getpeername on the
 * loop when first wanted) is seen by another thread that reads {@link Connection#remoteAddress()}
 * while the loop learns it: the getters may be read on any thread. A plain field fails this
 * once the reader's loop is compiled: the JIT may read it once, before the loop, and the
 * reader then never sees the address (the loop can even be removed altogether).
 */
class PeerAddressVisibilityTest extends LoopTestBase {
    private static final long SPINS = 20_000_000_000L; // far more than the loop needs to publish

    /** Whether {@code c} showed its address within {@code spins} reads. */
    private static boolean seen(Connection c, long spins) {
        for (long i = 0; i < spins; i++) {
            if (c.remoteAddress() != null) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aReaderOnAnotherThreadSeesTheAddressTheLoopLearnsLate() throws Exception {
        int[] pair = net.pair();
        Connection c = Connection.open(loop, pair[1], (InetSocketAddress) null, new UnixTesting.Echo())
                .get(30, TimeUnit.SECONDS);
        net.forget(pair[1]);
        // Compile the reader while the address is unknown: as a long-lived poller would be.
        for (int i = 0; i < 50_000; i++) {
            if (seen(c, 1_000)) {
                throw new AssertionError("an address before anyone asked for it");
            }
        }
        CompletableFuture<Boolean> reader = new CompletableFuture<>();
        CompletableFuture<Void> reading = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("address-reader").start(() -> {
            reading.complete(null);
            reader.complete(seen(c, SPINS));
        });
        reading.get(30, TimeUnit.SECONDS);
        InetSocketAddress learned = (InetSocketAddress) onLoop(c::peerAddress);
        assertTrue(reader.get(120, TimeUnit.SECONDS), "the reader never saw the address the loop learned");
        t.join();
        assertEquals(learned, c.remoteAddress());
        onLoop(c::close);
    }
}
