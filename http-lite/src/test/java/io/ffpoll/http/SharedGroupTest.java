package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.Timer;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.GroupListener;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * http-lite on loops the caller already runs: it serves beside the caller's own listener and
 * timer on the same loops, and stopping it leaves the loops and what else runs on them alone.
 */
class SharedGroupTest extends HttpTestBase {

    @Test
    void aServerOnTheCallersGroupServesBesideItsOwnWorkAndLeavesItRunning() throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (EventLoopGroup group = EventLoopGroup.start("shared", 2);
             GroupListener echo = GroupListener.start(group, any, (loop, fd, peer) ->
                     Connection.open(loop, fd, peer, (c, data) -> {
                         c.write(data);
                         return data.byteSize();
                     }))) {
            AtomicInteger ticks = new AtomicInteger();
            Timer tick = group.get(1).scheduleAtFixedRate(Duration.ZERO, Duration.ofMillis(5), ticks::incrementAndGet);
            HttpServer server = start(Main.withBuiltInRoutes(builder()).group(group));
            assertEquals(2, server.loopCount(), "the group's loops");
            try (RawClient c = new RawClient(server.address())) {
                for (int i = 0; i < 10; i++) {
                    assertEquals(200, c.send("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").read().status());
                }
            }
            await(() -> server.openConnections() == 0, "the client's connection closed");
            assertTrue(server.shutdownAsync(Duration.ofSeconds(30)).get(30, TimeUnit.SECONDS), "stopped cleanly");
            assertFalse(group.isClosed(), "the caller's loops keep running");
            int before = ticks.get();
            await(() -> ticks.get() > before + 2, "the caller's timer still runs");
            try (Socket s = new Socket(echo.address().getAddress(), echo.address().getPort())) {
                s.setSoTimeout(30_000);
                s.getOutputStream().write("still here".getBytes());
                assertEquals("still here", new String(s.getInputStream().readNBytes(10)));
            }
            tick.cancel();
        }
    }

    @Test
    void aBuilderGivenBothAGroupAndItsOwnLoopCountIsRefused() throws Exception {
        try (EventLoopGroup group = EventLoopGroup.start("shared", 1)) {
            IllegalStateException both = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> builder().group(group).threads(4).start());
            assertTrue(both.getMessage().contains("threads"), both.getMessage());
        }
    }

    @Test
    void theBuilderIsReadWhenStartAsyncIsCalledNotWhenTheLoopsGetToIt() throws Exception {
        try (EventLoopGroup group = EventLoopGroup.start("shared", 1)) {
            java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
            group.get(0).execute(() -> {
                try {
                    hold.await(); // the loop is busy while the caller changes the builder
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            InetSocketAddress asked = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            HttpServer.Builder b = Main.withBuiltInRoutes(builder()).group(group).address(asked);
            java.util.concurrent.CompletableFuture<HttpServer> starting = b.startAsync();
            b.address(new InetSocketAddress("127.0.0.2", 0)); // too late to matter
            hold.countDown();
            HttpServer server = starting.get(30, TimeUnit.SECONDS);
            assertEquals(InetAddress.getLoopbackAddress(), server.address().getAddress());
            assertTrue(server.shutdownAsync(Duration.ZERO).get(30, TimeUnit.SECONDS)); // before its loops go
        }
    }
}
