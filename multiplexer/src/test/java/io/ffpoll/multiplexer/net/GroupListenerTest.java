package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One address for every loop of a group, in both modes; what an accept handler may do. */
class GroupListenerTest {
    private static final InetSocketAddress ANY = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private static byte[] echo(Socket s, byte[] m) throws Exception {
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        out.write(m);
        out.flush();
        return in.readNBytes(m.length);
    }

    @Test
    void aHandlerThatThrowsAfterRegisteringKeepsItsConnectionOnEveryLoop() throws Exception {
        new Socket().close(); // java.net's own descriptor, kept for the JVM's life, before counting
        long fds = Loopback.openFds();
        List<EventLoop> handedTo = new CopyOnWriteArrayList<>();
        try (EventLoopGroup group = EventLoopGroup.start("acceptor", 2);
             GroupListener server = GroupListener.start(group, ANY,
                     GroupListener.Options.DEFAULTS.mode(GroupListener.Mode.ACCEPTOR), (loop, fd, peer) -> {
                         Connection.open(loop, fd, peer, (c, data) -> {
                             c.write(data);
                             return data.byteSize();
                         });
                         handedTo.add(loop);
                         throw new IllegalStateException("thrown after the connection was opened");
                     })) {
            // Round-robin: the first goes to the acceptor's own loop, the second is handed to
            // the other loop, and each handler throws after its connection registered the fd.
            try (Socket first = new Socket(server.address().getAddress(), server.address().getPort());
                 Socket second = new Socket(server.address().getAddress(), server.address().getPort())) {
                first.setSoTimeout(30_000);
                second.setSoTimeout(30_000);
                assertArrayEquals("one".getBytes(), echo(first, "one".getBytes()));
                assertArrayEquals("two".getBytes(), echo(second, "two".getBytes()));
                assertEquals(List.of(group.get(0), group.get(1)), handedTo);
                // Both still open: a close of a registered fd would have shown as EOF by now.
                assertArrayEquals("again".getBytes(), echo(second, "again".getBytes()));
                assertEquals(1, ConnectionStats.of(group.get(1)).get(30, TimeUnit.SECONDS).openConnections());
            }
        }
        Loopback.awaitOpenFdsAtMost(fds, "file descriptors leaked");
    }

    @Test
    void theBlockingStartRefusesToWaitOnALoopThreadAndStartAsyncWorksThere() throws Exception {
        try (EventLoopGroup group = EventLoopGroup.start("starting", 2)) {
            IllegalStateException refused = group.get(0).submit(() -> assertThrows(IllegalStateException.class,
                    () -> GroupListener.start(group, ANY, (loop, fd, peer) -> Loopback.OS.close(fd))))
                    .get(30, TimeUnit.SECONDS);
            assertTrue(refused.getMessage().contains("GroupListener.startAsync"), refused.getMessage());
            GroupListener started = group.get(0).submit(() -> GroupListener.startAsync(group, ANY,
                    GroupListener.Options.DEFAULTS, (loop, fd, peer) -> Loopback.OS.close(fd)))
                    .get(30, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS);
            assertEquals(group.size(), started.listeners().size());
            group.get(1).submit(started::closeAsync).get(30, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS);
            assertThrows(java.net.ConnectException.class, () -> new Socket(started.address().getAddress(),
                    started.address().getPort()).close());
        }
    }

    @Test
    void aPortInUseIsRefusedInsteadOfShared() throws Exception {
        try (EventLoopGroup group = EventLoopGroup.start("first", 2);
             GroupListener first = GroupListener.start(group, ANY, (loop, fd, peer) -> Loopback.OS.close(fd))) {
            java.io.IOException taken = assertThrows(java.io.IOException.class, () -> GroupListener.start(group,
                    first.address(), (loop, fd, peer) -> Loopback.OS.close(fd)));
            assertTrue(taken.getMessage().contains("EADDRINUSE"), taken.getMessage());
            assertEquals(group.size(), first.listeners().size(), "the first one serves on");
        }
    }

