package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.backend.Backend;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.testing.IoUringSupport;
import io.ffpoll.multiplexer.testing.LoopTestBase;
import io.ffpoll.multiplexer.testing.Loopback;
import io.ffpoll.multiplexer.uring.IoUringBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads completed by the ring (io_uring): a connection's input arrives by RECV into the loop's
 * provided buffers, with no read syscall; a socket holds one buffer at most; a dry buffer ring
 * falls back to read(2) and loses nothing; closes with receives in flight give every buffer back.
 */
class IoUringReceiveTest extends LoopTestBase {
    private static final String BUFFERS = "ffpoll.uring.receiveBuffers";
    private IoUringBackend backend;
    private String buffers;

    @BeforeAll
    static void needsIoUring() {
        IoUringSupport.assumeAvailable();
    }

    @Override
    protected Poller openPoller() throws IOException {
        String previous = System.getProperty(BUFFERS);
        try {
            if (buffers != null) {
                System.setProperty(BUFFERS, buffers);
            }
            return multishot() ? IoUringSupport.multishotReceivePoller() : Poller.open("io_uring");
        } finally {
            if (previous == null) {
                System.clearProperty(BUFFERS);
            } else {
                System.setProperty(BUFFERS, previous);
            }
        }
    }

    /** Whether the sockets' receives are multishot ones. */
    protected boolean multishot() {
        return false;
    }

    /** Restarts the loop with a ring of {@code n} receive buffers. */
    private void withBuffers(int n) throws IOException {
        loop.close();
        Loopback.OS.close(listenFd);
        net.close();
        buffers = Integer.toString(n);
        startLoop();
    }

    protected IoUringBackend backend() {
        Backend b = LoopAccess.get().backend(loop);
        backend = (IoUringBackend) b;
        return backend;
    }

    @AfterEach
    @Override
    protected void stopLoopAndCheckFds() {
        super.stopLoopAndCheckFds();
        if (backend != null) {
            assertTrue(backend.memoryReleased(), "the receive buffers and the ring were not freed");
        }
    }

    private static long readSyscalls(Thread t) {
        return Syscalls.count("read", t) + Syscalls.count("recv", t) + Syscalls.count("recvmsg", t)
                + Syscalls.count("readv", t);
    }

    private Listener echo(BlockingQueue<Connection> opened) throws Exception {
        return serve((fd, peer) -> opened.add(Connection.open(loop, fd, peer, (c, d) -> {
            c.write(d);
            return d.byteSize();
        }).join()));
    }

    @Test
    void anEchoReadsWithNoReadSyscallAndOneEnterPerIteration() throws Exception {
        assertTrue(Syscalls.COUNTING, "the test needs -Dffpoll.countSyscalls=true");
        assertTrue(onLoop(() -> backend().completesReceives()), "this kernel has provided buffer rings (5.19)");
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = echo(opened);
        int client = net.connect(address);
        opened.poll(30, TimeUnit.SECONDS);
        Thread loopThread = onLoop(Thread::currentThread);
        net.send(client, "warm".getBytes());
        assertArrayEquals("warm".getBytes(), net.readFully(client, 4));
        long reads = readSyscalls(loopThread);
        long[] before = onLoop(() -> new long[] {loop.stats().iterations(), Syscalls.count("io_uring_enter", loopThread)});
        for (int i = 0; i < 200; i++) {
            byte[] m = ("message " + i + ";").getBytes();
            net.send(client, m);
            assertArrayEquals(m, net.readFully(client, m.length), "echo " + i);
        }
        long[] after = onLoop(() -> new long[] {loop.stats().iterations(), Syscalls.count("io_uring_enter", loopThread)});
        assertEquals(0, readSyscalls(loopThread) - reads, "read, recv, recvmsg or readv made by the loop");
        assertEquals(after[0] - before[0], after[1] - before[1], "io_uring_enter calls != loop iterations");
        assertEquals(0, (int) onLoop(() -> backend().receiveBuffersHeld()), "a buffer stays stashed after its bytes were read");
        stopServing(listener);
    }

    /** The buffers a paused reader's socket may hold: one receive's. */
    protected int pausedHoldsAtMost() {
        return 1;
    }

