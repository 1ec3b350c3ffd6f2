package io.ffpoll.multiplexer;

import io.ffpoll.bindings.Syscalls;
import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.EventFd;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.multiplexer.example.EchoClient;
import io.ffpoll.multiplexer.example.EchoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Listener, Connector and the echo example on a real loop over loopback. */
class SocketHelpersTest {
    private long fdsBefore;
    private EventLoop loop;
    private Loopback net;

    @BeforeEach
    void start() throws IOException {
        fdsBefore = Loopback.openFds();
        loop = EventLoop.start("sockets-loop");
        net = new Loopback();
    }

    @AfterEach
    void stop() {
        loop.close();
        net.close();
        assertEquals(fdsBefore, Loopback.openFds(), "file descriptors leaked");
    }

    private <T> T onLoop(java.util.concurrent.Callable<T> body) throws Exception {
        return loop.submit(body).get(10, TimeUnit.SECONDS);
    }

    private record Accepted(int fd, InetSocketAddress peer) {}

    @Test
    void listenerAcceptsWithThePeerAddressAndNonBlockingFds() throws Exception {
        int lfd = Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128, true);
        InetSocketAddress address = Tcp.localAddress(lfd);
        BlockingQueue<Accepted> accepted = new LinkedBlockingQueue<>();
        Listener listener = onLoop(() -> Listener.start(loop, lfd, (fd, peer) -> accepted.add(new Accepted(fd, peer))));
        for (int i = 0; i < 3; i++) {
            int client = net.connect(address);
            Accepted a = accepted.poll(5, TimeUnit.SECONDS);
            assertNotNull(a, "connection " + i + " not accepted");
            net.track(a.fd());
            assertEquals(net.address(client), a.peer());
            assertEquals(Fd.O_NONBLOCK, Fd.fcntl(a.fd(), Fd.F_GETFL, 0) & Fd.O_NONBLOCK);
            assertEquals(Fd.FD_CLOEXEC, Fd.fcntl(a.fd(), Fd.F_GETFD, 0) & Fd.FD_CLOEXEC);
        }
        onLoop(() -> {
            listener.close();
            return null;
        });
    }

    @Test
    void runningOutOfDescriptorsPausesAcceptingInsteadOfSpinning() throws Exception {
        int lfd = Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128, false);
        InetSocketAddress address = Tcp.localAddress(lfd);
        BlockingQueue<Accepted> accepted = new LinkedBlockingQueue<>();
        Listener listener = onLoop(() -> Listener.start(loop, lfd, (fd, peer) -> accepted.add(new Accepted(fd, peer))));
        // Warm up every code path first: under EMFILE even loading a class can fail.
        net.connect(address);
        net.track(accepted.poll(5, TimeUnit.SECONDS).fd());
        onLoop(() -> loop.schedule(Duration.ofMillis(1), () -> ErrnoCodes.describe(ErrnoCodes.EMFILE)));

        int client = net.track(io.ffpoll.bindings.linux.Sockets.socket(io.ffpoll.bindings.linux.Sockets.AF_INET,
                io.ffpoll.bindings.linux.Sockets.SOCK_STREAM | io.ffpoll.bindings.linux.Sockets.SOCK_CLOEXEC, 0));
        int[] filler = new int[100_000];
        int filled = 0;
        int r;
        while ((r = EventFd.eventfd(0, EventFd.EFD_CLOEXEC)) >= 0) {
            filler[filled++] = r;
        }
        long accepts;
        try {
            assertEquals(-ErrnoCodes.EMFILE, r, "filling the fd table ended with " + ErrnoCodes.describe(-r));
            accepts = Syscalls.count("accept4");
            // The handshake completes in the kernel; accept4 then has no fd to give.
            var sa = java.lang.foreign.Arena.ofAuto();
            var addr = io.ffpoll.bindings.linux.SockAddr.allocateStorage(sa);
            int len = io.ffpoll.bindings.linux.SockAddr.encode(address, addr);
            assertEquals(0, io.ffpoll.bindings.linux.Sockets.connect(client, addr, len));
            Thread.sleep(450);
            assertNull(accepted.poll());
        } finally {
            for (int i = 0; i < filled; i++) {
                Fd.close(filler[i]);
            }
        }
        long attempts = Syscalls.count("accept4") - accepts;
        // Retried once per 100 ms pause (about 5 times), where a spinning loop would make thousands.
        assertTrue(attempts >= 1 && attempts <= 10, "accept4 was tried " + attempts + " times in 450 ms");
        assertTrue(listener.pauses() >= 1);
        Accepted late = accepted.poll(5, TimeUnit.SECONDS);
        assertNotNull(late, "the connection was not accepted once descriptors were free again");
        net.track(late.fd());
        assertEquals(net.address(client), late.peer());
        onLoop(() -> {
            listener.close();
            return null;
        });
    }

    @Test
    void nonBlockingConnectSucceedsOnceAndTheSocketIsThenUsable() throws Exception {
        int lfd = net.listen();
        InetSocketAddress address = net.address(lfd);
        CompletableFuture<Integer> connected = new CompletableFuture<>();
        CompletableFuture<Event> writable = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        loop.execute(() -> Connector.connect(loop, address, new Connector.ConnectHandler() {
            @Override
            public void connected(int fd) {
                calls.incrementAndGet();
                connected.complete(fd);
                loop.modify(fd, Interest.WRITABLE); // writability was remembered
            }

            @Override
            public void connectFailed(IOException cause) {
                calls.incrementAndGet();
                connected.completeExceptionally(cause);
            }

            @Override
            public void onEvent(Event event) {
                if (event.isWritable()) {
                    writable.complete(null);
                }
            }
        }));
        int fd = connected.get(5, TimeUnit.SECONDS);
        writable.get(5, TimeUnit.SECONDS);
        int server = net.accept(lfd);
        net.send(server, "hi".getBytes());
        Thread.sleep(20);
        assertArrayEquals("hi".getBytes(), onLoop(() -> net.read(fd, 16)));
        assertEquals(1, calls.get());
        onLoop(() -> {
            loop.close(fd);
            return null;
        });
    }

    @Test
    void aRefusedConnectIsOneFailureAndTheLoopGoesOn() throws Exception {
        int lfd = net.listen();
        InetSocketAddress closedPort = net.address(lfd);
        net.close(lfd);
        List<IOException> failures = new CopyOnWriteArrayList<>();
        AtomicInteger connects = new AtomicInteger();
        loop.execute(() -> Connector.connect(loop, closedPort, new Connector.ConnectHandler() {
            @Override
            public void connected(int fd) {
                connects.incrementAndGet();
            }

            @Override
            public void connectFailed(IOException cause) {
                failures.add(cause);
            }

            @Override
            public void onEvent(Event event) {
                connects.incrementAndGet();
            }
        }));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (failures.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        Thread.sleep(100); // a storm would show up here
        assertEquals(1, failures.size());
        assertEquals(0, connects.get());
        assertInstanceOf(ConnectException.class, failures.get(0));
        assertEquals("connect(" + closedPort + "): ECONNREFUSED (Connection refused)", failures.get(0).getMessage());
        assertEquals(42, (int) onLoop(() -> 42));
    }

    @Test
    void theEchoExamplesServeEachOtherAndEveryByteReturnsInOrder() throws Exception {
        int lfd = Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128, false);
        InetSocketAddress address = Tcp.localAddress(lfd);
        Listener listener = onLoop(() -> EchoServer.start(loop, lfd));
        // A raw client streams more than the socket buffers hold: the server must pause reading.
        byte[] data = new byte[3 * 1024 * 1024];
        new Random(7).nextBytes(data);
        int client = net.connect(address);
        Thread writer = new Thread(() -> net.send(client, data));
        writer.start();
        byte[] back = net.readFully(client, data.length);
        writer.join();
        assertTrue(Arrays.equals(data, back), "echo corrupted the stream");
        net.close(client);
        // The example client, on the same loop, checks 20 echoes of 100 KiB byte for byte.
        EchoClient echoClient = new EchoClient(20, 100 * 1024);
        loop.execute(() -> Connection.connect(loop, address, echoClient));
        String summary = echoClient.result().get(30, TimeUnit.SECONDS);
        assertTrue(summary.startsWith("20 echoes of 102400 bytes"), summary);
        // Both sides close their connections: only the loop's own fds and the listener remain.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (onLoop(loop::openConnections) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(0, (int) onLoop(loop::openConnections));
        onLoop(() -> {
            listener.close();
            return null;
        });
    }
}
