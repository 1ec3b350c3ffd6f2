package io.ffpoll.multiplexer.example;

import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.net.ConnectionStats;
import io.ffpoll.multiplexer.net.GroupListener;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's multiplexer quick start ({@link QuickEcho}) runs as written. */
class QuickEchoTest {
    @Test
    void theQuickStartEchoes() throws Exception {
        new Socket().close(); // java.net's own descriptor, kept for the JVM's life, before counting
        long fds = Loopback.openFds();
        try (EventLoopGroup group = EventLoopGroup.start("readme", 2);
             GroupListener echo = QuickEcho.serve(group, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            for (int i = 0; i < 4; i++) {
                try (Socket s = new Socket(echo.address().getAddress(), echo.address().getPort())) {
                    s.setSoTimeout(30_000);
                    s.getOutputStream().write(("echo " + i).getBytes());
                    assertEquals("echo " + i, new String(s.getInputStream().readNBytes(6)));
                }
            }
        }
        Loopback.awaitOpenFdsAtMost(fds, "file descriptors leaked");
    }

    @Test
    void aClientThatOnlySendsCannotMakeTheQuickStartQueueWithoutBound() throws Exception {
        try (EventLoopGroup group = EventLoopGroup.start("readme", 1);
             GroupListener echo = QuickEcho.serve(group, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             java.nio.channels.SocketChannel client = java.nio.channels.SocketChannel.open(echo.address())) {
            client.configureBlocking(false);
            java.nio.channels.Selector writable = java.nio.channels.Selector.open();
            client.register(writable, java.nio.channels.SelectionKey.OP_WRITE);
            java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(64 * 1024);
            long sent = 0;
            long most = 0;
            long limit = moreThanTheKernelBuffers();
            // Send without reading. A server that keeps reading makes room again and again, so
            // all of it goes; one that stops reading once it is past its watermark leaves the
            // socket full for good (two seconds without room is taken as that).
            while (sent < limit) {
                chunk.clear();
                int n = client.write(chunk);
                most = Math.max(most, ConnectionStats.of(group.get(0)).get(30, java.util.concurrent.TimeUnit.SECONDS)
                        .bufferBytesInUse());
                if (n == 0) {
                    writable.selectedKeys().clear();
                    if (writable.select(2_000) == 0) {
                        break;
                    }
                }
                sent += n;
            }
            writable.close();
            assertTrue(sent < limit, "the server read all " + limit + " bytes of a client that reads nothing");
            assertTrue(most <= 1 << 20, "the server held " + most + " bytes of buffers for one client");
        }
    }

    /**
     * More bytes than the four socket buffers between a client and the server could hold (each
     * side's send and receive buffers, which Linux grows up to tcp_wmem's and tcp_rmem's
     * maximum: 32 MiB for tcp_rmem on some machines), plus a margin for the server's queue.
     */
    private static long moreThanTheKernelBuffers() throws java.io.IOException {
        long buffers = 0;
        for (String sysctl : new String[] {"/proc/sys/net/ipv4/tcp_rmem", "/proc/sys/net/ipv4/tcp_wmem"}) {
            java.nio.file.Path p = java.nio.file.Path.of(sysctl);
            if (java.nio.file.Files.isReadable(p)) {
                // readAllLines: readString reads a /proc file by its stated size, 0, and stops early.
                String[] fields = java.nio.file.Files.readAllLines(p).getFirst().trim().split("\\s+");
                buffers += 2 * Long.parseLong(fields[fields.length - 1]);
            }
        }
        return Math.max(32L << 20, buffers + (8L << 20));
    }
}
