package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.testing.Await;
import io.ffpoll.multiplexer.testing.LoopThreads;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Unix datagram peer whose queue is full. Linux answers EAGAIN where UDP would drop: to a
 * named peer, whose room the kernel never signals, each datagram more is dropped and reported;
 * to the connected peer the queue waits, bounded, for the writability its reading gives back;
 * when this socket's own buffer is full it waits too. Never growing memory, never spinning.
 */
class UnixDatagramFullReceiverTest extends UnixDatagramTestBase {
    /**
     * A named peer that does not read: Linux takes max_dgram_qlen + 1 datagrams, then answers
     * EAGAIN, and never says when there is room again. Each one more is dropped and reported,
     * after a getsockopt(SO_MEMINFO) finds this socket's own buffer not full and a retry at once
     * gets EAGAIN again; the queue is empty again and the loop does not spin.
     */
    @Test
    void toAFullNamedReceiverTheRestIsDroppedAndReportedAndTheLoopDoesNotSpin() throws Exception {
        Assumptions.assumeTrue(OS.name().equals("linux"), "Linux answers a full Unix receiver with EAGAIN");
        int room = receiverQueue();
        int n = room + 20;
        Thread loopThread = LoopThreads.thread(loop);
        Recorder r = new Recorder(false);
        DatagramEndpoint sender = bind(freshPath(), DatagramOptions.DEFAULTS, r);
        UnixAddress deafName = freshPath();
        try (RawUnixDatagram deaf = new RawUnixDatagram(deafName)) {
            long getsockopt = Syscalls.count("getsockopt", loopThread);
            long iterations = loop.stats().iterations();
            onLoop(() -> {
                for (int i = 0; i < n; i++) {
                    assertTrue(sender.send(MemorySegment.ofArray(pattern(64, i)), deafName));
                }
                return null;
            });
            awaitOnLoop(() -> sender.stats().sent() + sender.stats().sendErrors() == n, "every datagram went or failed");
            assertEquals(room, sender.stats().sent(), "what the receiver's queue takes");
            assertEquals(n - room, sender.stats().sendErrors());
            assertEquals(0, sender.stats().queuedDatagrams(), "nothing waits: the kernel would never say when");
            for (int i = 0; i < n - room; i++) {
                IOException e = r.errors.poll(30, TimeUnit.SECONDS);
                assertNotNull(e);
                assertTrue(e.getMessage().contains("EAGAIN") && e.getMessage().contains("its receive queue is full")
                        && e.getMessage().contains(deafName.toString()), e.getMessage());
            }
            assertEquals(2 * (n - room), Syscalls.count("getsockopt", loopThread) - getsockopt,
                    "one SO_MEMINFO per EAGAIN, two EAGAINs (the retry) per datagram dropped");
            pingPong(50);
            assertTrue(loop.stats().iterations() - iterations < 1000,
                    "no spin: " + (loop.stats().iterations() - iterations) + " iterations");
            for (int i = 0; i < room; i++) {
                assertArrayEquals(pattern(64, i), deaf.receive(), "the first " + room + " arrived, in order");
            }
            assertNull(deaf.poll());
        }
        close(sender);
    }

    /**
     * EAGAIN because this socket's own buffer is full (the smallest SO_SNDBUF holds a few
     * datagrams, unread in the peer's queue): SO_MEMINFO says so, and the queue waits for
     * writability as UDP's does, which comes when the peer reads; nothing is dropped.
     */
    @Test
    void whenItsOwnBufferIsFullTheQueueWaitsAndLosesNothing() throws Exception {
        Assumptions.assumeTrue(OS.name().equals("linux"), "SO_MEMINFO is Linux's");
        Thread loopThread = LoopThreads.thread(loop);
        UnixAddress peerName = freshPath();
        try (RawUnixDatagram peer = new RawUnixDatagram(peerName)) {
            Recorder r = new Recorder(false);
            DatagramEndpoint sender = bind(freshPath(), DatagramOptions.DEFAULTS.socketBuffers(0, 1), r);
            int n = Math.min(receiverQueue(), 10); // fewer than the peer's queue takes: only the buffer can stop them
            long getsockopt = Syscalls.count("getsockopt", loopThread);
            onLoop(() -> {
                for (int i = 0; i < n; i++) {
                    assertTrue(sender.send(MemorySegment.ofArray(pattern(64, i)), peerName));
                }
                return null;
            });
            awaitOnLoop(() -> sender.stats().sent() > 0, "the first went");
            assertTrue(sender.stats().queuedDatagrams() > 0, "the rest waits: " + sender.stats());
            assertEquals(1, Syscalls.count("getsockopt", loopThread) - getsockopt, "one SO_MEMINFO said: full");
            for (int i = 0; i < n; i++) {
                assertArrayEquals(pattern(64, i), peer.receive(), "datagram " + i + ", in order");
            }
            awaitOnLoop(() -> sender.stats().sent() == n, "all sent");
            assertEquals(0, sender.stats().sendErrors());
            assertTrue(r.errors.isEmpty(), "waiting is not failing");
            close(sender);
        }
    }

