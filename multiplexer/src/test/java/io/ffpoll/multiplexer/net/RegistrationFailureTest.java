package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.internal.Faults;
import io.ffpoll.multiplexer.testing.LoopTestBase;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection whose registration the kernel refuses (epoll_ctl: ENOSPC at max_user_watches,
 * ENOMEM, EPERM) is closed with that error: onClosed hears it once, the fd is released, and
 * the loop serves the next connection.
 */
class RegistrationFailureTest extends LoopTestBase {

    @AfterEach
    void clearFaults() {
        Faults.clear();
    }

    private static final class Recorder implements ConnectionHandler {
        final CompletableFuture<IOException> closed = new CompletableFuture<>();
        int closes;

        @Override
        public long onData(Connection c, MemorySegment data) {
            c.write(data);
            return data.byteSize();
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
            closes++;
            closed.complete(cause);
        }
    }

    @Test
    void aRefusedRegistrationClosesTheConnectionWithTheError() throws Exception {
        // ENOSPC (max_user_watches) takes the same path; the bindings do not name it yet.
        for (int errno : new int[] {Err.ENOMEM, Err.EPERM}) {
            int[] pair = net.pair();
            Recorder handler = new Recorder();
            Faults.install(1, List.of(new Faults.Rule("epoll_ctl", errno, 1.0)), loop.name());
            onLoop(() -> {
                Connection.open(loop, pair[1], address, handler);
            });
            IOException cause = handler.closed.get(30, TimeUnit.SECONDS);
            Faults.clear();
            net.forget(pair[1]); // the connection owned it, and closed it
            assertNotNull(cause, "the refused registration is the cause");
            String name = Loopback.OS.describe(errno).split(" ")[0];
            assertTrue(cause.getMessage().contains("epoll_ctl") && cause.getMessage().contains(name), cause.getMessage());
            assertEquals(1, onLoop(() -> handler.closes));
            assertEquals(0, net.read(pair[0], 16).length, "the peer sees the close");
            net.close(pair[0]);
        }
        // The loop goes on: a connection registered now is served.
        int[] pair = net.pair();
        Recorder handler = new Recorder();
        onLoop(() -> {
            Connection.open(loop, pair[1], address, handler);
        });
        net.forget(pair[1]);
        net.send(pair[0], "ok".getBytes());
        assertArrayEquals("ok".getBytes(), net.readFully(pair[0], 2));
    }
}
