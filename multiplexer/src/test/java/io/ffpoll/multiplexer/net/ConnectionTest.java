package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.testing.LoopThreads;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The connection and buffer layer over real loopback sockets. */
class ConnectionTest extends LoopTestBase {
    private static final ValueLayout.OfInt LENGTH = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** Accepts connections on the test listener and opens each with the handler {@code factory} makes. */
    private Listener serve(java.util.function.Supplier<ConnectionHandler> factory, BlockingQueue<Connection> opened)
            throws Exception {
        return serve((fd, peer) -> {
            Connection c = Connection.open(loop, fd, peer, factory.get()).join(); // on the loop: done at once
            if (opened != null) {
                opened.add(c);
            }
        });
    }

    private void stopServing(Listener listener) throws Exception {
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }

    /** The sends {@code thread} made: sendmsg (gathering) and send (direct). */
    private static long sends(Thread thread) {
        return Syscalls.count("sendmsg", thread) + Syscalls.count("send", thread);
    }

    private long poolInUse() throws Exception {
        return onLoop(() -> LoopIo.of(loop).pool.inUseCount());
    }

    /** Echoes length-prefixed messages, only whole ones: partial messages stay pending. */
    private static final class FramedEcho implements ConnectionHandler {
        @Override
        public long onData(Connection c, MemorySegment data) {
            long used = 0;
            while (data.byteSize() - used >= 4) {
                int length = data.get(LENGTH, used);
                if (data.byteSize() - used - 4 < length) {
                    break;
                }
                assertTrue(c.write(data.asSlice(used, 4L + length)), "the connection takes writes");
                used += 4L + length;
            }
            return used;
        }
    }

    private static byte[] message(Random random, int length) {
        byte[] m = new byte[4 + length];
        ByteBuffer.wrap(m).putInt(length);
        for (int i = 4; i < m.length; i++) {
            m[i] = (byte) random.nextInt();
        }
        return m;
    }

    @Test
    void aThousandConnectionsPingPongRandomSizedMessagesIntactAndInOrder() throws Exception {
        final int connections = 1000;
        final int rounds = 3;
        Listener listener = serve(FramedEcho::new, null);
        assertEquals(address, listener.localAddress(), "the listener's bound address, its port the kernel's");
        long baseline = poolInUse();
        CountDownLatch done = new CountDownLatch(connections);
        AtomicLong bytesChecked = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        onLoop(() -> {
            for (int i = 0; i < connections; i++) {
                Random random = new Random(i);
                Connection.connect(loop, address, new ConnectionHandler() {
                    private byte[] expected;
                    private int round;

                    private void sendNext(Connection c) {
                        // 1 B to 256 KiB, log-uniform, so small and large messages both occur.
                        int length = (int) Math.min(256 * 1024, Math.round(Math.pow(2, random.nextDouble() * 18)));
                        expected = message(random, length);
                        if (!c.write(expected)) {
                            failures.add("write refused by " + c);
                        }
                    }

                    @Override
                    public void onOpen(Connection c) {
                        sendNext(c);
                    }

                    @Override
                    public long onData(Connection c, MemorySegment data) {
                        if (data.byteSize() < expected.length) {
                            return 0; // wait for the whole echo
                        }
                        if (data.byteSize() > expected.length) {
                            failures.add("more bytes than sent");
                        }
                        if (!Arrays.equals(data.toArray(ValueLayout.JAVA_BYTE), expected)) {
                            failures.add("corrupted echo on round " + round);
                        }
                        bytesChecked.addAndGet(expected.length);
                        if (++round == rounds) {
                            c.close();
                        } else {
                            sendNext(c);
                        }
                        return data.byteSize();
                    }

                    @Override
                    public void onClosed(Connection c, IOException cause) {
                        if (cause != null || round != rounds) {
                            failures.add("closed after " + round + " rounds: " + cause);
                        }
                        done.countDown();
                    }
                });
            }
            return null;
        });
        assertTrue(done.await(120, TimeUnit.SECONDS), done.getCount() + " connections did not finish");
        assertTrue(failures.isEmpty(), "failures: " + failures.stream().limit(5).toList());
        assertTrue(bytesChecked.get() > connections * rounds, "checked " + bytesChecked + " bytes");
        // The server closes its side on EOF; then every pooled buffer is back.
        awaitOnLoop(() -> ConnectionStats.of(loop).join().openConnections() == 0, "the server closed its side of every connection");
        assertEquals(baseline, poolInUse(), "pooled buffers not returned");
        stopServing(listener);
    }

