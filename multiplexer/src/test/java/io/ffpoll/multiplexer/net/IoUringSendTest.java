package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.backend.Backend;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.testing.IoUringLoopTestBase;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sends completed by the ring (io_uring): plain TCP connections make no send syscall, one
 * SENDMSG SQE per connection at a time gathers its queue, and a connection closed with a send
 * in flight cancels it and gets its chunks back only once the kernel has given the send back.
 */
class IoUringSendTest extends IoUringLoopTestBase {
    private Backend backend() {
        return LoopAccess.get().backend(loop);
    }

    private long poolInUse() throws Exception {
        return onLoop(() -> LoopIo.of(loop).pool.inUseCount());
    }

    private static long sendSyscalls(Thread t) {
        return Syscalls.count("sendmsg", t) + Syscalls.count("send", t) + Syscalls.count("writev", t);
    }

    private static void stopServing(Listener listener) throws Exception {
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }

    private Listener serve(ConnectionHandler handler, BlockingQueue<Connection> opened) throws Exception {
        return serve((fd, peer) -> opened.add(Connection.open(loop, fd, peer, handler).join()));
    }

    @Test
    void aBurstOfWritesGoesAsOneSendmsgSqeAndNoSendSyscall() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve((c, d) -> d.byteSize(), opened);
        int client = net.connect(address);
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        Thread loopThread = onLoop(Thread::currentThread);
        long sends = sendSyscalls(loopThread);
        long[] before = onLoop(() -> new long[] {loop.stats().iterations(), Syscalls.count("io_uring_enter", loopThread)});
        onLoop(() -> {
            for (int i = 0; i < 1000; i++) {
                server.write(("msg-" + (1000 + i) + ";").getBytes());
            }
            return null;
        });
        byte[] got = net.readFully(client, 1000 * 9);
        assertTrue(new String(got).startsWith("msg-1000;msg-1001;") && new String(got).endsWith("msg-1999;"));
        awaitOnLoop(() -> backend().sendsInFlight() == 0, "the send completed");
        long[] after = onLoop(() -> new long[] {loop.stats().iterations(), Syscalls.count("io_uring_enter", loopThread)});
        assertEquals(0, sendSyscalls(loopThread) - sends, "sendmsg, send or writev made by the loop");
        if (Syscalls.COUNTING) {
            assertEquals(after[0] - before[0], after[1] - before[1], "io_uring_enter calls != loop iterations");
        }
        onLoop(server::close);
        stopServing(listener);
    }

    @Test
    void anAbortWithASendInFlightCancelsItAndItsChunksComeBackOnlyAfterItsCompletion() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve((c, d) -> d.byteSize(), opened);
        long baseline = poolInUse();
        net.connect(address); // never reads: the sends stay in flight once its buffers fill
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        onLoop(() -> {
            byte[] mib = new byte[1 << 20];
            for (int i = 0; i < 16; i++) {
                server.write(mib);
            }
            return null;
        });
        // Catch it with a send in flight (between a completion and the next flush there is none).
        awaitOnLoop(() -> {
            if (backend().sendsInFlight() != 1) {
                return false;
            }
            server.abort();
            // Finished, but the kernel still holds the send: its chunks are not back yet.
            assertTrue(LoopIo.of(loop).pool.inUseCount() > baseline, "chunks given back while the kernel held them");
            assertEquals(1, backend().sendsInFlight(), "the send counts as in flight until its completion is reaped");
            return true;
        }, "a send in flight");
        awaitOnLoop(() -> backend().sendsInFlight() == 0, "the cancelled send's completion");
        assertEquals(baseline, poolInUse(), "every chunk back after the completion");
        stopServing(listener);
    }

    /**
     * A send still in the SQ names its socket by number. A connection that flushes and aborts in
     * one task, followed at once by an accept that takes the freed number, must not have its
     * bytes sent to the new socket: the send is submitted before the close, never after it.
     */
    @Test
    void aSendQueuedWhenItsConnectionAbortsNeverReachesTheSocketThatTakesItsNumber() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve((c, d) -> d.byteSize(), opened);
        net.connect(address);
        Connection a = opened.poll(30, TimeUnit.SECONDS);
        int other = Tcp.listen(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 16, false);
        int clientB = net.connect(Tcp.localAddress(other));
        int[] fds = onLoop(() -> {
            int number = a.fd();
            a.write("SECRET".getBytes());
            a.flush(); // the send's SQE is prepared now, submitted by the next enter
            a.abort();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int b;
            do { // B's handshake is done or nearly: loopback
                b = Loopback.OS.accept(other, MemorySegment.NULL, MemorySegment.NULL);
            } while (b == -io.ffpoll.bindings.Err.EAGAIN && System.nanoTime() < deadline);
            return new int[] {number, b};
        });
        assertTrue(fds[1] >= 0, "accept failed: " + fds[1]);
        int serverB = net.track(fds[1]);
        Loopback.OS.close(other);
        org.junit.jupiter.api.Assumptions.assumeTrue(fds[0] == fds[1],
                "the accept took fd " + fds[1] + ", not the aborted connection's " + fds[0] + ": nothing to check");
        onLoop(() -> null); // one more iteration: its enter submitted whatever was still queued
        net.send(serverB, "OK".getBytes());
        net.close(serverB);
        byte[] got = net.readFully(clientB, 2);
        assertEquals("OK", new String(got), "the aborted connection's send reached the socket that took its number");
        assertEquals(0, net.drain(clientB), "bytes after the end: the aborted connection's send");
        stopServing(listener);
    }

    /**
     * Many connections opening and closing while their sends are in flight: each server
     * connection sends a stream only its seed makes, then closes gracefully (odd seeds) or aborts
     * at a random point (even seeds). Every byte a client gets is checked against the stream:
     * no byte is lost before a graceful close, none is corrupted anywhere (a reused buffer would
     * show), and every pooled chunk is back at the end.
     */
    @Test
    void connectionsClosedWithSendsInFlightLoseAndCorruptNothing() throws Exception {
        final int waves = 4;
        final int perWave = 50;
        BlockingQueue<Connection> unused = new LinkedBlockingQueue<>();
        Listener listener = serve(new ConnectionHandler() {
            @Override
            public long onData(Connection c, MemorySegment d) {
                if (d.byteSize() < 8) {
                    return 0;
                }
                long seed = d.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                Random r = new Random(seed);
                long total = 1 + r.nextInt(4 << 20);
                long sent = 0;
                byte[] chunk = new byte[64 * 1024];
                Random stream = new Random(~seed);
                while (sent < total) {
                    int n = (int) Math.min(chunk.length, total - sent);
                    fill(stream, chunk, n);
                    c.write(chunk, 0, n);
                    sent += n;
                }
                if ((seed & 1) == 1) {
                    c.close();
                } else {
                    int iterations = r.nextInt(5);
                    abortAfter(c, iterations);
                }
                return d.byteSize();
            }
        }, unused);
        long baseline = poolInUse();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicLong checked = new AtomicLong();
        try (EventLoop clients = EventLoop.start("clients", Poller.open("epoll"), 1024)) {
            for (int wave = 0; wave < waves; wave++) {
                CountDownLatch done = new CountDownLatch(perWave);
                for (int i = 0; i < perWave; i++) {
                    long seed = wave * 1000L + i;
                    Connection.connect(clients, address, new Checker(seed, failures, checked, done));
                }
                assertTrue(done.await(120, TimeUnit.SECONDS), done.getCount() + " clients did not finish");
            }
        }
        assertTrue(failures.isEmpty(), "failures: " + failures.stream().limit(5).toList());
        assertTrue(checked.get() > 0, "no byte checked");
        awaitOnLoop(() -> backend().sendsInFlight() == 0 && ConnectionStats.of(loop).join().openConnections() == 0,
                "every server connection closed and every send given back");
        assertEquals(baseline, poolInUse(), "pooled chunks not returned");
        stopServing(listener);
    }

    private void abortAfter(Connection c, int iterations) {
        if (iterations == 0) {
            c.abort();
        } else {
            loop.execute(() -> abortAfter(c, iterations - 1));
        }
    }

    private static void fill(Random stream, byte[] chunk, int n) {
        for (int i = 0; i < n; i++) {
            chunk[i] = (byte) stream.nextInt();
        }
    }

    /** A client that sends its seed and checks every byte it gets against the seed's stream. */
    private static final class Checker implements ConnectionHandler {
        private final long seed;
        private final ConcurrentLinkedQueue<String> failures;
        private final AtomicLong checked;
        private final CountDownLatch done;
        private final Random stream;
        private final long total;
        private long received;

        Checker(long seed, ConcurrentLinkedQueue<String> failures, AtomicLong checked, CountDownLatch done) {
            this.seed = seed;
            this.failures = failures;
            this.checked = checked;
            this.done = done;
            this.stream = new Random(~seed);
            this.total = 1 + new Random(seed).nextInt(4 << 20);
        }

        @Override
        public void onOpen(Connection c) {
            byte[] s = new byte[8];
            MemorySegment.ofArray(s).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, seed);
            c.write(s);
        }

        @Override
        public long onData(Connection c, MemorySegment data) {
            long n = data.byteSize();
            for (long i = 0; i < n; i++) {
                if (data.get(ValueLayout.JAVA_BYTE, i) != (byte) stream.nextInt()) {
                    failures.add("seed " + seed + ": byte " + (received + i) + " corrupted");
                    c.abort();
                    return n;
                }
            }
            received += n;
            checked.addAndGet(n);
            if (received > total) {
                failures.add("seed " + seed + ": more bytes than sent");
            }
            return n;
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
            if ((seed & 1) == 1 && received != total) {
                failures.add("seed " + seed + ": graceful close after " + received + " of " + total + " bytes ("
                        + cause + ")");
            }
            done.countDown();
        }
    }
}