    @Test
    void aPausedReaderHoldsOneBufferAtMostAndGetsEveryByteAfterResuming() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        PausedReader reader = new PausedReader();
        Listener listener = serve((fd, peer) -> opened.add(Connection.open(loop, fd, peer, reader).join()));
        int client = net.connect(address);
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        byte[] data = new byte[8 << 20];
        new Random(7).nextBytes(data);
        // The writer blocks once the socket buffers fill: the paused reader takes nothing.
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> net.send(client, data));
        awaitOnLoop(() -> backend().receiveBuffersHeld() >= Math.min(pausedHoldsAtMost(), 4),
                "the receives that came before the pause stashed");
        assertTrue(!writer.isDone(), "8 MiB went into a paused reader's socket: the kernel took what no one reads");
        int held = onLoop(() -> backend().receiveBuffersHeld());
        assertTrue(held >= 1 && held <= pausedHoldsAtMost(), "a paused socket holds " + held + " buffers");
        onLoop(server::resumeReading);
        writer.get(60, TimeUnit.SECONDS);
        awaitOnLoop(() -> reader.bytes == data.length, "every byte read after the resume");
        assertEquals(crc(data), (long) onLoop(reader.sum::getValue), "the bytes read differ from those sent");
        assertEquals(0, (int) onLoop(() -> backend().receiveBuffersHeld()));
        stopServing(listener);
    }

    @Test
    void aConnectionClosedWithItsBufferStashedGivesItBack() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve((fd, peer) -> opened.add(Connection.open(loop, fd, peer, new PausedReader()).join()));
        int client = net.connect(address);
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        net.send(client, "kept".getBytes());
        awaitOnLoop(() -> backend().receiveBuffersHeld() == 1, "the paused socket's receive stashed");
        onLoop(server::abort);
        assertEquals(0, (int) onLoop(() -> backend().receiveBuffersHeld()), "the closed socket's buffer not given back");
        stopServing(listener);
    }

    @Test
    void theEndOfTheStreamAndAResetAreReported() throws Exception {
        BlockingQueue<Object> heard = new LinkedBlockingQueue<>();
        Listener listener = serve((fd, peer) -> Connection.open(loop, fd, peer, new ConnectionHandler() {
            @Override
            public long onData(Connection c, MemorySegment d) {
                heard.add(new String(d.toArray(ValueLayout.JAVA_BYTE)));
                return d.byteSize();
            }

            @Override
            public void onReadClosed(Connection c) {
                heard.add("EOF");
                c.close();
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                heard.add(cause == null ? "closed" : cause);
            }
        }));
        int a = net.connect(address);
        net.send(a, "bye".getBytes());
        Loopback.OS.shutdownOutput(a);
        assertEquals("bye", heard.poll(30, TimeUnit.SECONDS));
        assertEquals("EOF", heard.poll(30, TimeUnit.SECONDS));
        assertEquals("closed", heard.poll(30, TimeUnit.SECONDS));

        int b = net.connect(address);
        net.send(b, "x".getBytes());
        assertEquals("x", heard.poll(30, TimeUnit.SECONDS));
        assertEquals(0, Loopback.OS.options().resetOnClose(b));
        net.close(b); // SO_LINGER {on, 0}: an RST
        Object cause = heard.poll(30, TimeUnit.SECONDS);
        assertInstanceOf(IOException.class, cause, "a reset ends the connection with an error, got " + cause);
        assertTrue(cause.toString().contains("ECONNRESET") || cause.toString().contains("reset"), cause.toString());
        stopServing(listener);
    }

    /**
     * A handler reads the ring's buffer in place (a delivery with nothing kept in front is the
     * lent buffer, not a copy in the loop's read buffer), and what it leaves of one is its own:
     * with sixteen 16 KiB buffers that the kernel refills as soon as they are back, four streams
     * cut into 4 KiB messages, of which the handler takes whole ones only, arrive intact.
     */
    @Test
    void handlersReadTheRingsBuffersInPlaceAndKeepWhatTheyLeave() throws Exception {
        withBuffers(16); // more than the sockets: the ring never runs dry, so no read(2) fallback
        int n = 4;
        int size = 1 << 20;
        List<MessageReader> readers = new ArrayList<>();
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve((fd, peer) -> {
            MessageReader reader = new MessageReader();
            readers.add(reader);
            opened.add(Connection.open(loop, fd, peer, reader).join());
        });
        int[] clients = new int[n];
        byte[][] data = new byte[n][size];
        for (int i = 0; i < n; i++) {
            clients[i] = net.connect(address);
            opened.poll(30, TimeUnit.SECONDS);
            new Random(100 + i).nextBytes(data[i]);
        }
        long lentBefore = onLoop(() -> backend().receiveBuffersLent());
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            writers.add(CompletableFuture.runAsync(() -> net.send(clients[k], data[k])));
        }
        for (CompletableFuture<Void> w : writers) {
            w.get(60, TimeUnit.SECONDS);
        }
        for (int i = 0; i < n; i++) {
            int k = i;
            awaitOnLoop(() -> readers.get(k).bytes == size / MessageReader.SIZE * MessageReader.SIZE,
                    "connection " + k + " took every whole message");
            CRC32 expected = new CRC32();
            expected.update(data[k], 0, size / MessageReader.SIZE * MessageReader.SIZE);
            assertEquals(expected.getValue(), (long) onLoop(() -> readers.get(k).sum.getValue()), "connection " + k + "'s bytes");
        }
        long lent = onLoop(() -> backend().receiveBuffersLent()) - lentBefore;
        long inPlace = onLoop(() -> readers.stream().mapToLong(r -> r.unkeptDeliveries).sum());
        // A receive that ends early (EAGAIN from an io-wq retry) is read by read(2) instead,
        // into the loop's buffer with nothing kept in front: in place counts it, lent does not.
        assertTrue(lent > 0 && lent <= inPlace, lent + " buffers lent in place for " + inPlace + " deliveries with nothing kept in front");
        assertEquals(0, (int) onLoop(() -> backend().receiveBuffersHeld()), "a lent buffer was not given back");
        for (int c : clients) {
            net.close(c);
        }
        awaitOnLoop(() -> ConnectionStats.of(loop).join().openConnections() == 0, "the server side closed");
        stopServing(listener);
    }

    /**
     * Two buffers for sixteen sockets whose readers are paused: two hold a buffer each, the rest
     * find the ring dry and fall back to readiness and read(2). Resumed, every connection gets
     * every byte, in order; once they close, the ring serves receives again with no read syscall.
     */
    @Test
    void aDryBufferRingFallsBackToReadsAndLosesNothing() throws Exception {
        withBuffers(2);
        int n = 16;
        List<Connection> servers = new ArrayList<>();
        List<PausedReader> readers = new ArrayList<>();
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve((fd, peer) -> {
            PausedReader reader = new PausedReader();
            readers.add(reader);
            Connection c = Connection.open(loop, fd, peer, reader).join();
            servers.add(c);
            opened.add(c);
        });
        int[] clients = new int[n];
        byte[][] data = new byte[n][];
        for (int i = 0; i < n; i++) {
            clients[i] = net.connect(address);
            opened.poll(30, TimeUnit.SECONDS);
            data[i] = new byte[100_000 + i];
            new Random(i).nextBytes(data[i]);
        }
        Thread loopThread = onLoop(Thread::currentThread);
        long reads = readSyscalls(loopThread);
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            writers.add(CompletableFuture.runAsync(() -> net.send(clients[k], data[k])));
        }
        awaitOnLoop(() -> backend().receiveBuffersHeld() == 2, "both buffers stashed by paused sockets");
        onLoop(() -> servers.forEach(Connection::resumeReading));
        for (CompletableFuture<Void> w : writers) {
            w.get(60, TimeUnit.SECONDS);
        }
        for (int i = 0; i < n; i++) {
            int k = i;
            awaitOnLoop(() -> readers.get(k).bytes == data[k].length, "connection " + k + " read everything");
            assertEquals(crc(data[k]), (long) onLoop(() -> readers.get(k).sum.getValue()), "connection " + k + "'s bytes");
        }
        assertTrue(readSyscalls(loopThread) > reads, "no read(2) fallback: the ring never ran dry");
        for (int c : clients) {
            net.close(c);
        }
        awaitOnLoop(() -> ConnectionStats.of(loop).join().openConnections() == 0, "the server side closed");
        awaitOnLoop(() -> backend().receiveBuffersHeld() == 0, "every buffer back in the ring");
        assertRingServesWithoutReadSyscalls(opened);
        stopServing(listener);
    }

    /**
     * Connections aborted by the server while their peers keep sending: a receive in flight at
     * the close is cancelled, and the buffer it took comes back with its completion. With four
     * buffers, one lost per close would dry the ring within a few; after 200 closes an echo
     * still reads from the ring.
     */
    @Test
    void closesWithReceivesInFlightGiveEveryBufferBack() throws Exception {
        withBuffers(4);
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve((fd, peer) -> opened.add(Connection.open(loop, fd, peer, (c, d) -> {
            c.abort(); // mid-stream, with the next receive queued or in flight
            return d.byteSize();
        }).join()));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(4096);
            for (int i = 0; i < 200; i++) {
                int client = net.connect(address);
                opened.poll(30, TimeUnit.SECONDS);
                for (int k = 0; k < 4; k++) {
                    if (Loopback.OS.send(client, chunk, chunk.byteSize(), false) < 0) {
                        break; // reset by the abort, or full
                    }
                }
                net.close(client);
            }
        }
        awaitOnLoop(() -> ConnectionStats.of(loop).join().openConnections() == 0, "every aborted connection closed");
        awaitOnLoop(() -> backend().receiveBuffersHeld() == 0, "every buffer back in the ring");
        assertRingServesWithoutReadSyscalls(new LinkedBlockingQueue<>());
        stopServing(listener);
    }

    private void assertRingServesWithoutReadSyscalls(BlockingQueue<Connection> opened) throws Exception {
        Thread loopThread = onLoop(Thread::currentThread);
        int echoFd = Tcp.listen(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 16, false);
        java.net.InetSocketAddress echoAt = Tcp.localAddress(echoFd);
        Listener l = Listener.start(loop, echoFd, (fd, peer) -> opened.add(Connection.open(loop, fd, peer, (c, d) -> {
            c.write(d);
            return d.byteSize();
        }).join())).get(30, TimeUnit.SECONDS);
        int client = net.connect(echoAt);
        long reads = readSyscalls(loopThread);
        for (int i = 0; i < 20; i++) {
            byte[] m = ("again " + i).getBytes();
            net.send(client, m);
            assertArrayEquals(m, net.readFully(client, m.length));
        }
        assertEquals(0, readSyscalls(loopThread) - reads, "read syscalls: the ring has lost buffers");
        net.close(client);
        stopServing(l);
    }

    private static void stopServing(Listener listener) throws Exception {
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }

    private static long crc(byte[] data) {
        CRC32 sum = new CRC32();
        sum.update(data);
        return sum.getValue();
    }

    /** Takes whole 4 KiB messages only, summing them; counts the deliveries with nothing kept in front. Loop thread. */
    private static final class MessageReader implements ConnectionHandler {
        static final int SIZE = 4096;
        final CRC32 sum = new CRC32();
        long bytes;
        long unkeptDeliveries; // a delivery with no partial message in front: the ring's buffer itself
        long left;             // the partial message the last delivery left

        @Override
        public long onData(Connection c, MemorySegment d) {
            assertTrue(d.isReadOnly(), "a handler may write into its input");
            if (left == 0) {
                unkeptDeliveries++;
            }
            long whole = d.byteSize() / SIZE * SIZE;
            sum.update(d.asSlice(0, whole).asByteBuffer());
            bytes += whole;
            left = d.byteSize() - whole;
            return whole;
        }
    }

    /** A server side that pauses reading as it opens and, once resumed, sums what it reads. Loop thread. */
    private static final class PausedReader implements ConnectionHandler {
        final CRC32 sum = new CRC32();
        long bytes;

        @Override
        public void onOpen(Connection c) {
            c.pauseReading();
        }

        @Override
        public long onData(Connection c, MemorySegment d) {
            sum.update(d.asByteBuffer());
            bytes += d.byteSize();
            return d.byteSize();
        }
    }
}
