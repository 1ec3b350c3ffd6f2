package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool gives back what a burst left behind, and keeps what a steady load reuses. */
class BufferPoolTest extends LoopTestBase {
    private static final int PAGE = 1 << BufferPool.MIN_SHIFT;

    @Test
    void aTrimFreesTheBuffersThatSatUnusedSinceTheLastOne() {
        BufferPool pool = new BufferPool();
        List<BufferPool.Buffer> burst = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            burst.add(pool.acquire(PAGE));
        }
        burst.forEach(pool::release);
        assertEquals(3L * PAGE, pool.pooledBytes());
        // Released since the last trim (there was none): none of them sat idle a whole period.
        assertEquals(3L * PAGE, pool.trim());
        // One is reused in the next period: it stays; the two that were not are freed.
        pool.release(pool.acquire(PAGE));
        assertEquals(PAGE, pool.trim());
        assertEquals(3, pool.allocations(), "the reuse took a pooled buffer");
        assertEquals(0, pool.trim(), "a period without use frees the last one");
        assertEquals(0, pool.inUseCount());
        pool.release(pool.acquire(PAGE));
        assertEquals(4, pool.allocations(), "after a trim the class is empty and allocates again");
        pool.close();
        assertEquals(0, pool.trim(), "a closed pool holds nothing");
    }

    @Test
    void aTrimFreesABoundedNumberAndTheRestAtTheNextTrims() {
        BufferPool pool = new BufferPool();
        int burst = BufferPool.MAX_FREED_PER_TRIM + 10;
        List<BufferPool.Buffer> held = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
            held.add(pool.acquire(PAGE));
        }
        held.forEach(pool::release);
        pool.trim(); // starts the period: none sat unused through a whole one yet
        assertEquals(10L * PAGE, pool.trim(), "one trim frees its bound");
        assertEquals(0, pool.trim(), "the rest, still unused, go at the next");
        pool.close();
    }

    @Test
    void buffersLeftByABurstOfResponsesAreFreedOnceTheConnectionsGoIdle() throws Exception {
        int clients = 8;
        int response = 1 << 20;
        // Each connection answers its first byte with 1 MiB, which the peer does not read at
        // once: the loop queues it in pooled buffers, which go back to the pool as it drains.
        serveConnections(() -> new ConnectionHandler() {
            @Override
            public long onData(Connection c, MemorySegment data) {
                c.write(MemorySegment.ofArray(new byte[response]));
                return data.byteSize();
            }
        });
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                Socket s = new Socket(address.getAddress(), address.getPort());
                held.add(s);
                s.getOutputStream().write('x');
            }
            for (Socket s : held) {
                InputStream in = s.getInputStream();
                assertEquals(response, in.readNBytes(response).length);
            }
            awaitOnLoop(() -> ConnectionStats.of(loop).join().openConnections() == clients, "all connections open");
            ConnectionStats burst = ConnectionStats.of(loop).join();
            assertTrue(burst.pooledBytes() >= response, "the drained responses were pooled: " + burst);
            // The connections stay open and idle: the pool's trims give it all back.
            awaitOnLoop(() -> ConnectionStats.of(loop).join().pooledBytes() == 0, "the pool trimmed to nothing");
            ConnectionStats idle = ConnectionStats.of(loop).join();
            assertEquals(1, idle.buffersInUse(), "only the loop's read buffer is in use: " + idle);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
