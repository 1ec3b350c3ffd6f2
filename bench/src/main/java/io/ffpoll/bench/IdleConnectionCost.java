package io.ffpoll.bench;

import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.linux.SockAddr;
import io.ffpoll.bindings.linux.Sockets;
import io.ffpoll.multiplexer.Connection;
import io.ffpoll.multiplexer.ConnectionHandler;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Listener;
import io.ffpoll.multiplexer.Tcp;

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

    private static <T> T onLoop(EventLoop loop, java.util.concurrent.Callable<T> body) throws Exception {
        return loop.submit(body).get(60, TimeUnit.SECONDS);
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        int lfd = Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096, false);
        InetSocketAddress address = Tcp.localAddress(lfd);
        CountDownLatch echoed = new CountDownLatch(n);
        try (EventLoop loop = EventLoop.start("idle-cost"); Arena arena = Arena.ofConfined()) {
            ConnectionHandler echoOnce = (c, data) -> {
                try {
                    c.write(data);
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
                echoed.countDown();
                return data.byteSize();
            };
            Listener listener = onLoop(loop, () -> Listener.start(loop, lfd,
                    (fd, peer) -> Connection.open(loop, fd, peer, echoOnce)));
            onLoop(loop, () -> loop.bufferPool().inUseBytes()); // creates the loop's shared state
            long heapBefore = usedHeapAfterGc();
            long nativeBefore = onLoop(loop, () -> loop.bufferPool().inUseBytes());

            int[] clients = new int[n];
            MemorySegment sa = SockAddr.allocateStorage(arena);
            int len = SockAddr.encode(address, sa);
            MemorySegment ping = arena.allocateFrom("ping");
            MemorySegment buf = arena.allocate(16);
            for (int i = 0; i < n; i++) {
                clients[i] = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, 0);
                if (clients[i] < 0 || Sockets.connect(clients[i], sa, len) != 0) {
                    throw new IllegalStateException("client " + i + " could not connect (fd limit?)");
                }
                Sockets.send(clients[i], ping, 4, Sockets.MSG_NOSIGNAL);
            }
            if (!echoed.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("not all connections were served");
            }
            for (int c : clients) {
                Fd.read(c, buf, 16);
            }
            long heapAfter = usedHeapAfterGc();
            long[] pool = onLoop(loop, () -> new long[] {loop.openConnections(), loop.bufferPool().inUseBytes(),
                    loop.bufferPool().inUseCount()});
            System.out.printf("%d idle connections on one loop (%s, JDK %s)%n", pool[0], loop.backend(),
                    Runtime.version());
            System.out.printf("Java heap:       %,d bytes per connection (%,d bytes in all)%n",
                    (heapAfter - heapBefore) / n, heapAfter - heapBefore);
            System.out.printf("pooled native:   %,d bytes per connection (the loop holds %,d bytes in %d buffer(s): its shared read buffer)%n",
                    (pool[1] - nativeBefore) / n, pool[1], pool[2]);
            for (int c : clients) {
                Fd.close(c);
            }
            onLoop(loop, () -> {
                listener.close();
                return null;
            });
        }
    }
}
