package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.testing.LoopTestBase;
import io.ffpoll.multiplexer.testing.LoopThreads;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Bytes a handler leaves unconsumed (a partial message; over TLS, a partial record) do not
 * shrink the reads that follow: each still reads up to the loop's 64 KiB read buffer, the kept
 * bytes in front, as a connection that keeps nothing does. Counted with the syscall counter
 * over a socket pair that already holds all the bytes, so the count is the same on any machine.
 */
class KeptInputReadTest extends LoopTestBase {
    private static final int TOTAL = 150 * 1024;

    /** Consumes all but the last byte of each delivery, until the last delivery. */
    private static final class LeavesOneByte implements ConnectionHandler {
        final CompletableFuture<Connection> opened = new CompletableFuture<>();
        final CRC32 crc = new CRC32();
        long consumed;
        final CompletableFuture<Long> all = new CompletableFuture<>();

        @Override
        public void onOpen(Connection c) {
            c.pauseReading();
            opened.complete(c);
        }

        @Override
        public long onData(Connection c, MemorySegment data) {
            long n = data.byteSize();
            long use = consumed + n == TOTAL ? n : n - 1;
            crc.update(data.asSlice(0, use).asByteBuffer());
            consumed += use;
            if (consumed == TOTAL) {
                all.complete(crc.getValue());
            }
            return use;
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
        }
    }

    @Test
    void readsBehindKeptBytesStillFillTheReadBuffer() throws Exception {
        assumeTrue(Syscalls.COUNTING, "counts read syscalls: needs -Dffpoll.countSyscalls=true");
        assumeTrue(!"io_uring".equals(System.getProperty("ffpoll.engine")), "io_uring receives make no read syscalls");
        int[] pair = new int[2];
        assertEquals(0, Platform.current().unix().unixStreamPair(pair));
        LeavesOneByte handler = new LeavesOneByte();
        Connection c = Connection.open(loop, pair[1], handler).get(30, TimeUnit.SECONDS);
        handler.opened.get(30, TimeUnit.SECONDS);
        CRC32 sent = new CRC32();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(TOTAL);
            for (int i = 0; i < TOTAL; i++) {
                bytes.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + i / 7));
            }
            sent.update(bytes.asByteBuffer());
            for (long at = 0; at < TOTAL; ) {
                long n = Platform.current().write(pair[0], bytes.asSlice(at), TOTAL - at);
                assertTrue(n > 0, "the socket pair holds " + TOTAL + " bytes: write returned " + n + " at " + at);
                at += n;
            }
        }
        Thread loopThread = LoopThreads.thread(loop);
        long before = onLoop(() -> {
            long reads = Syscalls.count("read", loopThread);
            c.resumeReading();
            return reads;
        });
        assertEquals(sent.getValue(), handler.all.get(30, TimeUnit.SECONDS), "every byte, in order");
        long reads = onLoop(() -> Syscalls.count("read", loopThread)) - before;
        // 150 KiB behind one kept byte: three reads of up to 64 KiB less that byte, one that finds the socket empty
        assertTrue(reads <= 4, "reads for " + TOTAL + " bytes: " + reads);
        onLoop(c::close);
        Platform.current().close(pair[0]);
    }
}
