package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.internal.Faults;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.linux.LinuxDatagrams;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.testing.LoopThreads;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Linux's batched I/O, counted: what waits is read in ceil(n / batch) recvmmsg calls, what an
 * iteration queued leaves in one sendmmsg, the loop still waits once per iteration; UDP GSO and
 * GRO, and the fallback when the kernel refuses GSO.
 */
class DatagramBatchingTest extends DatagramTestBase {
    private Thread loopThread;

    @BeforeEach
    void linuxOnly() throws Exception {
        Assumptions.assumeTrue(Platform.current().name().equals("linux"), "recvmmsg, sendmmsg, GSO and GRO are Linux's");
        loopThread = LoopThreads.thread(loop);
    }

    private long count(String call) {
        return Syscalls.count(call, loopThread);
    }

    /** rx_queue of the UDP socket bound to {@code port}, from /proc/net/udp: bytes the kernel holds for it. */
    private static long rxQueue(int port) throws Exception {
        String hexPort = String.format(":%04X", port);
        for (String line : Files.readAllLines(Path.of("/proc/net/udp"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 4 && f[1].endsWith(hexPort) && f[1].startsWith("0100007F")) {
                return Long.parseLong(f[4].substring(f[4].indexOf(':') + 1), 16);
            }
        }
        throw new AssertionError("no UDP socket on 127.0.0.1:" + port + " in /proc/net/udp");
    }

    private static void awaitRxQueue(int port, long bytes) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (rxQueue(port) != bytes) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("rx_queue of port " + port + " is " + rxQueue(port) + ", expected " + bytes);
            }
            Thread.sleep(1);
        }
    }

    /** Runs a task that holds the loop until the returned latch is counted down; returns once it holds it. */
    private CountDownLatch holdLoop() throws Exception {
        return LoopThreads.hold(loop);
    }

    /**
     * 64 datagrams wait in the socket while the loop is held; once it runs they are read in
     * ceil(64 / batch) recvmmsg calls (the last batch is short: the kernel had no more, so no
     * call is spent to see EAGAIN), their 64 echoes leave in one sendmmsg, and every iteration
     * made one epoll_wait.
     */
    @ParameterizedTest
    @ValueSource(ints = {10, 24, 48})
    void waitingDatagramsAreReadInCeilOfNOverBatchCallsAndEchoedInOneSendmmsg(int batch) throws Exception {
        DatagramEndpoint server = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS.receiveBatch(batch), ECHO);
        int port = server.localAddress().getPort();
        DatagramSocket client = peer(V4);
        CountDownLatch release = holdLoop();
        long recvmmsg = count("recvmmsg");
        long sendmmsg = count("sendmmsg");
        long waits = count(io.ffpoll.multiplexer.testing.Engines.waitCall(loop.backend()));
        long iterations = loop.stats().iterations();
        send(client, pattern(64, 0), server.localAddress());
        awaitRxQueue(port, rxQueue(port) == 0 ? -1 : rxQueue(port)); // the first is queued
        long each = rxQueue(port);
        for (int i = 1; i < 64; i++) {
            send(client, pattern(64, i), server.localAddress());
        }
        awaitRxQueue(port, 64 * each); // all 64 wait in the socket
        release.countDown();
        for (int i = 0; i < 64; i++) {
            assertArrayEquals(pattern(64, i), receive(client, 128), "echo " + i + ", in order");
        }
        awaitOnLoop(() -> server.stats().sent() == 64, "all echoes counted");
        CountDownLatch again = holdLoop(); // counts and iterations read between two iterations
        try {
            assertEquals((64 + batch - 1) / batch, count("recvmmsg") - recvmmsg, "ceil(64 / " + batch + ") recvmmsg");
            assertEquals(1, count("sendmmsg") - sendmmsg, "the 64 echoes queued in one iteration: one sendmmsg");
            assertEquals(loop.stats().iterations() - iterations, count(io.ffpoll.multiplexer.testing.Engines.waitCall(loop.backend())) - waits,
                    "one wait call (epoll_wait, io_uring_enter) per iteration");
        } finally {
            again.countDown();
        }
        close(server);
    }

    @Test
    void sendsQueuedInOneIterationToSeveralPeersLeaveInOneSendmmsg() throws Exception {
        DatagramSocket a = peer(V4);
        DatagramSocket b = peer(V4);
        DatagramEndpoint e = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS, ECHO);
        long sendmmsg = count("sendmmsg");
        onLoop(() -> {
            for (int i = 0; i < 100; i++) {
                DatagramSocket to = i % 2 == 0 ? a : b;
                assertTrue(e.send(MemorySegment.ofArray(pattern(32, i)), new InetSocketAddress(V4, to.getLocalPort())));
            }
            return null;
        });
        for (int i = 0; i < 100; i++) {
            assertArrayEquals(pattern(32, i), receive(i % 2 == 0 ? a : b, 64));
        }
        assertEquals(1, count("sendmmsg") - sendmmsg);
        close(e);
    }

    /** The BSDs' path, on Linux: one recvfrom per datagram and one to see EAGAIN, one sendto per echo. */
    @Test
    void theOneCallPathMakesOneCallPerDatagram() throws Exception {
        DatagramEndpoint server = DatagramSockets.bind(loop, new InetSocketAddress(V4, 0),
                DatagramOptions.DEFAULTS.receiveBatch(10), ECHO, LinuxDatagrams.create(false)).get(30, TimeUnit.SECONDS);
        int port = server.localAddress().getPort();
        DatagramSocket client = peer(V4);
        CountDownLatch release = holdLoop();
        long recvfrom = count("recvfrom");
        long sendto = count("sendto");
        send(client, pattern(64, 0), server.localAddress());
        awaitRxQueue(port, rxQueue(port) == 0 ? -1 : rxQueue(port));
        long each = rxQueue(port);
        for (int i = 1; i < 64; i++) {
            send(client, pattern(64, i), server.localAddress());
        }
        awaitRxQueue(port, 64 * each);
        release.countDown();
        for (int i = 0; i < 64; i++) {
            assertArrayEquals(pattern(64, i), receive(client, 128));
        }
        awaitOnLoop(() -> server.stats().sent() == 64, "all echoes counted");
        assertEquals(65, count("recvfrom") - recvfrom, "64 datagrams and the EAGAIN after them");
        assertEquals(64, count("sendto") - sendto);
        close(server);
    }

    private static byte[] segmentOf(byte[] whole, int index, int size) {
        return java.util.Arrays.copyOfRange(whole, index * size, Math.min(whole.length, (index + 1) * size));
    }

    @Test
    void gsoSendsManyEqualDatagramsInOneMessage() throws Exception {
        DatagramSocket peer = peer(V4);
        DatagramEndpoint e = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS.gso(true), ECHO);
        boolean gso = onLoop(e::gsoEnabled);
        assertEquals(gso ? 0 : 1, e.stats().segmentationFallbacks(), "GSO is on, or its refusal was counted");
        byte[] payload = pattern(60_300, 5); // 60 datagrams of 1,000 bytes and one of 300
        long sendmmsg = count("sendmmsg");
        onLoop(() -> e.sendSegmented(MemorySegment.ofArray(payload), 1000,
                new InetSocketAddress(V4, peer.getLocalPort())));
        for (int i = 0; i < 61; i++) {
            assertArrayEquals(segmentOf(payload, i, 1000), receive(peer, 2000), "datagram " + i);
        }
        awaitOnLoop(() -> e.stats().sent() == 61, "61 datagrams counted");
        assertEquals(1, count("sendmmsg") - sendmmsg, gso ? "one message for 61 datagrams" : "one batch of 61");
        close(e);
    }

    /** A seed whose first draw (of 0.5) fails a call and whose next ten do not, for this thread name. */
    private static long seedFailingFirstCallOnly(String thread) {
        for (long seed = 0; ; seed++) {
            SplittableRandom r = new SplittableRandom(seed ^ thread.hashCode());
            boolean ok = r.nextDouble() < 0.5;
            for (int i = 0; ok && i < 10; i++) {
                ok = r.nextDouble() >= 0.5;
            }
            if (ok) {
                return seed;
            }
        }
    }

    @Test
    void aGsoSendTheKernelRefusesGoesAsSingleDatagramsCounted() throws Exception {
        DatagramSocket peer = peer(V4);
        DatagramEndpoint e = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS.gso(true), new DatagramEndpointTest.Recorder());
        Assumptions.assumeTrue(onLoop(e::gsoEnabled), "this kernel has UDP GSO");
        byte[] payload = pattern(10_000, 9);
        long injected = Faults.injected("sendmmsg");
        // EIO, as from a device that cannot checksum the segments: once, on the GSO message.
        Faults.install(seedFailingFirstCallOnly(loop.name()), List.of(new Faults.Rule("sendmmsg", 5, 0.5)), loop.name());
        try {
            onLoop(() -> e.sendSegmented(MemorySegment.ofArray(payload), 1000,
                    new InetSocketAddress(V4, peer.getLocalPort())));
            for (int i = 0; i < 10; i++) {
                assertArrayEquals(segmentOf(payload, i, 1000), receive(peer, 2000), "datagram " + i + " exactly once");
            }
        } finally {
            Faults.clear();
        }
        assertEquals(1, Faults.injected("sendmmsg") - injected);
        awaitOnLoop(() -> e.stats().sent() == 10, "10 datagrams counted");
        DatagramStats s = e.stats();
        assertEquals(1, s.segmentationFallbacks());
        assertEquals(0, s.sendErrors(), "a refusal of GSO loses nothing");
        assertFalse(onLoop(e::gsoEnabled), "from then on the endpoint sends single datagrams");
        close(e);
    }

    @Test
    void anEinvalOnOneGsoMessageFailsThatMessageAndKeepsGsoOn() throws Exception {
        // Linux answers EINVAL for one message's own fault (a segment larger than the path's MTU),
        // not for a device without GSO: the next segmented send must still go as one message.
        DatagramSocket peer = peer(V4);
        DatagramEndpointTest.Recorder r = new DatagramEndpointTest.Recorder();
        DatagramEndpoint e = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS.gso(true), r);
        Assumptions.assumeTrue(onLoop(e::gsoEnabled), "this kernel has UDP GSO");
        InetSocketAddress to = new InetSocketAddress(V4, peer.getLocalPort());
        byte[] refused = pattern(10_000, 3);
        Faults.install(seedFailingFirstCallOnly(loop.name()), List.of(new Faults.Rule("sendmmsg", 22, 0.5)), loop.name());
        try {
            onLoop(() -> e.sendSegmented(MemorySegment.ofArray(refused), 1000, to));
            IOException error = r.errors.poll(30, TimeUnit.SECONDS);
            assertNotNull(error, "the refused message is reported");
            assertTrue(error.getMessage().contains("EINVAL"), error.getMessage());
        } finally {
            Faults.clear();
        }
        assertTrue(onLoop(e::gsoEnabled), "one message's EINVAL does not turn GSO off");
        assertEquals(0, e.stats().segmentationFallbacks());
        byte[] payload = pattern(10_000, 4);
        onLoop(() -> e.sendSegmented(MemorySegment.ofArray(payload), 1000, to));
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(segmentOf(payload, i, 1000), receive(peer, 2000), "datagram " + i);
        }
        close(e);
    }

    @Test
    void groDeliversEveryDatagramOnceAtItsOwnSize() throws Exception {
        BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        DatagramEndpoint receiver = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS.gro(true),
                (endpoint, payload, sender) -> got.add(payload.toArray(ValueLayout.JAVA_BYTE)));
        assertEquals(receiver.groEnabled() ? 0 : 1, receiver.stats().segmentationFallbacks(),
                "GRO is on, or its refusal was counted");
        DatagramEndpoint sender = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS.gso(true), ECHO);
        for (int round = 0; round < 4; round++) {
            // The last round ends in a shorter datagram (700 B): handed over apart from the others.
            byte[] payload = pattern(round < 3 ? 40 * 1200 : 40 * 1200 - 500, round);
            onLoop(() -> sender.sendSegmented(MemorySegment.ofArray(payload), 1200, receiver.localAddress()));
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (int i = 0; i < 40; i++) {
                byte[] d = got.poll(30, TimeUnit.SECONDS);
                assertNotNull(d, "round " + round + ": datagram " + i + " came");
                assertEquals(round == 3 && i == 39 ? 700 : 1200, d.length,
                        "each at the size it was sent with, coalesced or not");
                all.write(d);
            }
            assertArrayEquals(payload, all.toByteArray(), "round " + round + ": every byte once, in order");
        }
        awaitOnLoop(() -> receiver.stats().received() == 160, "160 counted");
        assertTrue(got.isEmpty());
        close(sender);
        close(receiver);
    }

    /**
     * With GRO a receive takes up to 64 KiB whatever the maximum, so the kernel cuts nothing:
     * a datagram longer than maxDatagramSize, alone or coalesced, is still reported truncated
     * with its first maxDatagramSize bytes, never as whole.
     */
    @Test
    void withGroADatagramLongerThanTheMaximumIsStillReportedTruncated() throws Exception {
        DatagramEndpointTest.Recorder r = new DatagramEndpointTest.Recorder();
        DatagramEndpoint receiver = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS.maxDatagramSize(2048).gro(true), r);
        Assumptions.assumeTrue(receiver.groEnabled(), "GRO is on here");
        DatagramSocket client = peer(V4);
        byte[] alone = pattern(3000, 1);
        send(client, alone, receiver.localAddress());
        byte[] cut = r.truncated.poll(30, TimeUnit.SECONDS);
        assertNotNull(cut, "the 3000-byte datagram was reported truncated");
        assertArrayEquals(java.util.Arrays.copyOf(alone, 2048), cut, "its first 2048 bytes");
        DatagramEndpoint sender = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS.gso(true), ECHO);
        byte[] two = pattern(6000, 2);
        onLoop(() -> sender.sendSegmented(MemorySegment.ofArray(two), 3000, receiver.localAddress()));
        for (int k = 0; k < 2; k++) {
            byte[] segment = r.truncated.poll(30, TimeUnit.SECONDS);
            assertNotNull(segment, "segment " + k + " was reported truncated");
            assertArrayEquals(java.util.Arrays.copyOfRange(two, k * 3000, k * 3000 + 2048), segment, "segment " + k + "'s first 2048 bytes");
        }
        byte[] fits = pattern(2048, 3);
        send(client, fits, receiver.localAddress());
        assertArrayEquals(fits, r.datagrams.poll(30, TimeUnit.SECONDS), "a datagram of the maximum is whole");
        assertTrue(r.datagrams.isEmpty(), "nothing longer came as whole");
        awaitOnLoop(() -> receiver.stats().truncated() == 3 && receiver.stats().received() == 1, "3 truncated, 1 received");
        close(sender);
        close(receiver);
    }
}
