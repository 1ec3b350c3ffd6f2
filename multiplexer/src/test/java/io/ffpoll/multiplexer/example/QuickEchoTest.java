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
            // Send without reading. A server that keeps reading makes room again and again, so
            // all 32 MiB go; one that stops reading once it is past its watermark leaves the
            // socket full for good (two seconds without room is taken as that).
            while (sent < 32 << 20) {
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
            assertTrue(sent < 32 << 20, "the server read all 32 MiB of a client that reads nothing");
            assertTrue(most <= 1 << 20, "the server held " + most + " bytes of buffers for one client");
        }
    }
}
