package io.ffpoll.bench;

import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.ConnectionHandler;
import io.ffpoll.multiplexer.net.ConnectionStats;
import io.ffpoll.multiplexer.net.Listener;
import io.ffpoll.multiplexer.net.Tcp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What does an idle {@link Connection} cost? Opens N loopback connections, lets each exchange
 * one message and go idle, then reports the Java heap and pooled native memory they hold, per
 * connection (kernel socket memory is not counted). Usage: {@code IdleConnectionCost [n]}.
 */
public final class IdleConnectionCost {
    private IdleConnectionCost() {}

    private static long usedHeapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** A blocking client socket that connects and sends "ping". */
    private static int connect(Platform os, MemorySegment sa, int len, MemorySegment ping, int i) throws Exception {
        int fd = os.socket(os.family(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        if (fd < 0 || os.setBlocking(fd, true) != 0) {
            throw new IllegalStateException("client " + i + " could not be made (fd limit?): " + fd);
        }
        if (os.connect(fd, sa, len) != 0 || os.send(fd, ping, 4, false) != 4) {
            throw new IllegalStateException("client " + i + " could not connect (fd limit?)");
        }
        return fd;
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        int lfd = Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096, false);
        InetSocketAddress address = Tcp.localAddress(lfd);
        Platform os = Platform.current();
        CountDownLatch warmedUp = new CountDownLatch(1);
        CountDownLatch echoed = new CountDownLatch(n + 1);
        try (EventLoop loop = EventLoop.start("idle-cost"); Arena arena = Arena.ofConfined()) {
            ConnectionHandler echoOnce = (c, data) -> {
                c.write(data);
                echoed.countDown();
                warmedUp.countDown();
                return data.byteSize();
            };
            Listener listener = Listener.start(loop, lfd, (fd, peer) -> Connection.open(loop, fd, peer, echoOnce))
                    .get(60, TimeUnit.SECONDS);
            MemorySegment sa = os.allocateSockaddr(arena);
            int len = os.encode(address, sa);
            MemorySegment ping = arena.allocateFrom("ping");
            MemorySegment buf = arena.allocate(16);
            // One connection first, so that the loop's shared state (its read buffer) exists
            // before the baseline and is not counted against the idle connections.
            int[] clients = new int[n + 1];
            clients[n] = connect(os, sa, len, ping, n);
            if (!warmedUp.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the first connection was not served");
            }
            long heapBefore = usedHeapAfterGc();
            long nativeBefore = ConnectionStats.of(loop).get(60, TimeUnit.SECONDS).bufferBytesInUse();
            for (int i = 0; i < n; i++) {
                clients[i] = connect(os, sa, len, ping, i);
            }
            if (!echoed.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("not all connections were served");
            }
            for (int c : clients) {
                os.read(c, buf, 16);
            }
            long heapAfter = usedHeapAfterGc();
            ConnectionStats stats = ConnectionStats.of(loop).get(60, TimeUnit.SECONDS);
            long[] pool = {stats.openConnections() - 1, stats.bufferBytesInUse(), stats.buffersInUse()};
            System.out.printf("%d idle connections on one loop (%s, JDK %s)%n", pool[0], loop.backend(),
                    Runtime.version());
            System.out.printf("Java heap:       %,d bytes per connection (%,d bytes in all)%n",
                    (heapAfter - heapBefore) / n, heapAfter - heapBefore);
            System.out.printf("pooled native:   %,d bytes per connection (the loop holds %,d bytes in %d buffer(s): its shared read buffer)%n",
                    (pool[1] - nativeBefore) / n, pool[1], pool[2]);
            for (int c : clients) {
                os.close(c);
            }
            listener.closeAsync().get(60, TimeUnit.SECONDS);
        }
    }
}
