package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.linux.LinuxDatagrams;
import io.ffpoll.multiplexer.testing.LoopThreads;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unix datagram endpoints: echo over a path and an abstract name (and autobind), the sender
 * read back in place without allocating, truncation, the one-call path, the socket file's
 * life, an unnamed sender, errors of a send, options the family has not, a connected endpoint.
 * The peers are endpoints on the same loop, or {@link RawUnixDatagram}s of the test's own. Every
 * test ends with the descriptors and pooled buffers it started with (the base class checks).
 */
class UnixDatagramEndpointTest extends UnixDatagramTestBase {
    /** 200 datagrams of 0 to 2,048 bytes from {@code client} to {@code server} and back, one at a time. */
    private void echoes(DatagramEndpoint server, Recorder atServer, DatagramEndpoint client, Recorder atClient)
            throws Exception {
        UnixAddress to = server.unixAddress();
        for (int i = 0; i < 200; i++) {
            byte[] sent = pattern(i * 10 % 2049, i);
            assertTrue(onLoop(() -> client.send(MemorySegment.ofArray(sent), to)));
            assertArrayEquals(sent, atClient.datagrams.poll(30, TimeUnit.SECONDS), "datagram " + i + " echoed");
            assertEquals(client.unixAddress(), atServer.senders.poll(), "the sender is the client's name");
            assertEquals(client.unixAddress().toString(), atServer.inPlace.poll(), "and reads so in place");
            assertEquals(to, atClient.senders.poll(), "the echo came from the server's name");
        }
        awaitOnLoop(() -> server.stats().sent() == 200, "the last echo counted");
        DatagramStats s = server.stats();
        assertEquals(200, s.received());
        assertEquals(0, s.truncated() + s.sendErrors() + s.overflows() + s.receiveErrors());
        assertTrue(atServer.errors.isEmpty() && atClient.errors.isEmpty());
    }

    @Test
    void echoesOverAPathAndRemovesBothFilesOnClose() throws Exception {
        Path serverPath = UnixTesting.freshPath(dir);
        Path clientPath = UnixTesting.freshPath(dir);
        Recorder atServer = new Recorder(true);
        Recorder atClient = new Recorder(false);
        DatagramEndpoint server = bind(UnixAddress.path(serverPath), DatagramOptions.DEFAULTS, atServer);
        DatagramEndpoint client = bind(UnixDomainSocketAddress.of(clientPath), DatagramOptions.DEFAULTS, atClient);
        assertEquals(UnixAddress.path(serverPath), server.unixAddress());
        assertEquals(UnixAddress.path(clientPath), client.unixAddress(), "a JDK address binds the same path");
        assertNull(server.localAddress(), "no IP address");
        assertTrue(Files.exists(serverPath) && Files.exists(clientPath), "the socket files are there while serving");
        echoes(server, atServer, client, atClient);
        close(client);
        close(server);
        assertFalse(Files.exists(serverPath), "the server's socket file is removed on close");
        assertFalse(Files.exists(clientPath), "the client's too");
    }

    @Test
    void echoesOverAnAbstractNameToAnAutoboundClient() throws Exception {
        Assumptions.assumeTrue(OS.unix().hasAbstractUnixNames(), "abstract names and autobind are Linux's");
        Recorder atServer = new Recorder(true);
        Recorder atClient = new Recorder(false);
        UnixAddress name = UnixAddress.abstractName(UnixTesting.freshName());
        DatagramEndpoint server = bind(name, DatagramOptions.DEFAULTS, atServer);
        DatagramEndpoint client = bind(UnixAddress.unnamed(), DatagramOptions.DEFAULTS, atClient);
        assertEquals(name, server.unixAddress());
        UnixAddress picked = client.unixAddress();
        assertTrue(picked.isAbstract() && picked.name().matches("[0-9a-f]{5}"),
                "autobind picks an abstract name of five hex digits: " + picked);
        echoes(server, atServer, client, atClient);
        close(client);
        close(server);
    }

