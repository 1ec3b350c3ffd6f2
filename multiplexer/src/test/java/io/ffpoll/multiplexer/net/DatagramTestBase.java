package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A loop per test, JDK datagram sockets as the peers, and the checks at the end: no descriptor
 * left open, and the loop's pool holding only what it held before (its read buffer).
 */
abstract class DatagramTestBase {
    static final InetAddress V4 = InetAddress.getLoopbackAddress();
    protected EventLoop loop;
    private long fdsBefore;
    private long poolBefore;
    private final List<DatagramSocket> peers = new ArrayList<>();

    @BeforeEach
    void startLoop() throws Exception {
        new java.net.Socket().close(); // java.net's own descriptor, kept for the JVM's life, before counting
        try (DatagramSocket warm = new DatagramSocket(0, V4)) {
            warm.getLocalPort(); // and the JDK's datagram classes, loaded once
        }
        fdsBefore = Loopback.openFds();
        loop = startLoop(getClass().getSimpleName());
        poolBefore = onLoop(() -> LoopIo.of(loop).pool.inUseCount());
    }

    @AfterEach
    void stopLoopAndCheck() throws Exception {
        try {
            if (!loop.isClosed()) {
                assertEquals(poolBefore, (long) onLoop(() -> LoopIo.of(loop).pool.inUseCount()),
                        "pooled buffers given back");
            }
        } finally {
            loop.close();
            peers.forEach(DatagramSocket::close);
        }
        Loopback.awaitOpenFdsAtMost(fdsBefore, "after the test"); // libkqueue frees a kqueue's fds a moment later
        assertEquals(fdsBefore, Loopback.openFds(), "file descriptors leaked");
    }

    /** The loop under test: the OS's own backend here, kqueue (on libkqueue) in a subclass. */
    EventLoop startLoop(String name) throws Exception {
        return EventLoop.start(name);
    }

    <T> T onLoop(Callable<T> body) throws Exception {
        return loop.submit(body).get(30, TimeUnit.SECONDS);
    }

    /** A blocking JDK datagram socket on {@code address}'s loopback, closed after the test. */
    DatagramSocket peer(InetAddress address) throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(address, 0));
        s.setSoTimeout(30_000);
        peers.add(s);
        return s;
    }

    static void send(DatagramSocket from, byte[] bytes, InetSocketAddress to) throws Exception {
        from.send(new DatagramPacket(bytes, bytes.length, to));
    }

    static byte[] receive(DatagramSocket at, int max) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[max], max);
        at.receive(p);
        return java.util.Arrays.copyOf(p.getData(), p.getLength());
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 31 + i * 7);
        }
        return b;
    }

    /** Echoes every datagram to its sender. */
    static final DatagramHandler ECHO = (endpoint, payload, sender) -> endpoint.send(payload, sender);

    DatagramEndpoint bind(InetSocketAddress at, DatagramOptions options, DatagramHandler handler) throws Exception {
        return DatagramEndpoint.bind(loop, at, options, handler).get(30, TimeUnit.SECONDS);
    }

    void close(DatagramEndpoint e) throws Exception {
        e.closeAsync().get(30, TimeUnit.SECONDS);
    }

    /** Waits up to 30 s for {@code condition}, checked on the loop thread. */
    void awaitOnLoop(Callable<Boolean> condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!onLoop(condition)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(1);
        }
    }
}
