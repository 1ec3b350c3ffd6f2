package io.ffpoll.http;

import io.ffpoll.bindings.platform.Platform;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.ffpoll.http.ServerProbe.partialRequests;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The heap that decoded chunked request bodies take: none once a request is done (an idle
 * connection keeps no decode buffer), and, while bodies are in flight, at most the loop's
 * budget over all its connections; a body that would pass it is refused with 503.
 */
class ChunkedBodyMemoryTest extends HttpTestBase {
    private static final Platform OS = Platform.current();

    private HttpServer server(long maxBody) throws IOException {
        return start(builder().threads(1).limits(1024, 4096, maxBody)
                .route("POST", "/size", r -> Response.text(200, "got " + r.bodyLength() + " bytes."))
                .route("GET", "/plaintext", r -> Response.text(200, "Hello, World!")));
    }

    private static byte[] chunkedHead(int chunk) {
        return ("POST /size HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(chunk) + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] data(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'x');
        return b;
    }

    private static final byte[] LAST = "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

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
    void anIdleConnectionHoldsNoDecodeBufferAfterAChunkedPost() throws Exception {
        int connections = 300;
        HttpServer s = server(64 * 1024);
        byte[] head = chunkedHead(60_000);
        byte[] request = new byte[head.length + 60_000 + LAST.length];
        System.arraycopy(head, 0, request, 0, head.length);
        System.arraycopy(data(60_000), 0, request, head.length, 60_000);
        System.arraycopy(LAST, 0, request, head.length + 60_000, LAST.length);
        int[] clients = new int[connections];
        try (Arena arena = Arena.ofConfined()) {
            // Raw sockets made with the bindings: the clients hold no Java objects of their own.
            MemorySegment addr = OS.allocateSockaddr(arena);
            int addrLen = OS.encode(s.address(), addr);
            MemorySegment req = arena.allocate(request.length);
            MemorySegment.copy(request, 0, req, ValueLayout.JAVA_BYTE, 0, request.length);
            MemorySegment response = arena.allocate(4096);
            int first = postOnce(addr, addrLen, req, response); // everything per loop exists before measuring
            long before = heapAfterGc();
            for (int i = 0; i < connections; i++) {
                clients[i] = postOnce(addr, addrLen, req, response);
            }
            await(() -> s.openConnections() == connections + 1, "all connections are open");
            long perConnection = (heapAfterGc() - before) / connections;
            assertTrue(perConnection <= 1024, "an idle connection holds " + perConnection
                    + " bytes of heap after one 60,000-byte chunked POST");
            OS.close(first);
        } finally {
            for (int fd : clients) {
                if (fd > 0) {
                    OS.close(fd);
                }
            }
        }
    }

    /** A blocking client socket that sent one chunked POST and read its whole response. */
    private static int postOnce(MemorySegment addr, int addrLen, MemorySegment request, MemorySegment response) {
        int fd = OS.socket(OS.family(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0)));
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
        while (!endsWith(response, got, "got 60000 bytes.")) {
            long n = OS.read(fd, response.asSlice(got), response.byteSize() - got);
            assertTrue(n > 0, "read: " + n);
            got += n;
        }
        return fd;
    }

    private static boolean endsWith(MemorySegment r, long length, String text) {
        byte[] tail = text.getBytes(StandardCharsets.US_ASCII);
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

    @Test
    void unfinishedChunkedBodiesPastTheLoopsBudgetAreRefusedAndTheOthersServed() throws Exception {
        // A budget of five bodies at the limit: each client declares a 200,000-byte chunk and
        // sends half of it; the sixth and later would pass the budget.
        System.setProperty("ffpoll.http.chunkedBodyBudget", "1000000");
        HttpServer s;
        try {
            s = server(200_000);
        } finally {
            System.clearProperty("ffpoll.http.chunkedBodyBudget");
        }
        List<Socket> admitted = new ArrayList<>();
        List<Socket> all = new ArrayList<>();
        try {
            int refused = 0;
            for (int i = 0; i < 8; i++) {
                Socket c = new Socket();
                all.add(c);
                c.connect(s.address(), 30_000);
                c.setSoTimeout(30_000);
                OutputStream out = c.getOutputStream();
                out.write(chunkedHead(200_000));
                out.write(data(100_000));
                out.flush();
                int before = admitted.size();
                await(() -> partialRequests(s) == before + 1 || available(c), "connection " + i + " held or answered");
                if (partialRequests(s) == before + 1) {
                    admitted.add(c);
                    continue;
                }
                refused++;
                RawClient.Response r = new RawClient(c, c.getInputStream()).read();
                assertEquals(503, r.status(), "connection " + i + ": " + r.text());
                assertEquals("1", r.header("retry-after"));
                assertEquals("close", r.header("connection"));
            }
            assertEquals(5, admitted.size(), "bodies held within the budget");
            assertEquals(3, refused, "bodies refused past the budget");
            // The loop serves others meanwhile.
            try (RawClient other = new RawClient(s.address())) {
                assertEquals("Hello, World!", other.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().text());
            }
            // A client that leaves mid-body gives its share back: a whole body fits again.
            Socket gone = admitted.remove(0);
            gone.setSoLinger(true, 0);
            gone.close();
            await(() -> partialRequests(s) == 4, "the server closed the connection that left");
            try (RawClient again = new RawClient(s.address())) {
                again.send(new String(chunkedHead(200_000), StandardCharsets.ISO_8859_1) + "x".repeat(200_000) + "\r\n0\r\n\r\n");
                RawClient.Response r = again.read();
                assertEquals(200, r.status(), r.text());
                assertEquals("got 200000 bytes.", r.text());
            }
            for (Socket c : admitted) {
                OutputStream out = c.getOutputStream();
                out.write(data(100_000));
                out.write(LAST);
                out.flush();
                RawClient.Response r = new RawClient(c, c.getInputStream()).read();
                assertEquals(200, r.status(), r.text());
                assertEquals("got 200000 bytes.", r.text());
            }
        } finally {
            for (Socket c : all) {
                c.close();
            }
        }
    }

    private static boolean available(Socket c) {
        try {
            return c.getInputStream().available() > 0;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
