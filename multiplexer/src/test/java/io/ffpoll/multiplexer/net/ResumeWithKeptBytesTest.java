package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A handler that takes whole 100-byte messages and pauses after every offer (a rate limit),
 * resumed from outside: bytes that came while it was paused are offered behind the half message
 * it kept, and the end of the stream follows. Before, every resume offered the kept half alone,
 * the handler paused again, and the socket was never read.
 */
class ResumeWithKeptBytesTest extends LoopTestBase {

    /** The rate-limited decoder: records each offer's size, takes whole messages, pauses. */
    static final class PausingDecoder implements ConnectionHandler {
        final BlockingQueue<Long> offers = new LinkedBlockingQueue<>();
        final CompletableFuture<Connection> opened = new CompletableFuture<>();
        final CompletableFuture<Void> readClosed = new CompletableFuture<>();

        @Override
        public void onOpen(Connection c) {
            opened.complete(c);
        }

        @Override
        public long onData(Connection c, MemorySegment data) {
            offers.add(data.byteSize());
            c.pauseReading();
            return data.byteSize() / 100 * 100;
        }

        @Override
        public void onReadClosed(Connection c) {
            readClosed.complete(null);
            c.close();
        }
    }

    @Test
    void bytesThatCameWhilePausedAreOfferedBehindTheKeptOnesAndTheEndFollows() throws Exception {
        PausingDecoder decoder = new PausingDecoder();
        serve((fd, peer) -> Connection.open(loop, fd, peer, decoder));
        int client = net.connect(address);
        Connection server = decoder.opened.get(30, TimeUnit.SECONDS);
        assertNotNull(server);
        net.send(client, new byte[150]);
        assertEquals(150L, decoder.offers.poll(30, TimeUnit.SECONDS), "the first offer");
        net.send(client, new byte[50]);
        assertEquals(0, Loopback.OS.shutdownOutput(client), "the client's FIN");
        // Each resume is answered by an offer and a pause; within a few, the loop has polled
        // the new bytes and the FIN, and the 50 kept bytes come with the 50 new ones.
        int loopTid = io.ffpoll.multiplexer.testing.LoopThreads.tid(loop);
        List<Long> seen = new ArrayList<>();
        for (int i = 0; i < 50 && !decoder.readClosed.isDone(); i++) {
            // The loop blocked in its poll: the kernel's readiness is remembered by now (a task
            // alone is no iteration: a loop runs tasks that come while it runs tasks).
            io.ffpoll.multiplexer.testing.LoopThreads.awaitBlocked(loopTid);
            onLoop(server::resumeReading);
            Long offered = decoder.offers.poll(30, TimeUnit.SECONDS);
            if (offered == null) {
                break;
            }
            seen.add(offered);
            if (offered == 100) {
                break;
            }
        }
        assertEquals(100L, seen.isEmpty() ? 0L : seen.getLast(), "offers after the resumes: " + seen);
        onLoop(server::resumeReading);
        decoder.readClosed.get(30, TimeUnit.SECONDS);
        net.close(client);
    }
}
