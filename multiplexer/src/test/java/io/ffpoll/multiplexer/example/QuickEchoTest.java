package io.ffpoll.multiplexer.example;

import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.net.GroupListener;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
