package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an idle keep-alive connection costs the server: Java heap and pooled native memory per
 * connection, with 2,000 of them, measured in a JVM of its own ({@link IdleHeapProbe}). The
 * clients are raw sockets made with the bindings, so they hold no Java objects of their own.
 * (Process RSS, kernel memory included, is measured by the scale script under bench/.)
 */
class IdleConnectionMemoryTest extends HttpTestBase {
    private static final int CONNECTIONS = 2_000;

    @Test
    void anIdleKeepAliveConnectionCostsAtMostHalfAKibibyteOfHeapAndNoPooledMemory() throws Exception {
        long[] figures = IdleHeapProbe.measure("plain", CONNECTIONS);
        assertTrue(figures[0] <= 512, "an idle connection holds " + figures[0] + " bytes of heap");
        assertEquals(1, figures[1], "idle connections hold pooled buffers: loop 0 held " + figures[1]);
    }
}