    @Test
    void aReaderThatStopsReadingBoundsTheWritersQueueAndNothingIsLost() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        final long total = 8L << 20;
        final int block = 8192;
        AtomicLong produced = new AtomicLong();
        AtomicLong maxQueued = new AtomicLong();
        AtomicInteger pauses = new AtomicInteger();
        AtomicInteger resumes = new AtomicInteger();
        Listener listener = serve(() -> new ConnectionHandler() {
            private void produce(Connection c) {
                while (c.isWritable() && produced.get() < total) {
                    byte[] b = new byte[block];
                    for (int i = 0; i < block; i++) {
                        b[i] = (byte) (produced.get() + i);
                    }
                    assertTrue(c.write(b), "the connection takes writes");
                    produced.addAndGet(block);
                    maxQueued.accumulateAndGet(c.queuedBytes(), Math::max);
                }
            }

            @Override
            public void onOpen(Connection c) {
                try {
                    // Fixed kernel buffers (no autotuning), so the stall comes soon and stays.
                    Tcp.setSendBuffer(c.fd(), 32 * 1024);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
                produce(c);
            }

            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onWritabilityChanged(Connection c, boolean writable) {
                if (writable) {
                    resumes.incrementAndGet();
                    produce(c);
                } else {
                    pauses.incrementAndGet();
                }
            }
        }, opened);
        int client = net.connect(address);
        Tcp.setReceiveBuffer(client, 32 * 1024);
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        assertNotNull(server);
        // The client reads nothing: the kernel buffers fill, then the writer is told to stop.
        // Once not writable, the queue stays above the low watermark: nobody drains it.
        awaitOnLoop(() -> !server.isWritable(), "the writer is told to stop");
        assertTrue(produced.get() < total, "the writer never felt back-pressure");
        assertTrue(pauses.get() >= 1);
        long queued = onLoop(server::queuedBytes);
        assertTrue(queued > Connection.DEFAULT_LOW_WATERMARK, "queue " + queued);
        assertTrue(maxQueued.get() <= Connection.DEFAULT_HIGH_WATERMARK + block, "queue grew to " + maxQueued);
        // Now drain: the writer resumes, and every byte arrives in order.
        byte[] all = net.readFully(client, (int) total);
        for (int i = 0; i < all.length; i++) {
            if (all[i] != (byte) (i - i % block + i % block)) {
                throw new AssertionError("byte " + i + " is wrong");
            }
        }
        assertTrue(resumes.get() >= 1);
        assertEquals(total, produced.get());
        onLoop(() -> {
            server.close();
            return null;
        });
        stopServing(listener);
    }

