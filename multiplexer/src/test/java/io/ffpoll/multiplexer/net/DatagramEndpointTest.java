package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.linux.LinuxDatagrams;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.testing.LoopThreads;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** UDP endpoints over loopback: echo, truncation, the bounded queue, errors that reach the caller. */
class DatagramEndpointTest extends DatagramTestBase {

    private void echoes(InetAddress host, DatagramEndpoint server) throws Exception {
        DatagramSocket client = peer(host);
        InetSocketAddress to = server.localAddress();
        for (int i = 0; i < 200; i++) {
            byte[] sent = pattern(i * 10 % 2049, i); // 0 to 2,048 bytes, an empty datagram included
            send(client, sent, to);
            assertArrayEquals(sent, receive(client, 4096), "datagram " + i + " echoed byte for byte");
        }
        awaitOnLoop(() -> server.stats().sent() == 200, "the last echo counted");
        DatagramStats stats = server.stats();
        assertEquals(200, stats.received());
        assertEquals(200, stats.sent());
        assertEquals(0, stats.truncated() + stats.sendErrors() + stats.overflows() + stats.receiveErrors());
    }

    @Test
    void echoesOverIpv4() throws Exception {
        DatagramEndpoint server = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS, ECHO);
        echoes(V4, server);
        close(server);
    }

    @Test
    void echoesOverIpv6() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        DatagramEndpoint server = bind(new InetSocketAddress(v6, 0), DatagramOptions.DEFAULTS, ECHO);
        assertEquals(v6, server.localAddress().getAddress());
        echoes(v6, server);
        close(server);
    }

    /** The BSDs' way (one recvfrom or sendto per datagram), run on Linux through the same endpoint. */
    @Test
    void echoesOneCallPerDatagramAsOnTheBsds() throws Exception {
        Assumptions.assumeTrue(osName().equals("linux"), "the one-call path is selectable on Linux");
        DatagramEndpoint server = DatagramSockets.bind(loop, new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS,
                ECHO, LinuxDatagrams.create(false)).get(30, TimeUnit.SECONDS);
        Thread loopThread = LoopThreads.thread(loop);
        long recvmmsg = Syscalls.count("recvmmsg", loopThread);
        long sendto = Syscalls.count("sendto", loopThread);
        echoes(V4, server);
        assertEquals(recvmmsg, Syscalls.count("recvmmsg", loopThread), "no recvmmsg on this path");
        assertEquals(200, Syscalls.count("sendto", loopThread) - sendto, "one sendto per datagram");
        DatagramEndpoint truncating = DatagramSockets.bind(loop, new InetSocketAddress(V4, 0),
                DatagramOptions.DEFAULTS.maxDatagramSize(100), new Recorder(), LinuxDatagrams.create(false))
                .get(30, TimeUnit.SECONDS);
        DatagramSocket client = peer(V4);
        send(client, pattern(101, 1), truncating.localAddress());
        send(client, pattern(100, 2), truncating.localAddress());
        awaitOnLoop(() -> truncating.stats().received() == 1 && truncating.stats().truncated() == 1,
                "one whole and one cut datagram");
        close(truncating);
        close(server);
    }

    private static String osName() {
        return io.ffpoll.bindings.platform.Platform.current().name();
    }

    /** Records what a handler hears, as copies. */
    static final class Recorder implements DatagramHandler {
        final BlockingQueue<byte[]> datagrams = new LinkedBlockingQueue<>();
        final BlockingQueue<byte[]> truncated = new LinkedBlockingQueue<>();
        final BlockingQueue<IOException> errors = new LinkedBlockingQueue<>();
        final BlockingQueue<InetSocketAddress> senders = new LinkedBlockingQueue<>();

        @Override
        public void onDatagram(DatagramEndpoint endpoint, MemorySegment payload, DatagramAddress sender) {
            senders.add(sender.toInetSocketAddress()); // first: a test that took the datagram finds its sender
            datagrams.add(payload.toArray(ValueLayout.JAVA_BYTE));
        }

        @Override
        public void onTruncated(DatagramEndpoint endpoint, MemorySegment prefix, DatagramAddress sender) {
            truncated.add(prefix.toArray(ValueLayout.JAVA_BYTE));
        }

        @Override
        public void onError(DatagramEndpoint endpoint, IOException error) {
            errors.add(error);
        }
    }

    @Test
    void aDatagramLongerThanTheMaximumIsReportedTruncatedNeverAsWhole() throws Exception {
        Recorder r = new Recorder();
        DatagramEndpoint e = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS.maxDatagramSize(100), r);
        DatagramSocket client = peer(V4);
        byte[] big = pattern(1000, 1);
        byte[] fits = pattern(100, 2);
        send(client, big, e.localAddress());
        send(client, fits, e.localAddress());
        byte[] prefix = r.truncated.poll(30, TimeUnit.SECONDS);
        assertNotNull(prefix, "the cut datagram was reported");
        assertArrayEquals(java.util.Arrays.copyOf(big, 100), prefix, "what the kernel kept: the first 100 bytes");
        assertArrayEquals(fits, r.datagrams.poll(30, TimeUnit.SECONDS), "a datagram of exactly the maximum is whole");
        assertTrue(r.datagrams.isEmpty(), "the cut datagram never came as a whole one");
        DatagramStats s = e.stats();
        assertEquals(1, s.truncated());
        assertEquals(1, s.received());
        assertEquals(client.getLocalPort(), r.senders.poll().getPort());
        close(e);
    }

    /**
     * DatagramHandler's contract for views kept past their call: the payload shows the start of
     * the latest datagram (it is the endpoint's memory, not a copy), the sender view names the
     * latest sender, another thread gets WrongThreadException, and once the endpoint is closed
     * both throw IllegalStateException instead of showing memory that is no longer theirs.
     */
    @Test
    void viewsKeptPastTheirCallShowLaterDatagramsAndThrowOnceTheEndpointIsClosed() throws Exception {
        MemorySegment[] kept = new MemorySegment[1];
        DatagramAddress[] keptSender = new DatagramAddress[1];
        BlockingQueue<byte[]> readInCall = new LinkedBlockingQueue<>();
        DatagramEndpoint e = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS, (endpoint, payload, sender) -> {
            if (kept[0] == null) {
                kept[0] = payload;
                keptSender[0] = sender;
            }
            readInCall.add(kept[0].toArray(ValueLayout.JAVA_BYTE));
        });
        DatagramSocket a = peer(V4);
        DatagramSocket b = peer(V4);
        send(a, pattern(100, 1), e.localAddress());
        assertArrayEquals(pattern(100, 1), readInCall.poll(30, TimeUnit.SECONDS), "in its own call: the datagram");
        send(b, pattern(300, 2), e.localAddress());
        assertArrayEquals(java.util.Arrays.copyOf(pattern(300, 2), 100), readInCall.poll(30, TimeUnit.SECONDS),
                "kept, in a later call: the first 100 bytes of the later datagram");
        MemorySegment view = onLoop(() -> kept[0]);
        assertThrows(WrongThreadException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0), "off the loop thread");
        assertEquals(b.getLocalPort(), (int) onLoop(() -> keptSender[0].port()), "the kept sender view: the latest sender");
        close(e);
        onLoop(() -> assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0),
                "the endpoint is closed: its memory is gone"));
        onLoop(() -> assertThrows(IllegalStateException.class, () -> keptSender[0].port(), "and so is the sender's"));
    }

    /**
     * A {@link DatagramAddress#copy()} of an IP sender, IPv4 and IPv6, reads after its call as
     * the view did in it (port, address bytes, the JDK address) and is replied to after the
     * endpoint's memory has moved on to later datagrams.
     */
    @Test
    void aCopiedIpSenderReadsAndIsRepliedToAfterItsCall() throws Exception {
        for (InetAddress host : new InetAddress[] {V4, InetAddress.getByName("::1")}) {
            BlockingQueue<DatagramAddress> copies = new LinkedBlockingQueue<>();
            DatagramEndpoint e = bind(new InetSocketAddress(host, 0), DatagramOptions.DEFAULTS,
                    (endpoint, payload, sender) -> copies.add(sender.copy()));
            DatagramSocket a = peer(host);
            DatagramSocket b = peer(host);
            send(a, pattern(10, 1), e.localAddress());
            DatagramAddress copy = copies.poll(30, TimeUnit.SECONDS);
            send(b, pattern(10, 2), e.localAddress());
            assertNotNull(copies.poll(30, TimeUnit.SECONDS), "a later datagram, from another peer");
            InetSocketAddress fromA = new InetSocketAddress(host, a.getLocalPort());
            assertTrue(copy.isCopy());
            assertEquals(fromA, onLoop(copy::toInetSocketAddress));
            assertEquals(a.getLocalPort(), (int) onLoop(copy::port));
            byte[] bytes = new byte[16];
            int n = onLoop(() -> copy.addressBytes(bytes));
            assertArrayEquals(host.getAddress(), java.util.Arrays.copyOf(bytes, n));
            assertEquals(host.getAddress().length == 16, onLoop(copy::isIpv6));
            assertEquals(new InetSocketAddress(InetAddress.getByAddress(host.getAddress()), a.getLocalPort()).toString(),
                    onLoop(copy::toString));
            assertTrue(onLoop(() -> e.send(MemorySegment.ofArray(pattern(7, 3)), copy)));
            assertArrayEquals(pattern(7, 3), receive(a, 64), "the reply went to the copied sender");
            close(e);
        }
    }

    @Test
    void aFullSendQueueRefusesCountsAndDoesNotGrow() throws Exception {
        DatagramSocket client = peer(V4);
        InetSocketAddress to = new InetSocketAddress(V4, client.getLocalPort());
        DatagramEndpoint e = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS.sendQueue(4, 65536),
                new Recorder());
        // In one task: nothing is flushed until it ends, so the queue fills.
        List<Boolean> taken = onLoop(() -> {
            List<Boolean> out = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                out.add(e.send(MemorySegment.ofArray(pattern(100, i)), to));
            }
            return out;
        });
        assertEquals(List.of(true, true, true, true, false, false, false, false, false, false), taken);
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(pattern(100, i), receive(client, 200), "the queued ones went, in order");
        }
        // Bytes bound: 65,536 bytes hold one datagram of 40,000, not two.
        long[] memory = onLoop(() -> {
            BufferPool pool = LoopIo.of(loop).pool;
            assertTrue(e.send(MemorySegment.ofArray(pattern(40_000, 7)), to));
            long inUse = pool.inUseBytes();
            long allocations = pool.allocations();
            for (int i = 0; i < 1000; i++) {
                assertFalse(e.send(MemorySegment.ofArray(pattern(40_000, 8)), to), "no room for the bytes");
            }
            assertEquals(1, e.stats().queuedDatagrams());
            return new long[] {inUse, pool.inUseBytes(), allocations, pool.allocations()};
        });
        assertEquals(memory[0], memory[1], "refused sends take no memory");
        assertEquals(memory[2], memory[3], "and allocate none");
        assertArrayEquals(pattern(40_000, 7), receive(client, 65536));
        awaitOnLoop(() -> e.stats().sent() == 5, "the sends counted");
        DatagramStats s = e.stats();
        assertEquals(6 + 1000, s.overflows());
        assertEquals(5, s.sent());
        close(e);
    }

    @Test
    void emsgsizeReachesTheCallerAndTheEndpointGoesOn() throws Exception {
        Recorder r = new Recorder();
        DatagramSocket client = peer(V4);
        InetSocketAddress to = new InetSocketAddress(V4, client.getLocalPort());
        DatagramEndpoint e = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS, r);
        onLoop(() -> {
            assertTrue(e.send(MemorySegment.ofArray(new byte[65_508]), to), "queued: the kernel decides");
            return e.send(MemorySegment.ofArray(pattern(10, 3)), to);
        });
        IOException error = r.errors.poll(30, TimeUnit.SECONDS);
        assertNotNull(error);
        assertTrue(error.getMessage().contains("EMSGSIZE") && error.getMessage().contains("127.0.0.1:" + to.getPort()),
                error.getMessage());
        assertArrayEquals(pattern(10, 3), receive(client, 100), "the next datagram went");
        awaitOnLoop(() -> e.stats().sent() == 1, "the send counted");
        assertEquals(1, e.stats().sendErrors());
        assertEquals(1, e.stats().sent());
        assertThrows(IllegalArgumentException.class,
                () -> onLoopThrowing(() -> e.send(MemorySegment.ofArray(new byte[65_536]), to)),
                "past the UDP length field: refused at once");
        close(e);
    }

    private void onLoopThrowing(java.util.concurrent.Callable<?> body) throws Throwable {
        try {
            onLoop(body);
        } catch (java.util.concurrent.ExecutionException wrapped) {
            throw wrapped.getCause();
        }
    }

    @Test
    void econnrefusedOnAConnectedEndpointReachesTheCallerAndTheLoopServesOn() throws Exception {
        InetSocketAddress closedPort;
        try (DatagramSocket gone = new DatagramSocket(0, V4)) {
            closedPort = new InetSocketAddress(V4, gone.getLocalPort());
        }
        Recorder r = new Recorder();
        DatagramEndpoint connected = bind(new InetSocketAddress(V4, 0),
                DatagramOptions.DEFAULTS.connectTo(closedPort), r);
        DatagramEndpoint echo = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS, ECHO);
        for (int round = 0; round < 2; round++) {
            onLoop(() -> connected.send(MemorySegment.ofArray(pattern(20, 1))));
            IOException error = r.errors.poll(30, TimeUnit.SECONDS);
            assertNotNull(error, "round " + round + ": the ICMP port unreachable came back as an error");
            assertInstanceOf(ConnectException.class, error);
            assertTrue(error.getMessage().contains("ECONNREFUSED"), error.getMessage());
            assertTrue(connected.isOpen(), "the endpoint stays open");
        }
        DatagramSocket client = peer(V4);
        send(client, pattern(30, 4), echo.localAddress());
        assertArrayEquals(pattern(30, 4), receive(client, 100), "the loop serves on");
        assertTrue(connected.stats().receiveErrors() + connected.stats().sendErrors() >= 2);
        assertThrows(IllegalStateException.class, () -> onLoopThrowing(() -> echo.send(MemorySegment.ofArray(new byte[1]))),
                "an unconnected endpoint needs a peer");
        close(connected);
        close(echo);
    }

    @Test
    void aHandlerThatThrowsClosesItsEndpointOnly() throws Exception {
        BlockingQueue<Throwable> closed = new LinkedBlockingQueue<>();
        DatagramEndpoint bad = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS, new DatagramHandler() {
            @Override
            public void onDatagram(DatagramEndpoint endpoint, MemorySegment payload, DatagramAddress sender) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void onClosed(DatagramEndpoint endpoint, Throwable cause) {
                closed.add(cause);
            }
        });
        DatagramEndpoint echo = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS, ECHO);
        DatagramSocket client = peer(V4);
        send(client, pattern(5, 1), bad.localAddress());
        assertEquals("boom", closed.poll(30, TimeUnit.SECONDS).getMessage());
        assertFalse(bad.isOpen());
        send(client, pattern(5, 2), echo.localAddress());
        assertArrayEquals(pattern(5, 2), receive(client, 10));
        close(echo);
    }

    @Test
    void closingTheLoopClosesItsEndpointsAndTellsThem() throws Exception {
        BlockingQueue<Throwable> closed = new LinkedBlockingQueue<>();
        DatagramEndpoint e = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS, new DatagramHandler() {
            @Override
            public void onDatagram(DatagramEndpoint endpoint, MemorySegment payload, DatagramAddress sender) {
            }

            @Override
            public void onClosed(DatagramEndpoint endpoint, Throwable cause) {
                closed.add(cause);
            }
        });
        assertEquals(1L, (long) onLoop(() -> LoopIo.of(loop).pool.inUseCount()),
                "the loop's read buffer: the endpoint's receive batch is its own, not pooled");
        loop.close();
        assertInstanceOf(ClosedConnectionException.class, closed.poll(30, TimeUnit.SECONDS));
        assertFalse(e.isOpen());
    }
}
