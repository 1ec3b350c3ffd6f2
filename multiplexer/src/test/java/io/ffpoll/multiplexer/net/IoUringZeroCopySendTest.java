package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.testing.IoUringSupport;
import io.ffpoll.multiplexer.uring.IoUringBackend;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link IoUringSendTest}'s suite again with zero-copy sends ({@code -Dffpoll.uring.zeroCopySends=true}:
 * SEND_ZC and SENDMSG_ZC from 16 KiB), where a send completes twice and its chunks may come
 * back only at the second completion, the notification. Its abort and closed-in-flight tests
 * are the ones that would see a chunk reused while the kernel still held it.
 */
class IoUringZeroCopySendTest extends IoUringSendTest {
    @Override
    protected Poller openPoller() throws IOException {
        return IoUringSupport.zeroCopyPoller();
    }

    private long[] zeroCopy() throws Exception {
        return onLoop(() -> ((IoUringBackend) LoopAccess.get().backend(loop)).zeroCopySends());
    }

    /**
     * One 1 MiB write goes as SEND_ZC (one chunk) or SENDMSG_ZC (several), and what a write of
     * 100 bytes queues stays a plain send: every byte arrives in order, and the pool gets every
     * chunk back once the notifications have come.
     */
    @Test
    void largeSendsGoZeroCopyAndSmallOnesDoNot() throws Exception {
        assertTrue(onLoop(() -> LoopAccess.get().backend(loop) instanceof IoUringBackend), "not on io_uring");
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve((fd, peer) -> opened.add(Connection.open(loop, fd, peer, (c, d) -> d.byteSize()).join()));
        int client = net.connect(address);
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        long baseline = onLoop(() -> LoopIo.of(loop).pool.inUseCount());
        byte[] small = new byte[100];
        Arrays.fill(small, (byte) 's');
        onLoop(() -> server.write(small));
        assertArrayEquals(small, net.readFully(client, small.length));
        awaitOnLoop(() -> LoopAccess.get().backend(loop).sendsInFlight() == 0, "the small send completed");
        assertEquals(0, zeroCopy()[0], "a 100-byte send went zero-copy");

        byte[] big = new byte[1 << 20];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + (i >>> 8));
        }
        onLoop(() -> server.write(big));
        assertArrayEquals(big, net.readFully(client, big.length));
        awaitOnLoop(() -> LoopAccess.get().backend(loop).sendsInFlight() == 0, "every zero-copy send notified");
        long[] counts = zeroCopy();
        assertTrue(counts[0] >= 1, "no zero-copy send for 1 MiB");
        assertTrue(counts[1] <= counts[0], "more copied notifications than zero-copy sends: " + Arrays.toString(counts));
        assertEquals(baseline, (long) onLoop(() -> LoopIo.of(loop).pool.inUseCount()), "chunks not back after the notifications");
        onLoop(server::close);
        assertEquals(0, net.drain(client), "bytes after the end");
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }
}
