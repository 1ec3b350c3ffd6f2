package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an idle keep-alive connection costs the server: Java heap and pooled native memory per
 * connection, with 2,000 of them. The clients are raw sockets made with the bindings, so they
 * hold no Java objects of their own. (Process RSS, kernel memory included, is measured by the
 * scale script under bench/.)
 */
class IdleConnectionMemoryTest extends HttpTestBase {
    private static final int CONNECTIONS = 2_000;
    private static final byte[] REQUEST = ("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").getBytes(StandardCharsets.US_ASCII);

    @Test
    void anIdleKeepAliveConnectionCostsAtMostOneKibibyteOfHeapAndNoPooledMemory() throws Exception {
        HttpServer s = standard(1);
        long perConnection = IdleHeap.perConnection(s, REQUEST, "Hello, World!", CONNECTIONS,
                () -> assertEquals(1, s.pooledBuffersInUse(0), "idle connections hold pooled buffers"));
        assertTrue(perConnection <= 1024, "an idle connection holds " + perConnection + " bytes of heap");
    }
}
