package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A peer that resets the connection while this side sends on io_uring: the handler hears the reset as the
 * failure it is (onClosed with ECONNRESET or EPIPE), never first as an orderly end of input.
 * On io_uring the ring's send took the socket's error, and the receive behind it then found a
 * plain EOF, which was delivered as onReadClosed before the send's failure.
 */
class ResetWhileSendingTest extends LoopTestBase {

    @Test
    void aResetWhileSendingIsNeverAnEndOfInput() throws Exception {
        serve((fd, peer) -> Connection.open(loop, fd, peer, new ConnectionHandler() {
            long got;

            @Override
            public long onData(Connection c, MemorySegment data) {
                got += data.byteSize();
                if (got >= 2 << 20) {
                    c.abort(); // a reset
                }
                return data.byteSize();
            }
        }));
        // The sender on io_uring (where the ring sends) whatever the server's engine.
        io.ffpoll.multiplexer.testing.IoUringSupport.assumeAvailable();
        try (EventLoop clientLoop = EventLoop.start("client", io.ffpoll.multiplexer.Poller.open("io_uring"), 1024)) {
            for (int round = 0; round < 20; round++) {
                CompletableFuture<String> seen = new CompletableFuture<>();
                ConnectionHandler client = new ConnectionHandler() {
                    final byte[] chunk = new byte[65536];
                    String before = "";

                    @Override
                    public void onOpen(Connection c) {
                        pump(c);
                    }

                    void pump(Connection c) {
                        while (c.isWritable() && !c.isClosing()) {
                            c.write(chunk);
                        }
                    }

                    @Override
                    public void onWritabilityChanged(Connection c, boolean writable) {
                        if (writable) {
                            pump(c);
                        }
                    }

                    @Override
                    public long onData(Connection c, MemorySegment data) {
                        return data.byteSize();
                    }

                    @Override
                    public void onReadClosed(Connection c) {
                        before = "onReadClosed, then ";
                        c.close();
                    }

                    @Override
                    public void onClosed(Connection c, IOException cause) {
                        seen.complete(before + (cause == null ? "no cause" : cause.getMessage()));
                    }
                };
                Connection.connect(clientLoop, address, client);
                String what = seen.get(60, TimeUnit.SECONDS);
                assertNotNull(what);
                assertTrue(!what.startsWith("onReadClosed") && (what.contains("ECONNRESET") || what.contains("EPIPE")),
                        "round " + round + ": " + what);
            }
        }
    }
}