    /** The BSDs' way (one recvfrom or sendto per datagram), on Linux, with a cut datagram among them. */
    @Test
    void theOneCallPathEchoesAndReportsTruncation() throws Exception {
        Assumptions.assumeTrue(OS.name().equals("linux"), "the one-call path is selectable on Linux");
        Thread loopThread = LoopThreads.thread(loop);
        Recorder atServer = new Recorder(true);
        Recorder atClient = new Recorder(false);
        LinuxDatagrams single = LinuxDatagrams.create(false);
        DatagramEndpoint server = DatagramSockets.bind(loop, freshPath(), DatagramOptions.DEFAULTS.maxDatagramSize(2048),
                atServer, single).get(30, TimeUnit.SECONDS);
        DatagramEndpoint client = DatagramSockets.bind(loop, freshPath(), DatagramOptions.DEFAULTS, atClient, single)
                .get(30, TimeUnit.SECONDS);
        long recvmmsg = Syscalls.count("recvmmsg", loopThread);
        long sendto = Syscalls.count("sendto", loopThread);
        echoes(server, atServer, client, atClient);
        assertEquals(recvmmsg, Syscalls.count("recvmmsg", loopThread), "no recvmmsg on this path");
        assertEquals(400, Syscalls.count("sendto", loopThread) - sendto, "one sendto per datagram, each way");
        byte[] big = pattern(2049, 9);
        onLoop(() -> client.send(MemorySegment.ofArray(big), server.unixAddress()));
        assertArrayEquals(java.util.Arrays.copyOf(big, 2048), atServer.truncated.poll(30, TimeUnit.SECONDS),
                "cut at 2,048 bytes: the spare byte told");
        assertEquals(1, server.stats().truncated());
        close(client);
        close(server);
    }

    @Test
    void aDatagramLongerThanTheMaximumIsReportedTruncated() throws Exception {
        Recorder atServer = new Recorder(false);
        DatagramEndpoint server = bind(freshPath(), DatagramOptions.DEFAULTS.maxDatagramSize(100), atServer);
        DatagramEndpoint client = bind(freshPath(), DatagramOptions.DEFAULTS, new Recorder(false));
        byte[] big = pattern(1000, 1);
        byte[] fits = pattern(100, 2);
        onLoop(() -> client.send(MemorySegment.ofArray(big), server.unixAddress())
                && client.send(MemorySegment.ofArray(fits), server.unixAddress()));
        assertArrayEquals(java.util.Arrays.copyOf(big, 100), atServer.truncated.poll(30, TimeUnit.SECONDS),
                "what the kernel kept: the first 100 bytes (MSG_TRUNC)");
        assertArrayEquals(fits, atServer.datagrams.poll(30, TimeUnit.SECONDS), "exactly the maximum is whole");
        assertTrue(atServer.datagrams.isEmpty(), "the cut datagram never came as a whole one");
        assertEquals(1, server.stats().truncated());
        assertEquals(1, server.stats().received());
        close(client);
        close(server);
    }

    /**
     * A Unix sender's name read in place, and a reply to it: neither allocates. A window can
     * catch the JIT's own one-off allocations; a read or reply that allocated would show in every
     * window, so the best of 30 windows must be zero.
     */
    @Test
    void aUnixSenderIsReadInPlaceAndRepliedToWithoutAllocating() throws Exception {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        UnixAddress peerName = freshPath();
        try (RawUnixDatagram peer = new RawUnixDatagram(peerName)) {
            DatagramEndpoint e = bind(freshPath(), DatagramOptions.DEFAULTS, new Recorder(false));
            java.lang.foreign.Arena arena = onLoop(java.lang.foreign.Arena::ofConfined);
            DatagramAddress sender = new DatagramAddress(OS.datagrams(), true); // as the receiver points it
            MemorySegment payload = onLoop(() -> {
                MemorySegment sa = OS.allocateSockaddr(arena);
                sender.point(sa, OS.unix().encodeUnix(peerName.bytes(), false, sa));
                return arena.allocate(16);
            });
            byte[] name = new byte[108];
            long best = Long.MAX_VALUE;
            for (int window = 0; window < 30; window++) {
                long[] allocated = onLoop(() -> {
                    long before = threads.getCurrentThreadAllocatedBytes();
                    int bytes = 0;
                    for (int i = 0; i < 100; i++) {
                        bytes += sender.unixName(name) + (sender.isAbstract() || sender.isUnnamed() ? 1 : 0);
                    }
                    for (int i = 0; i < 10; i++) {
                        e.send(payload, sender);
                    }
                    long spent = threads.getCurrentThreadAllocatedBytes() - before; // before the array below
                    return new long[] {spent, bytes};
                });
                assertEquals(100 * peerName.bytes().length, allocated[1], "the name read in place");
                best = Math.min(best, allocated[0]);
                for (int i = 0; i < 10; i++) {
                    assertEquals(16, peer.receive().length);
                }
            }
            assertEquals(0, best, "allocated in the best of 30 windows of 100 reads and 10 replies");
            assertEquals(300, e.stats().sent());
            onLoop(() -> {
                arena.close();
                return null;
            });
            close(e);
        }
    }