    /**
     * A Unix path served by a group whose first loop is closed: refused as TCP refuses it, with
     * the closed loop named. The first loop's listener, refused, closed the bound socket before
     * the others' duplicates were made, and the next duplicate copied a closed number (EBADF;
     * in a busy process, another file's).
     */
    @Test
    void aUnixPathOnAGroupWhoseFirstLoopIsClosedIsRefusedWithTheLoopNamed() throws Exception {
        long fds = Loopback.openFds();
        java.nio.file.Path path = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"),
                "group-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".sock");
        try (EventLoopGroup group = EventLoopGroup.start("closed-first", 3)) {
            group.get(0).close();
            for (GroupListener.Mode mode : GroupListener.Mode.values()) {
                Exception refused = assertThrows(Exception.class, () -> GroupListener.start(group, UnixAddress.path(path),
                        GroupListener.Options.DEFAULTS.mode(mode), (loop, fd, peer) -> Loopback.OS.close(fd)).close());
                Throwable cause = refused instanceof java.util.concurrent.CompletionException && refused.getCause() != null
                        ? refused.getCause() : refused;
                assertTrue(cause instanceof java.util.concurrent.RejectedExecutionException
                        && cause.getMessage().contains("closed-first-0"), mode + ": " + cause);
            }
        }
        Loopback.awaitOpenFdsAtMost(fds, "file descriptors leaked");
    }

    /**
     * A group that closes closes the listeners on its loops; a Unix path's file goes with the
     * last of them, as Listener.bind's goes when its loop closes (it stayed, in both modes).
     */
    @Test
    void aUnixPathsFileGoesWhenItsGroupClosesWithoutTheListenerClosed() throws Exception {
        long fds = Loopback.openFds();
        for (GroupListener.Mode mode : GroupListener.Mode.values()) {
            java.nio.file.Path path = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"),
                    "group-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".sock");
            EventLoopGroup group = EventLoopGroup.start("file-" + mode, 2);
            GroupListener.start(group, UnixAddress.path(path), GroupListener.Options.DEFAULTS.mode(mode),
                    (loop, fd, peer) -> Loopback.OS.close(fd));
            assertTrue(java.nio.file.Files.exists(path), mode + ": the file is there while serving");
            group.close();
            io.ffpoll.multiplexer.testing.Await.until(() -> !java.nio.file.Files.exists(path), mode + ": the file is removed");
        }
        Loopback.awaitOpenFdsAtMost(fds, "file descriptors leaked");
    }

    /**
     * A loop whose kernel refuses the listener's registration (epoll_ctl ENOMEM, injected): the
     * listener closes its socket, and the group must not close it again. A second close of the
     * number would close whatever took it since (another loop's accept takes the lowest free
     * one); a review saw close(2) fail with EBADF there.
     */
    @Test
    void aRefusedRegistrationsSocketIsClosedOnce() throws Exception {
        long fds = Loopback.openFds();
        java.nio.file.Path path = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"),
                "refused-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".sock");
        try (EventLoopGroup group = EventLoopGroup.start("refused", 2)) {
            org.junit.jupiter.api.Assumptions.assumeTrue(group.get(1).backend().equals("epoll"),
                    "the refusal is injected into epoll_ctl");
            Thread second = group.get(1).submit(Thread::currentThread).get(30, TimeUnit.SECONDS);
            long closesBefore = io.ffpoll.bindings.internal.Syscalls.count("close", second);
            io.ffpoll.bindings.internal.Faults.install(1, List.of(new io.ffpoll.bindings.internal.Faults.Rule(
                    "epoll_ctl", io.ffpoll.bindings.Err.ENOMEM, 1.0)), "refused-1");
            try {
                Exception refused = assertThrows(Exception.class, () -> GroupListener.start(group, UnixAddress.path(path),
                        GroupListener.Options.DEFAULTS.mode(GroupListener.Mode.REUSEPORT),
                        (loop, fd, peer) -> Loopback.OS.close(fd)).close());
                assertTrue(String.valueOf(refused.getMessage()).contains("ENOMEM"), refused.toString());
            } finally {
                io.ffpoll.bindings.internal.Faults.clear();
            }
            group.get(1).submit(() -> null).get(30, TimeUnit.SECONDS);
            assertEquals(1, io.ffpoll.bindings.internal.Syscalls.count("close", second) - closesBefore,
                    "closes made by the refused listener's loop");
        }
        Loopback.awaitOpenFdsAtMost(fds, "file descriptors leaked");
    }
}