    @Test
    void partialWritesHappenAndAreCompletedByGatheringSends() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve(() -> (c, d) -> d.byteSize(), opened);
        int client = net.connect(address);
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        byte[] payload = new byte[1 << 20];
        new Random(3).nextBytes(payload);
        Thread loopThread = LoopThreads.thread(loop);
        long sendmsgs = Syscalls.count("sendmsg", loopThread);
        onLoop(() -> {
            Tcp.setSendBuffer(server.fd(), 4096);
            server.write(payload);
            server.flush();
            return null;
        });
        // On io_uring the ring makes the sends (IoUringSendTest): flush() only queues its SQE.
        boolean syscalls = !loop.backend().equals("io_uring");
        long queuedAfterFirstTry = onLoop(server::queuedBytes);
        assertTrue(!syscalls || (queuedAfterFirstTry > 0 && queuedAfterFirstTry < payload.length),
                "a partial write should leave part of 1 MiB queued, left " + queuedAfterFirstTry);
        assertArrayEquals(payload, net.readFully(client, payload.length));
        assertTrue(!syscalls || Syscalls.count("sendmsg", loopThread) - sendmsgs > 1, "completed by further sendmsg calls");
        assertEquals(0L, (long) onLoop(server::queuedBytes));
        onLoop(() -> {
            server.close();
            return null;
        });
        stopServing(listener);
    }

    @Test
    void aBurstOfSmallWritesCostsOneSendPerIteration() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve(() -> (c, d) -> d.byteSize(), opened);
        int client = net.connect(address);
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        long before = onLoop(() -> sends(Thread.currentThread()));
        onLoop(() -> {
            for (int i = 0; i < 1000; i++) {
                server.write(("msg-" + (1000 + i) + ";").getBytes());
            }
            return null;
        });
        byte[] got = net.readFully(client, 1000 * 9);
        // All 1000 writes were made in one task, so one iteration: one gathering send for them
        // (a SENDMSG SQE on io_uring, no syscall: IoUringSendTest).
        assertEquals(loop.backend().equals("io_uring") ? 0 : 1, onLoop(() -> sends(Thread.currentThread())) - before);
        assertTrue(new String(got).startsWith("msg-1000;msg-1001;") && new String(got).endsWith("msg-1999;"));
        onLoop(() -> {
            server.close();
            return null;
        });
        stopServing(listener);
    }

    @Test
    void idleConnectionsHoldNoReadBufferAndClosedOnesReturnEverything() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve(FramedEcho::new, opened);
        int[] clients = new int[1000];
        List<Connection> servers = new ArrayList<>();
        for (int i = 0; i < clients.length; i++) {
            clients[i] = net.connect(address);
        }
        for (int i = 0; i < clients.length; i++) {
            servers.add(opened.poll(30, TimeUnit.SECONDS));
        }
        // Each connection has exchanged a message, then gone idle.
        for (int client : clients) {
            net.send(client, message(new Random(client), 100));
        }
        for (int client : clients) {
            net.readFully(client, 104);
        }
        long[] idle = onLoop(() -> new long[] {LoopIo.of(loop).pool.inUseCount(), LoopIo.of(loop).pool.inUseBytes(),
                servers.stream().filter(Connection::holdsReadBuffer).count()});
        assertEquals(1, idle[0], "only the loop's shared read buffer is in use");
        assertEquals(LoopIo.READ_BUFFER, idle[1]);
        assertEquals(0, idle[2]);
        // Half a message makes exactly one connection hold a buffer, until the rest arrives.
        byte[] m = message(new Random(1), 5000);
        net.send(clients[7], Arrays.copyOf(m, 1000));
        awaitOnLoop(() -> LoopIo.of(loop).pool.inUseCount() == 2, "the half message is kept in a buffer");
        assertEquals(1, (long) onLoop(() -> servers.stream().filter(Connection::holdsReadBuffer).count()));
        net.send(clients[7], Arrays.copyOfRange(m, 1000, m.length));
        assertArrayEquals(m, net.readFully(clients[7], m.length));
        assertEquals(1L, (long) onLoop(() -> LoopIo.of(loop).pool.inUseCount()));
        onLoop(() -> {
            servers.forEach(Connection::close);
            return null;
        });
        assertEquals(1L, (long) onLoop(() -> LoopIo.of(loop).pool.inUseCount()));
        assertEquals(0, (int) onLoop(() -> ConnectionStats.of(loop).join().openConnections()));
        stopServing(listener);
    }

    @Test
    void resetAndAbruptCloseAreReportedOnceEachAndOthersAreStillServed() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        ConcurrentLinkedQueue<IOException> causes = new ConcurrentLinkedQueue<>();
        AtomicInteger closes = new AtomicInteger();
        Listener listener = serve(() -> new ConnectionHandler() {
            private final FramedEcho echo = new FramedEcho();

            @Override
            public long onData(Connection c, MemorySegment data) {
                return echo.onData(c, data);
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                closes.incrementAndGet();
                if (cause != null) {
                    causes.add(cause);
                }
            }
        }, opened);
        long baseline = poolInUse();
        int resetter = net.connect(address);
        int quitter = net.connect(address);
        int survivor = net.connect(address);
        for (int i = 0; i < 3; i++) {
            assertNotNull(opened.poll(30, TimeUnit.SECONDS));
        }
        // One peer resets; one goes away in the middle of a message.
        net.send(resetter, Arrays.copyOf(message(new Random(1), 300), 10));
        Loopback.OS.options().resetOnClose(resetter);
        net.close(resetter);
        net.send(quitter, Arrays.copyOf(message(new Random(2), 300), 100));
        net.close(quitter);
        awaitOnLoop(() -> closes.get() == 2, "both failures are reported");
        assertEquals(2, causes.size());
        assertTrue(causes.stream().anyMatch(e -> e instanceof SocketException && e.getMessage().contains("ECONNRESET")),
                "reset not reported: " + causes);
        assertTrue(causes.stream().anyMatch(e -> e instanceof EOFException && e.getMessage().contains("100 bytes")),
                "EOF mid-message not reported: " + causes);
        byte[] m = message(new Random(3), 20_000);
        net.send(survivor, m);
        assertArrayEquals(m, net.readFully(survivor, m.length));
        assertEquals(2, closes.get(), "a failure was reported twice"); // after more loop turns
        assertEquals(baseline, poolInUse(), "the failed connections' buffers were not returned");
        net.close(survivor);
        stopServing(listener);
    }

    @Test
    void writingToAClosedConnectionFailsClearlyAndWritesNothing() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve(() -> (c, d) -> d.byteSize(), opened);
        int client = net.connect(address);
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        long baseline = poolInUse();
        boolean taken = onLoop(() -> {
            server.close();
            return server.write("late".getBytes());
        });
        assertFalse(taken, "a closed connection takes no writes");
        assertEquals(0L, (long) onLoop(server::queuedBytes));
        assertEquals(0, net.read(client, 16).length, "the peer sees a clean EOF and no bytes");
        assertEquals(baseline, poolInUse());
        assertFalse(onLoop(server::isOpen));
        stopServing(listener);
    }

    @Test
    void gracefulCloseSendsEverythingFirstAndAbortResets() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve(() -> (c, d) -> d.byteSize(), opened);
        int graceful = net.connect(address);
        Connection g = opened.poll(30, TimeUnit.SECONDS);
        int aborted = net.connect(address);
        Connection a = opened.poll(30, TimeUnit.SECONDS);
        byte[] payload = new byte[4 << 20];
        new Random(9).nextBytes(payload);
        onLoop(() -> {
            g.write(payload);
            g.close();
            a.write(payload);
            a.abort();
            return null;
        });
        assertArrayEquals(payload, net.readFully(graceful, payload.length));
        assertEquals(0, net.read(graceful, 16).length, "EOF after the data");
        // The aborted peer gets a reset (possibly after some bytes the kernel already had).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        boolean reset = false;
        while (!reset && System.nanoTime() < deadline) {
            try {
                byte[] b = net.read(aborted, 65536);
                reset = b != null && b.length == 0;
            } catch (AssertionError e) {
                reset = e.getMessage().contains("ECONNRESET");
            }
        }
        assertTrue(reset, "abort did not reset the connection");
        stopServing(listener);
    }

    @Test
    void aGracefulCloseToAPeerThatNeverReadsIsAbortedAfterTheCloseTimeout() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        Listener listener = serve(() -> new ConnectionHandler() {
            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                closed.complete(cause);
            }
        }, opened);
        int client = net.connect(address);
        Tcp.setReceiveBuffer(client, 4096);
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        long baseline = poolInUse(); // before the connection queues anything
        onLoop(() -> {
            server.setCloseTimeout(java.time.Duration.ofMillis(300));
            server.write(new byte[8 << 20]); // far more than the kernel's buffers hold
            server.close();
            return null;
        });
        IOException cause = closed.get(30, TimeUnit.SECONDS); // the client never reads
        assertInstanceOf(java.net.SocketTimeoutException.class, cause);
        assertTrue(cause.getMessage().contains("bytes unsent"), cause.getMessage());
        // On io_uring the chunks of the send in flight come back with its cancelled completion.
        awaitOnLoop(() -> LoopIo.of(loop).pool.inUseCount() == baseline, "the queue's buffers returned");
        stopServing(listener);
    }

    @Test
    void aLingeringCloseDiscardsWhatThePeerStillSendsAndTheAnswerArrivesIntact() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        Listener listener = serve(() -> new ConnectionHandler() {
            @Override
            public long onData(Connection c, MemorySegment data) {
                assertTrue(c.write("rejected\n".getBytes()), "the connection takes writes");
                c.closeLingering(); // mid-stream: the client is still sending
                return data.byteSize();
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                closed.complete(cause);
            }
        }, opened);
        int client = net.connect(address);
        assertNotNull(opened.poll(30, TimeUnit.SECONDS));
        // 4 MiB in one blocking send: it completes only because the server keeps reading.
        net.send(client, new byte[4 << 20]);
        assertArrayEquals("rejected\n".getBytes(), net.readFully(client, 9));
        assertEquals(0, net.read(client, 16).length, "FIN after the answer");
        net.close(client); // the peer closes too: the lingering ends
        assertNull(closed.get(30, TimeUnit.SECONDS));
        stopServing(listener);
    }

    @Test
    void aLingeringCloseEndsAtItsByteBound() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        Listener listener = serve(() -> new ConnectionHandler() {
            @Override
            public void onOpen(Connection c) {
                c.setLingering(java.time.Duration.ofSeconds(60), 64 * 1024);
                c.closeLingering();
            }

            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                closed.complete(cause);
            }
        }, opened);
        int client = net.connect(address);
        assertNotNull(opened.poll(30, TimeUnit.SECONDS));
        Thread sender = new Thread(() -> {
            try {
                net.send(client, new byte[1 << 20]); // more than the bound; fails once the server closes
            } catch (AssertionError resetByTheServer) {
                // expected: the server stopped lingering after 64 KiB
            }
        });
        sender.start();
        assertNull(closed.get(30, TimeUnit.SECONDS)); // long before its 60 s time bound
        sender.join();
        stopServing(listener);
    }

    @Test
    void shutdownOutputSendsFinAfterTheDataAndKeepsReading() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        Listener listener = serve(() -> (c, d) -> {
            received.add(new String(d.toArray(ValueLayout.JAVA_BYTE)));
            return d.byteSize();
        }, opened);
        int client = net.connect(address);
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        onLoop(() -> {
            server.write("last words".getBytes());
            server.shutdownOutput();
            assertFalse(server.write("more".getBytes()), "writes after shutdownOutput are refused");
            return null;
        });
        assertArrayEquals("last words".getBytes(), net.readFully(client, 10));
        assertEquals(0, net.read(client, 16).length, "FIN after the data");
        net.send(client, "still listening?".getBytes());
        assertEquals("still listening?", received.poll(5, TimeUnit.SECONDS));
        onLoop(() -> {
            server.close();
            return null;
        });
        stopServing(listener);
    }

    @Test
    void aRefusedClientConnectionReportsOnceAndAPausedReaderGetsKeptBytesOnResume() throws Exception {
        net.close(listenFd); // nobody listens there any more
        CompletableFuture<IOException> refused = new CompletableFuture<>();
        AtomicInteger opens = new AtomicInteger();
        onLoop(() -> Connection.connect(loop, address, new ConnectionHandler() {
            @Override
            public void onOpen(Connection c) {
                opens.incrementAndGet();
            }

            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                refused.complete(cause);
            }
        }));
        IOException cause = refused.get(30, TimeUnit.SECONDS);
        assertInstanceOf(java.net.ConnectException.class, cause);
        assertEquals("connect(" + address + "): ECONNREFUSED (Connection refused)", cause.getMessage());
        assertEquals(0, opens.get());
        listenFd = Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16, false);
        address = Tcp.localAddress(listenFd);
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Listener listener = serve(() -> (c, d) -> {
            // One line per call, then pause: the rest stays pending until resumeReading.
            for (long i = 0; i < d.byteSize(); i++) {
                if (d.get(ValueLayout.JAVA_BYTE, i) == '\n') {
                    lines.add(new String(d.asSlice(0, i).toArray(ValueLayout.JAVA_BYTE)));
                    c.pauseReading();
                    return i + 1;
                }
            }
            return 0;
        }, opened);
        int client = net.connect(address);
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        net.send(client, "one\ntwo\nthree\n".getBytes());
        assertEquals("one", lines.poll(5, TimeUnit.SECONDS));
        assertNull(lines.poll(100, TimeUnit.MILLISECONDS), "paused, yet delivered");
        for (String expected : List.of("two", "three")) {
            onLoop(() -> {
                server.resumeReading();
                return null;
            });
            assertEquals(expected, lines.poll(5, TimeUnit.SECONDS));
        }
        onLoop(() -> {
            server.close();
            return null;
        });
        stopServing(listener);
    }

    @Test
    void closingTheLoopClosesItsConnectionsWithACause() throws Exception {
        CompletableFuture<IOException> cause = new CompletableFuture<>();
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        serve(() -> new ConnectionHandler() {
            @Override
            public long onData(Connection c, MemorySegment data) {
                return 0; // keeps everything: the connection holds a buffer when the loop stops
            }

            @Override
            public void onClosed(Connection c, IOException e) {
                cause.complete(e);
            }
        }, opened);
        int client = net.connect(address);
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        assertNotNull(server);
        net.send(client, "partial".getBytes());
        awaitOnLoop(server::holdsReadBuffer, "the partial message is kept");
        loop.close(); // closes the listener and the connection
        IOException e = cause.get(30, TimeUnit.SECONDS);
        assertInstanceOf(ClosedConnectionException.class, e);
        assertEquals("event loop '" + getClass().getSimpleName() + "' stopped", e.getMessage()); // subclasses too
    }

    @Test
    void aPeerThatSendsWithoutPauseDoesNotStarveTheOthers() throws Exception {
        AtomicLong flooded = new AtomicLong();
        AtomicLong floodedWhenPinged = new AtomicLong(-1);
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve(() -> (c, data) -> {
            if (data.byteSize() == 1 && data.get(ValueLayout.JAVA_BYTE, 0) == 'p') {
                floodedWhenPinged.set(flooded.get());
                assertTrue(c.write("pong".getBytes()), "the connection takes writes");
            } else {
                flooded.addAndGet(data.byteSize());
            }
            return data.byteSize();
        }, opened);
        int flooder = net.connect(address);
        Connection flooding = opened.poll(30, TimeUnit.SECONDS);
        int pinger = net.connect(address);
        assertNotNull(opened.poll(30, TimeUnit.SECONDS));
        onLoop(() -> {
            flooding.setReadBudget(1); // one 64 KiB read per turn, so a few hundred KiB outlast a turn
            Tcp.setReceiveBuffer(flooding.fd(), 1 << 20);
            return null;
        });
        // Hold the loop while the flooder fills the server's receive buffer and the ping waits
        // behind it; then one poll reports both.
        CountDownLatch release = io.ffpoll.multiplexer.testing.LoopThreads.hold(loop);
        // Send without blocking until the kernel takes no more: the buffers are full.
        long queuedInKernel = 0;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(64 * 1024);
            long n;
            while ((n = Loopback.OS.send(flooder, chunk, chunk.byteSize(), true)) > 0) {
                queuedInKernel += n;
            }
            assertEquals(-io.ffpoll.bindings.Err.EAGAIN, n);
        }
        assertTrue(queuedInKernel > 4 * LoopIo.READ_BUFFER, "only " + queuedInKernel + " bytes in flight");
        net.send(pinger, "p".getBytes());
        release.countDown();
        final long flood = queuedInKernel + (2 << 20); // and 2 MiB more after the ping
        Thread writer = new Thread(() -> net.send(flooder, new byte[2 << 20]));
        writer.start();
        assertArrayEquals("pong".getBytes(), net.readFully(pinger, 4));
        writer.join();
        awaitOnLoop(() -> flooded.get() == flood, "every flooded byte is read");
        assertEquals(flood, flooded.get(), "bytes lost under the read budget");
        // The ping was answered after at most a turn or two of the flooder's reads, not after it
        // had drained its whole receive buffer.
        assertTrue(floodedWhenPinged.get() <= 2 * LoopIo.READ_BUFFER,
                "ping answered after " + floodedWhenPinged.get() + " flooded bytes");
        stopServing(listener);
    }
}