    @Test
    void theSocketFileIsTakenOverWhenStaleAndLeftAloneOtherwise() throws Exception {
        UnixAddress path = freshPath();
        new RawUnixDatagram(path).close(); // its file stays: a socket file no socket is bound to
        assertTrue(Files.exists(path.path()));
        DatagramEndpoint e = bind(path.withPermissions(PosixFilePermissions.fromString("rw-------")),
                DatagramOptions.DEFAULTS, new Recorder(false));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path.path())),
                "the stale file was replaced, and the mode set");
        ExecutionException live = assertThrows(ExecutionException.class,
                () -> bind(path, DatagramOptions.DEFAULTS, new Recorder(false)));
        assertInstanceOf(BindException.class, live.getCause());
        assertTrue(live.getCause().getMessage().contains("EADDRINUSE")
                && live.getCause().getMessage().contains("a datagram socket is bound to it"), live.getCause().getMessage());
        try (RawUnixDatagram peer = new RawUnixDatagram(null)) {
            assertEquals(1, peer.send(pattern(5, 5), path), "the live endpoint's file was left alone");
        }
        close(e);
        assertFalse(Files.exists(path.path()));

        Path plain = UnixTesting.freshPath(dir);
        Files.writeString(plain, "not a socket");
        ExecutionException notSocket = assertThrows(ExecutionException.class,
                () -> bind(UnixAddress.path(plain), DatagramOptions.DEFAULTS, new Recorder(false)));
        assertTrue(notSocket.getCause().getMessage().contains("is not a socket"), notSocket.getCause().getMessage());
        assertEquals("not a socket", Files.readString(plain), "never deleted");

        UnixAddress stream = freshPath();
        Listener listener = Listener.bind(loop, stream, AcceptOptions.DEFAULTS, (fd, peer) -> OS.close(fd))
                .get(30, TimeUnit.SECONDS);
        ExecutionException otherType = assertThrows(ExecutionException.class,
                () -> bind(stream, DatagramOptions.DEFAULTS, new Recorder(false)));
        assertInstanceOf(BindException.class, otherType.getCause());
        assertTrue(otherType.getCause().getMessage().contains("a stream socket is bound to it"),
                otherType.getCause().getMessage());
        listener.closeAsync().get(30, TimeUnit.SECONDS);
        assertFalse(Files.exists(stream.path()), "a live listener's file was left to the listener");

        UnixAddress replaced = freshPath();
        DatagramEndpoint first = bind(replaced, DatagramOptions.DEFAULTS, new Recorder(false));
        Files.delete(replaced.path());
        try (RawUnixDatagram other = new RawUnixDatagram(replaced)) { // another socket took the path over
            close(first);
            assertTrue(Files.exists(replaced.path()), "a file the endpoint did not make is not removed");
        }
    }

    @Test
    void aReplyToAnUnnamedSenderIsRefusedCountedAndReported() throws Exception {
        Recorder atServer = new Recorder(true);
        DatagramEndpoint server = bind(freshPath(), DatagramOptions.DEFAULTS, atServer);
        try (RawUnixDatagram unbound = new RawUnixDatagram(null)) {
            assertEquals(1, unbound.send(pattern(7, 3), server.unixAddress()));
            assertArrayEquals(pattern(7, 3), atServer.datagrams.poll(30, TimeUnit.SECONDS));
            assertTrue(atServer.senders.poll().isUnnamed());
            assertEquals("(unnamed)", atServer.inPlace.poll(), "no name in place either");
            IOException error = atServer.errors.poll(30, TimeUnit.SECONDS);
            assertNotNull(error, "the refused echo was reported");
            assertTrue(error.getMessage().contains("unnamed"), error.getMessage());
            assertEquals(1, server.stats().sendErrors());
            assertEquals(0, server.stats().sent());
            assertNull(unbound.poll(), "nothing came back");
        }
        Recorder atClient = new Recorder(false);
        DatagramEndpoint client = bind(freshPath(), DatagramOptions.DEFAULTS, atClient);
        onLoop(() -> client.send(MemorySegment.ofArray(pattern(9, 4)), server.unixAddress()));
        assertArrayEquals(pattern(9, 4), atClient.datagrams.poll(30, TimeUnit.SECONDS), "the server serves on");
        close(client);
        close(server);
    }

    @Test
    void aSendToAPathNobodyServesIsReportedAndTheEndpointGoesOn() throws Exception {
        Recorder r = new Recorder(false);
        DatagramEndpoint e = bind(freshPath(), DatagramOptions.DEFAULTS, r);
        UnixAddress stale = freshPath();
        new RawUnixDatagram(stale).close(); // a file no socket is bound to
        UnixAddress missing = freshPath();
        onLoop(() -> e.send(MemorySegment.ofArray(pattern(4, 1)), stale)
                && e.send(MemorySegment.ofArray(pattern(4, 2)), missing));
        IOException refused = r.errors.poll(30, TimeUnit.SECONDS);
        IOException absent = r.errors.poll(30, TimeUnit.SECONDS);
        assertNotNull(absent);
        assertInstanceOf(java.net.ConnectException.class, refused);
        assertTrue(refused.getMessage().contains("ECONNREFUSED") && refused.getMessage().contains(stale.toString()),
                refused.getMessage());
        assertTrue(absent.getMessage().contains("ENOENT") && absent.getMessage().contains(missing.toString()),
                absent.getMessage());
        assertEquals(2, e.stats().sendErrors());
        assertTrue(e.isOpen());
        pingPong(3);
        close(e);
    }

    @Test
    void closingTheLoopClosesTheEndpointAndRemovesItsFile() throws Exception {
        BlockingQueue<Throwable> closed = new LinkedBlockingQueue<>();
        UnixAddress path = freshPath();
        DatagramEndpoint e = bind(path, DatagramOptions.DEFAULTS, new DatagramHandler() {
            @Override
            public void onDatagram(DatagramEndpoint endpoint, MemorySegment payload, DatagramAddress sender) {
            }

            @Override
            public void onClosed(DatagramEndpoint endpoint, Throwable cause) {
                closed.add(cause);
            }
        });
        assertTrue(Files.exists(path.path()));
        loop.close();
        assertInstanceOf(ClosedConnectionException.class, closed.poll(30, TimeUnit.SECONDS));
        assertFalse(e.isOpen());
        assertFalse(Files.exists(path.path()), "removed when the loop closed the endpoint");
    }

    @Test
    void optionsAUnixDatagramSocketHasNotAreRefusedByName() throws Exception {
        UnixAddress at = freshPath();
        DatagramHandler h = new Recorder(false);
        for (var c : java.util.List.<java.util.Map.Entry<String, DatagramOptions>>of(
                java.util.Map.entry("reusePort", DatagramOptions.DEFAULTS.reusePort(true)),
                java.util.Map.entry("v6Only", DatagramOptions.DEFAULTS.v6Only(false)),
                java.util.Map.entry("broadcast", DatagramOptions.DEFAULTS.broadcast(true)),
                java.util.Map.entry("gso", DatagramOptions.DEFAULTS.gso(true)),
                java.util.Map.entry("gro", DatagramOptions.DEFAULTS.gro(true)),
                java.util.Map.entry("connectTo", DatagramOptions.DEFAULTS.connectTo(new InetSocketAddress(V4, 9))))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DatagramEndpoint.bind(loop, at, c.getValue(), h));
            assertTrue(e.getMessage().contains(c.getKey()) && e.getMessage().contains("Unix datagram socket"),
                    e.getMessage());
        }
        assertFalse(Files.exists(at.path()), "refused before any socket");
        assertThrows(IllegalArgumentException.class, () -> DatagramEndpoint.bind(loop, new InetSocketAddress(V4, 0),
                DatagramOptions.DEFAULTS.connectTo(at), h), "a UDP endpoint connects to no Unix address");
        DatagramEndpoint e = bind(at, DatagramOptions.DEFAULTS, h);
        ExecutionException multicast = assertThrows(ExecutionException.class, () -> onLoop(() -> {
            e.socketOptions().joinGroup(java.net.InetAddress.getByName("239.1.2.3"), null);
            return null;
        }));
        assertInstanceOf(UnsupportedOperationException.class, multicast.getCause());
        assertTrue(multicast.getCause().getMessage().contains("joinGroup")
                && multicast.getCause().getMessage().contains("Unix datagram socket"), multicast.getCause().getMessage());
        ExecutionException ip = assertThrows(ExecutionException.class,
                () -> onLoop(() -> e.send(MemorySegment.ofArray(new byte[1]), new InetSocketAddress(V4, 9))));
        assertInstanceOf(IllegalArgumentException.class, ip.getCause());
        DatagramEndpoint udp = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS, h);
        ExecutionException unix = assertThrows(ExecutionException.class,
                () -> onLoop(() -> udp.send(MemorySegment.ofArray(new byte[1]), at)));
        assertInstanceOf(IllegalArgumentException.class, unix.getCause());
        assertNull(udp.unixAddress());
        close(udp);
        close(e);
    }

    /**
     * A reply's target of the other family (an IP sender given to a Unix endpoint, or the
     * reverse), or an IP one with no address at all, is the caller's mistake: refused with an
     * {@link IllegalArgumentException} before the kernel (which would answer EINVAL), nothing
     * queued, counted or reported; an empty IP address is not taken for an unnamed Unix sender.
     */
    @Test
    void aReplyToASenderOfTheOtherFamilyIsRefusedBeforeTheKernel() throws Exception {
        BlockingQueue<DatagramAddress> unixSenders = new LinkedBlockingQueue<>();
        BlockingQueue<DatagramAddress> ipSenders = new LinkedBlockingQueue<>();
        Recorder unixErrors = new Recorder(false);
        Recorder ipErrors = new Recorder(false);
        DatagramEndpoint unix = bind(freshPath(), DatagramOptions.DEFAULTS, copying(unixSenders, unixErrors));
        DatagramEndpoint udp = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS, copying(ipSenders, ipErrors));
        try (RawUnixDatagram named = new RawUnixDatagram(freshPath())) {
            assertEquals(1, named.send(pattern(5, 1), unix.unixAddress()));
            send(peer(V4), pattern(5, 2), udp.localAddress());
            DatagramAddress unixSender = unixSenders.poll(30, TimeUnit.SECONDS);
            DatagramAddress ipSender = ipSenders.poll(30, TimeUnit.SECONDS);
            assertNotNull(unixSender);
            assertNotNull(ipSender);
            MemorySegment p = MemorySegment.ofArray(pattern(5, 3));
            for (Object[] c : new Object[][] {{unix, ipSender, "IP"}, {udp, unixSender, "Unix"},
                    {udp, new DatagramAddress(OS.datagrams(), false), "no address"}}) {
                DatagramEndpoint at = (DatagramEndpoint) c[0];
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> onLoop(() -> at.send(p, (DatagramAddress) c[1])), at + " to " + c[1]);
                assertInstanceOf(IllegalArgumentException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains((String) c[2]), e.getCause().getMessage());
                DatagramStats s = onLoop(at::stats);
                assertEquals(0, s.sendErrors() + s.sent() + s.queuedDatagrams(), s.toString());
            }
            assertTrue(onLoop(() -> unix.send(p, unixSender)), "a sender of its own family it replies to");
            assertArrayEquals(pattern(5, 3), named.receive());
            assertTrue(unixErrors.errors.isEmpty() && ipErrors.errors.isEmpty(), "nothing reached the kernel");
        }
        close(udp);
        close(unix);
    }

    /** Keeps a copy of each sender; errors go to {@code errors}. */
    private static DatagramHandler copying(BlockingQueue<DatagramAddress> senders, Recorder errors) {
        return new DatagramHandler() {
            @Override
            public void onDatagram(DatagramEndpoint endpoint, MemorySegment payload, DatagramAddress sender) {
                senders.add(sender.copy());
            }

            @Override
            public void onError(DatagramEndpoint endpoint, IOException error) {
                errors.onError(endpoint, error);
            }
        };
    }

    @Test
    void aConnectedEndpointSendsWithoutAnAddressAndHearsItsPeerOnly() throws Exception {
        Recorder atServer = new Recorder(true);
        DatagramEndpoint server = bind(freshPath(), DatagramOptions.DEFAULTS, atServer);
        Recorder atClient = new Recorder(false);
        DatagramEndpoint client = bind(freshPath(), DatagramOptions.DEFAULTS.connectTo(
                server.unixAddress().toUnixDomainSocketAddress()), atClient);
        assertEquals(server.unixAddress(), client.options().connectTo(), "a JDK peer is kept as a UnixAddress");
        assertNull(client.remoteAddress(), "no IP peer");
        for (int i = 0; i < 20; i++) {
            byte[] p = pattern(i * 100, i);
            onLoop(() -> client.send(MemorySegment.ofArray(p)));
            assertArrayEquals(p, atClient.datagrams.poll(30, TimeUnit.SECONDS));
        }
        try (RawUnixDatagram stranger = new RawUnixDatagram(freshPath())) {
            assertTrue(stranger.send(pattern(3, 3), client.unixAddress()) < 0,
                    "a connected Unix datagram socket refuses other senders (EPERM)");
        }
        close(client);
        close(server);
        ExecutionException refused = assertThrows(ExecutionException.class, () -> bind(freshPath(),
                DatagramOptions.DEFAULTS.connectTo(server.unixAddress()), atClient));
        assertTrue(refused.getCause().getMessage().startsWith("connect(" + server.unixAddress() + ")"),
                refused.getCause().getMessage());
    }
}
