package io.ffpoll.http;

import io.ffpoll.bindings.platform.Platform;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java heap a server keeps per idle connection after each served one request. The clients
 * are raw sockets made with the bindings, so they hold no Java objects of their own; one
 * connection is served first, so that everything per loop exists before the baseline.
 */
final class IdleHeap {
    private static final Platform OS = Platform.current();

    private IdleHeap() {}

    /** A check made while the connections are open and idle. */
    interface WhileIdle {
        void check() throws Exception;
    }

    /**
     * Opens {@code connections} connections to {@code s}, sends {@code request} on each and reads
     * until the response ends with {@code responseEnd}, keeps them open and idle, and returns the
     * heap growth per connection; runs {@code whileIdle} with them all open; then closes them.
     * The growth is measured twice, over two batches of half the connections each, and the
     * smaller is returned: a test that ran before may still allocate on a thread of its own
     * (a child's output reader, a timer) while one batch is measured, and the cost of a
     * connection shows in both.
     */
    static long perConnection(HttpServer s, byte[] request, String responseEnd, int connections, WhileIdle whileIdle)
            throws Exception {
        int[] clients = new int[connections];
        int first = -1;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment addr = OS.allocateSockaddr(arena);
            int addrLen = OS.encode(s.address(), addr);
            MemorySegment req = arena.allocate(request.length);
            MemorySegment.copy(request, 0, req, ValueLayout.JAVA_BYTE, 0, request.length);
            MemorySegment response = arena.allocate(4096);
            byte[] end = responseEnd.getBytes(StandardCharsets.US_ASCII);
            first = serveOnce(addr, addrLen, req, response, end);
            int half = connections / 2;
            long least = Long.MAX_VALUE;
            for (int batch = 0; batch < 2; batch++) {
                long before = heapAfterGc();
                for (int i = batch * half; i < (batch + 1) * half; i++) {
                    clients[i] = serveOnce(addr, addrLen, req, response, end);
                }
                int open = (batch + 1) * half + 1;
                HttpTestBase.await(() -> s.openConnections() == open, "all connections are open");
                least = Math.min(least, (heapAfterGc() - before) / half);
            }
            whileIdle.check();
            return least;
        } finally {
            if (first > 0) {
                OS.close(first);
            }
            for (int fd : clients) {
                if (fd > 0) {
                    OS.close(fd);
                }
            }
        }
    }

    private static long heapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(20); // lets a concurrent collector finish its cycle before reading
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** A blocking client socket that sent one request and read its whole response. */
    private static int serveOnce(MemorySegment addr, int addrLen, MemorySegment request, MemorySegment response,
                                 byte[] end) {
        int fd = OS.socket(OS.family(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        assertTrue(fd >= 0, OS.describe(-fd));
        assertEquals(0, OS.setBlocking(fd, true));
        assertEquals(0, OS.connect(fd, addr, addrLen));
        long sent = 0;
        while (sent < request.byteSize()) {
            long n = OS.send(fd, request.asSlice(sent), request.byteSize() - sent, false);
            assertTrue(n > 0, "send: " + n);
            sent += n;
        }
        long got = 0;
        while (!endsWith(response, got, end)) {
            long n = OS.read(fd, response.asSlice(got), response.byteSize() - got);
            assertTrue(n > 0, "read: " + n);
            got += n;
        }
        return fd;
    }

    private static boolean endsWith(MemorySegment r, long length, byte[] tail) {
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
