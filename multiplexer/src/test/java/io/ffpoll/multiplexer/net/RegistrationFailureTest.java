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

    @Test
    void aListenerBoundWhoseRegistrationIsRefusedGivesBackItsSocketAndFile() throws Exception {
        // Not createTempDirectory: its SecureRandom keeps /dev/random and /dev/urandom open.
        java.nio.file.Path dir = java.nio.file.Files.createDirectories(java.nio.file.Path.of(
                System.getProperty("java.io.tmpdir"), "ffpoll-reg-" + ProcessHandle.current().pid()));
        java.nio.file.Path path = dir.resolve("l.sock");
        long fds = Loopback.openFds();
        Faults.install(1, List.of(new Faults.Rule("epoll_ctl", Err.ENOMEM, 1.0)), loop.name());
        CompletableFuture<Listener> started = Listener.bind(loop, UnixAddress.path(path), AcceptOptions.DEFAULTS,
                (fd, peer) -> Loopback.OS.close(fd));
        java.util.concurrent.ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> started.get(30, TimeUnit.SECONDS));
        Faults.clear();
        assertTrue(String.valueOf(failed.getCause()).contains("ENOMEM"), String.valueOf(failed.getCause()));
        assertEquals(fds, Loopback.openFds(), "the listening socket was closed");
        org.junit.jupiter.api.Assertions.assertFalse(java.nio.file.Files.exists(path), "the socket file was removed");
        java.nio.file.Files.delete(dir);
    }
}
