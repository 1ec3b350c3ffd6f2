package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A graceful close of a large answer to a peer that reads slowly but without stopping: the
 * close timeout bounds a peer that takes nothing, not one whose reads free less than half of a
 * large send buffer within it. Such a socket takes no byte from the queue for longer than the
 * timeout (it is writable again only once half its buffer is gone), while the peer acknowledges
 * bytes all along. Before, the close aborted it with most of the answer unsent (a slow client
 * downloading a large file with Connection: close, found by a new user on both engines).
 */
class SlowReaderCloseTest extends LoopTestBase {
    private static final int TOTAL = 4 << 20;

    @Test
    void aSlowButSteadyReaderGetsTheWholeAnswerBeforeTheClose() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        serve((fd, peer) -> opened.add(Connection.open(loop, fd, peer, new ConnectionHandler() {
            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                closed.complete(cause);
            }
        }).join()));
        int client = net.connect(address);
        Tcp.setReceiveBuffer(client, 64 * 1024);
        Connection server = opened.poll(30, TimeUnit.SECONDS);
        assertNotNull(server);
        byte[] answer = new byte[TOTAL];
        for (int i = 0; i < TOTAL; i++) {
            answer[i] = (byte) (i * 7 >>> 4);
        }
        onLoop(() -> {
            // The kernel makes it 2 MiB, half of the answer: the rest waits in the queue, and
            // the socket is writable again once about a third of its buffer is read.
            Tcp.setSendBuffer(server.fd(), 1 << 20);
            server.setCloseTimeout(Duration.ofMillis(300));
            server.write(answer);
            server.close();
            return null;
        });
        // 16 KiB every 20 ms: about 0.8 MB/s, a steady reader that frees what makes the socket
        // writable again in nearly a second, three times the 300 ms close timeout.
        long got = 0;
        while (true) {
            byte[] chunk = net.read(client, 16 * 1024);
            if (chunk.length == 0) {
                break;
            }
            for (int k = 0; k < chunk.length; k++) {
                if (chunk[k] != (byte) ((got + k) * 7 >>> 4)) {
                    throw new AssertionError("byte " + (got + k) + " is wrong");
                }
            }
            got += chunk.length;
            Thread.sleep(20);
        }
        assertEquals(TOTAL, got, "the whole answer before the FIN");
        assertNull(closed.get(30, TimeUnit.SECONDS), "a clean close, no timeout");
        net.close(client);
    }
}
