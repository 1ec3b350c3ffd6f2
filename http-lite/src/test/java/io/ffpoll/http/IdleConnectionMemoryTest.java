package io.ffpoll.http;

import io.ffpoll.bindings.platform.Platform;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
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
    private static final Platform OS = Platform.current();
    private static final int CONNECTIONS = 2_000;
    private static final byte[] REQUEST = ("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").getBytes(StandardCharsets.US_ASCII);

    private static long heapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(20); // lets a concurrent collector finish its cycle before reading
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    @Test
    void anIdleKeepAliveConnectionCostsAtMostOneKibibyteOfHeapAndNoPooledMemory() throws Exception {
        HttpServer s = standard(1);
        int[] clients = new int[CONNECTIONS];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment addr = OS.allocateSockaddr(arena);
            int addrLen = OS.encode(s.address(), addr);
            MemorySegment request = arena.allocate(REQUEST.length);
            MemorySegment.copy(REQUEST, 0, request, ValueLayout.JAVA_BYTE, 0, REQUEST.length);
            MemorySegment response = arena.allocate(4096);
            // One connection first, so that everything per loop exists before measuring.
            int first = connectAndServeOnce(addr, addrLen, request, response);
            long before = heapAfterGc();
            for (int i = 0; i < CONNECTIONS; i++) {
                clients[i] = connectAndServeOnce(addr, addrLen, request, response);
            }
            await(() -> s.openConnections() == CONNECTIONS + 1, "all connections are open");
            long perConnection = (heapAfterGc() - before) / CONNECTIONS;
            assertTrue(perConnection <= 1024, "an idle connection holds " + perConnection + " bytes of heap");
            assertEquals(1, s.pooledBuffersInUse(0), "idle connections hold pooled buffers");
            OS.close(first);
        } finally {
            for (int fd : clients) {
                if (fd > 0) {
                    OS.close(fd);
                }
            }
        }
    }

    /** A blocking client socket that sent one request and read its whole response. */
    private static int connectAndServeOnce(MemorySegment addr, int addrLen, MemorySegment request, MemorySegment response) {
        int fd = OS.socket(OS.family(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0)));
        assertTrue(fd >= 0, OS.describe(-fd));
        assertEquals(0, OS.setBlocking(fd, true));
        assertEquals(0, OS.connect(fd, addr, addrLen));
        assertEquals(request.byteSize(), OS.send(fd, request, request.byteSize(), false));
        long got = 0;
        while (!endsWithBody(response, got)) {
            long n = OS.read(fd, response.asSlice(got), response.byteSize() - got);
            assertTrue(n > 0, "read: " + n);
            got += n;
        }
        return fd;
    }

    private static boolean endsWithBody(MemorySegment r, long length) {
        byte[] tail = "Hello, World!".getBytes(StandardCharsets.US_ASCII);
        if (length < tail.length) {
            return false;
        }
        for (int i = 0; i < tail.length; i++) {
            if (r.get(ValueLayout.JAVA_BYTE, length - tail.length + i) != tail[i]) {
                return false;
            }
        }
        return true;
    }
}
