package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.internal.Faults;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A loop serving many connections while its calls fail at random (fixed seeds) through the
 * bindings' fault-injection seam: it survives; a connection hit by a fatal error is closed and
 * reported once; every other one is served byte-exact; transient errors (EINTR, an aborted
 * accept) cost nobody anything; nothing leaks. EAGAIN is not injected: a real EAGAIN arms the
 * kernel's next edge, a fake one cannot, so it would stall a connection by construction.
 */
class FaultInjectionTest {
    private static final InetSocketAddress ANY = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private long fdsBefore;
    private EventLoop loop;

    @BeforeEach
    void start() throws IOException {
        new Socket().close(); // java.net's own descriptor, kept for the JVM's life, before counting
        fdsBefore = Loopback.openFds();
        loop = EventLoop.start("faulty-loop");
    }

    @AfterEach
    void stop() throws InterruptedException {
        Faults.clear();
        loop.close();
        Loopback.awaitOpenFdsAtMost(fdsBefore, "file descriptors leaked");
    }

    /** Echo, counting each connection's onClosed calls and the causes. */
    private static final class Echo implements ConnectionHandler {
        final Map<Connection, AtomicInteger> closes;
        final List<IOException> causes;

        Echo(Map<Connection, AtomicInteger> closes, List<IOException> causes) {
            this.closes = closes;
            this.causes = causes;
        }

        @Override
        public long onData(Connection c, MemorySegment data) {
            c.write(data);
            return data.byteSize();
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
            closes.computeIfAbsent(c, k -> new AtomicInteger()).incrementAndGet();
            if (cause != null) {
                synchronized (causes) {
                    causes.add(cause);
                }
            }
        }
    }

