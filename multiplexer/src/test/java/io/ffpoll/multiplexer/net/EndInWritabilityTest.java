package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A producer that writes its last block in {@code onWritabilityChanged(true)} and ends its
 * output right there, with {@code shutdownOutput()} or {@code close()}: every byte it wrote
 * reaches the peer before the FIN. On io_uring the callback runs inside the completion of a ring
 * send, which had found the queue empty before the callback refilled it.
 */
class EndInWritabilityTest extends LoopTestBase {
    private static final int TOTAL = 4 << 20;
    private static final int BLOCK = 8192;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"shutdownOutput", "close"})
    void everyByteWrittenInTheCallbackGoesOutBeforeTheFin(String end) throws Exception {
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        AtomicBoolean endedInCallback = new AtomicBoolean();
        serve((fd, peer) -> Connection.open(loop, fd, peer, new ConnectionHandler() {
            private int produced;

            private void produce(Connection c, boolean inCallback) {
                while (c.isWritable() && produced < TOTAL) {
                    byte[] b = new byte[BLOCK];
                    for (int i = 0; i < BLOCK; i++) {
                        b[i] = (byte) ((produced + i) * 31 >>> 3);
                    }
                    assertTrue(c.write(b), "the connection takes writes");
                    produced += BLOCK;
                }
                if (produced == TOTAL) {
                    endedInCallback.set(inCallback);
                    if (end.equals("close")) {
                        c.close();
                    } else {
                        c.shutdownOutput();
                    }
                }
            }

            @Override
            public void onOpen(Connection c) {
                try {
                    Tcp.setSendBuffer(c.fd(), 32 * 1024); // the writer stalls, and resumes in the callback
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
                produce(c, false);
            }

            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onReadClosed(Connection c) {
                c.close();
            }

            @Override
            public void onWritabilityChanged(Connection c, boolean writable) {
                if (writable) {
                    produce(c, true);
                }
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                closed.complete(cause);
            }
        }));
        int client = net.connect(address);
        Tcp.setReceiveBuffer(client, 32 * 1024);
        byte[] all = net.readFully(client, TOTAL);
        for (int i = 0; i < TOTAL; i++) {
            if (all[i] != (byte) (i * 31 >>> 3)) {
                throw new AssertionError("byte " + i + " is wrong");
            }
        }
        assertEquals(0, net.read(client, 16).length, "the FIN right after the last byte");
        assertTrue(endedInCallback.get(), "the output ended in onWritabilityChanged, as meant");
        net.close(client);
        assertNull(closed.get(30, TimeUnit.SECONDS), "a clean close");
    }
}