    /**
     * The smallest SO_SNDBUF and a peer that a thread of its own drains as fast as it can: the
     * peer's queue (max_dgram_qlen) is never what stops a send, only this socket's own buffer
     * is, so every EAGAIN must wait and none may drop. The reader can free the buffer between
     * the EAGAIN and the SO_MEMINFO that classifies it; such an EAGAIN must not be taken for
     * a full peer. Every datagram arrives, in order.
     */
    @Test
    void aPeerDrainedMeanwhileCostsNoDatagram() throws Exception {
        Assumptions.assumeTrue(OS.name().equals("linux"), "SO_MEMINFO is Linux's");
        int n = 20_000; // about one in a thousand hit the race before the retry
        UnixAddress peerName = freshPath();
        Recorder r = new Recorder(false);
        DatagramEndpoint sender = bind(freshPath(), DatagramOptions.DEFAULTS.socketBuffers(0, 1), r);
        AtomicInteger received = new AtomicInteger();
        AtomicInteger outOfOrder = new AtomicInteger(-1);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> readerFailed = new AtomicReference<>();
        CountDownLatch bound = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().name("drainer").start(() -> {
            try (RawUnixDatagram peer = new RawUnixDatagram(peerName)) { // its memory is confined to this thread
                bound.countDown();
                while (!stop.get()) {
                    byte[] got = peer.poll();
                    if (got == null) {
                        Thread.onSpinWait();
                        continue;
                    }
                    if (ByteBuffer.wrap(got).getInt() != received.get()) {
                        outOfOrder.compareAndSet(-1, received.get());
                    }
                    received.incrementAndGet();
                }
            } catch (Throwable t) {
                readerFailed.set(t);
                bound.countDown();
            }
        });
        try {
            assertTrue(bound.await(30, TimeUnit.SECONDS));
            assertNull(readerFailed.get());
            byte[] p = new byte[1500];
            int offered = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (offered < n) {
                assertNull(readerFailed.get());
                assertTrue(System.nanoTime() < deadline, "timed out offering: " + offered + " taken, " + sender.stats());
                int from = offered;
                offered += onLoop(() -> {
                    int k = 0;
                    while (from + k < n && k < 64) {
                        ByteBuffer.wrap(p).putInt(from + k);
                        if (!sender.send(MemorySegment.ofArray(p), peerName)) {
                            break; // the queue is full: the next round offers again
                        }
                        k++;
                    }
                    return k;
                });
            }
            awaitOnLoop(() -> sender.stats().sent() + sender.stats().sendErrors() == n, "every datagram went or failed");
            long sent = sender.stats().sent();
            Await.until(() -> received.get() == sent, "the reader got every datagram sent");
        } finally {
            stop.set(true);
            reader.join();
        }
        assertNull(readerFailed.get());
        assertEquals(0, sender.stats().sendErrors(), "dropped as if the peer were full: " + r.errors.peek());
        assertEquals(n, received.get());
        assertEquals(-1, outOfOrder.get(), "the first out of order");
        assertTrue(r.errors.isEmpty());
        close(sender);
    }

    /**
     * The connected peer that does not read: the queue keeps what the kernel refuses (bounded:
     * more is refused and counted, and takes no memory) and waits for writability, which comes
     * when the peer reads; then the rest goes, in order, none lost.
     */
    @Test
    void toAFullConnectedReceiverTheQueueWaitsBoundedForWritability() throws Exception {
        Assumptions.assumeTrue(OS.name().equals("linux"), "Linux answers a full Unix receiver with EAGAIN");
        int room = receiverQueue();
        UnixAddress peerName = freshPath();
        try (RawUnixDatagram peer = new RawUnixDatagram(peerName)) {
            Recorder r = new Recorder(false);
            int cap = room + 9;
            DatagramEndpoint sender = bind(freshPath(), DatagramOptions.DEFAULTS.connectTo(peerName)
                    .sendQueue(cap, 65536), r);
            assertEquals(peerName, sender.options().connectTo());
            int[] taken = onLoop(() -> {
                int yes = 0;
                for (int i = 0; i < cap + 10; i++) {
                    yes += sender.send(MemorySegment.ofArray(pattern(64, i))) ? 1 : 0;
                }
                return new int[] {yes};
            });
            assertEquals(cap, taken[0], "the queue's bound");
            awaitOnLoop(() -> sender.stats().sent() == room, "what the peer's queue takes went");
            assertEquals(9, sender.stats().queuedDatagrams(), "the rest waits");
            long[] memory = onLoop(() -> {
                BufferPool pool = LoopIo.of(loop).pool;
                long inUse = pool.inUseBytes();
                long allocations = pool.allocations();
                int yes = 0;
                for (int i = 0; i < 1000; i++) {
                    yes += sender.send(MemorySegment.ofArray(pattern(64, cap + 10 + i))) ? 1 : 0;
                }
                return new long[] {yes, inUse, pool.inUseBytes(), allocations, pool.allocations()};
            });
            assertEquals(room, memory[0], "only the room the queue has left");
            assertEquals(memory[1], memory[2], "waiting takes no more memory");
            assertEquals(memory[3], memory[4], "and allocates none");
            long iterations = loop.stats().iterations();
            pingPong(20);
            assertTrue(loop.stats().iterations() - iterations < 1000, "no spin while it waits");
            assertEquals(room, sender.stats().sent(), "nothing went meanwhile");
            int total = cap + room;
            for (int i = 0; i < total; i++) {
                int seed = i < cap ? i : cap + 10 + (i - cap);
                assertArrayEquals(pattern(64, seed), peer.receive(), "datagram " + i + ", in order");
            }
            awaitOnLoop(() -> sender.stats().sent() == total, "all sent");
            assertEquals(0, sender.stats().sendErrors());
            assertEquals(10 + 1000 - room, sender.stats().overflows());
            assertTrue(r.errors.isEmpty(), "no error: waiting is not failing");
            close(sender);
        }
    }
}