    /** Sends {@code rounds} messages and reads each echo; true if all came back exact. */
    private static boolean converse(Socket s, Random random, int rounds) {
        try {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < rounds; i++) {
                byte[] m = new byte[1 + random.nextInt(20_000)];
                random.nextBytes(m);
                out.write(m);
                byte[] back = in.readNBytes(m.length);
                if (back.length != m.length) {
                    return false; // the server closed it: EOF
                }
                assertArrayEquals(m, back, "a served connection must get its bytes back exactly");
            }
            return true;
        } catch (IOException reset) {
            return false; // the server reset it
        }
    }

    @Test
    void aLoopSurvivesRandomFaultsAndServesEveryoneItDidNotHit() throws Exception {
        Map<Connection, AtomicInteger> closes = new ConcurrentHashMap<>();
        List<IOException> causes = new ArrayList<>();
        Listener listener = Listener.start(loop, Tcp.listen(ANY, 1024, false),
                (fd, peer) -> Connection.open(loop, fd, peer, new Echo(closes, causes))).get(30, TimeUnit.SECONDS);
        InetSocketAddress address = Tcp.localAddress(listener.fd());
        // IORING_OP_RECV: on io_uring a connection's reads are the ring's receives, failed as reads are.
        long fatalBefore = Faults.injected("read") + Faults.injected("IORING_OP_RECV") + Faults.injected("sendmsg")
                + Faults.injected("send");
        Faults.install(42, List.of(
                new Faults.Rule("read", Err.EINTR, 0.05),
                new Faults.Rule("read", Err.ECONNRESET, 0.003),
                new Faults.Rule("IORING_OP_RECV", Err.EINTR, 0.05),
                new Faults.Rule("IORING_OP_RECV", Err.ECONNRESET, 0.003),
                new Faults.Rule("sendmsg", Err.EINTR, 0.05),
                new Faults.Rule("sendmsg", Err.EPIPE, 0.003),
                new Faults.Rule("sendmsg", Err.ENOBUFS, 0.003),
                new Faults.Rule("send", Err.EINTR, 0.05),
                new Faults.Rule("send", Err.ECONNRESET, 0.003),
                new Faults.Rule("accept4", Err.EINTR, 0.1),
                new Faults.Rule("accept4", Err.ECONNABORTED, 0.1),
                new Faults.Rule("accept4", Err.ENOMEM, 0.02),
                // On io_uring (Linux >= 5.19) the ring accepts: its take fails as accept4 would.
                new Faults.Rule("IORING_OP_ACCEPT", Err.EINTR, 0.1),
                new Faults.Rule("IORING_OP_ACCEPT", Err.ECONNABORTED, 0.1),
                new Faults.Rule("IORING_OP_ACCEPT", Err.ENOMEM, 0.02),
                new Faults.Rule("epoll_wait", Err.EINTR, 0.05)), "faulty-loop");
        final int clients = 40;
        int served = 0;
        int cut = 0;
        Random random = new Random(7);
        for (int i = 0; i < clients; i++) {
            try (Socket s = new Socket(address.getAddress(), address.getPort())) {
                s.setSoTimeout(30_000);
                if (converse(s, random, 20)) {
                    served++;
                } else {
                    cut++;
                }
            }
        }
        Faults.clear();
        Map<String, Long> injected = Faults.snapshot();
        long fatal = Faults.injected("read") + Faults.injected("IORING_OP_RECV") + Faults.injected("sendmsg")
                + Faults.injected("send") - fatalBefore;
        long reads = injected.getOrDefault("read", 0L) + injected.getOrDefault("IORING_OP_RECV", 0L);
        assertTrue(reads > 10 && injected.getOrDefault("accept4", 0L) + injected.getOrDefault("IORING_OP_ACCEPT", 0L) > 0,
                "faults were injected: " + injected);
        // Every connection closes once (served ones when their client closes): wait for all 40.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (closes.size() < clients || ConnectionStats.of(loop).join().openConnections() > 0) {
            assertTrue(System.nanoTime() < deadline, closes.size() + " of " + clients + " connections closed");
            Thread.sleep(1);
        }
        for (AtomicInteger n : closes.values()) {
            assertEquals(1, n.get(), "onClosed once per connection");
        }
        synchronized (causes) {
            for (IOException cause : causes) {
                String m = String.valueOf(cause.getMessage());
                assertTrue(m.contains("ECONNRESET") || m.contains("EPIPE") || m.contains("ENOBUFS")
                        || m.contains("Connection reset") || m.contains("Broken pipe"), "an injected fatal fault, not " + cause);
            }
            assertTrue(causes.size() <= fatal, causes.size() + " connections failed for " + fatal + " fatal faults (EINTR must cost none)");
        }
        assertEquals(clients, served + cut);
        assertTrue(served >= clients / 2, "served " + served + " of " + clients + "; cut " + cut + " by " + injected);
        assertEquals(0L, ConnectionStats.of(loop).join().buffersInUse() - 1, "the pool holds only the read buffer");
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }

    @Test
    void underEmfileTheAcceptPathBacksOffAndRecovers() throws Exception {
        Listener listener = Listener.start(loop, Tcp.listen(ANY, 128, false),
                (fd, peer) -> Connection.open(loop, fd, peer, new Echo(new ConcurrentHashMap<>(), new ArrayList<>())))
                .get(30, TimeUnit.SECONDS);
        InetSocketAddress address = Tcp.localAddress(listener.fd());
        Faults.install(1, List.of(new Faults.Rule("accept4", Err.EMFILE, 1.0),
                new Faults.Rule("IORING_OP_ACCEPT", Err.EMFILE, 1.0)), "faulty-loop");
        Thread loopThread = io.ffpoll.multiplexer.testing.LoopThreads.thread(loop);
        long attempts = Syscalls.count("accept4", loopThread) + Faults.injected("IORING_OP_ACCEPT");
        long pausesBefore = listener.pauses();
        try (Socket s = new Socket(address.getAddress(), address.getPort())) { // the kernel completes the handshake
            s.setSoTimeout(30_000);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (listener.pauses() - pausesBefore < 3) {
                assertTrue(System.nanoTime() < deadline, "accepting never paused three times");
                Thread.sleep(5);
            }
            long pauses = listener.pauses() - pausesBefore;
            long made = Syscalls.count("accept4", loopThread) + Faults.injected("IORING_OP_ACCEPT") - attempts;
            // One attempt per 100 ms pause (a spinning loop would make thousands meanwhile).
            assertTrue(made <= pauses + 2, made + " accept attempts over " + pauses + " pauses");
            Faults.clear(); // descriptors are free again
            s.getOutputStream().write("back".getBytes());
            assertEquals("back", new String(s.getInputStream().readNBytes(4)), "accepted once descriptors were free");
        }
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }
}
