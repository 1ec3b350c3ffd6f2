package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unix-domain stream sockets through the public API, on one backend: echo over a path and an
 * abstract name, the socket file's life (stale, live, not a socket, permissions, removal),
 * peer credentials, and names too long for sun_path. Every test checks that its descriptors
 * are all closed again.
 */
abstract class UnixSocketContract {
    @TempDir
    Path dir;
    long fdsBefore;
    EventLoop loop;

    /** "epoll" or "kqueue". */
    abstract String backend();

    @BeforeEach
    void start() throws IOException {
        new java.net.Socket().close();
        UnixTesting.warmUpJdk(dir);
        fdsBefore = Loopback.openFds();
        loop = EventLoop.start(getClass().getSimpleName(), Poller.open(backend()), 256);
    }

    @AfterEach
    void stop() throws InterruptedException {
        loop.close();
        // At most as many as before: libkqueue may still have been freeing an earlier test's
        // kqueue descriptors on its own thread when they were counted.
        Loopback.awaitOpenFdsAtMost(fdsBefore, "file descriptors leaked");
    }

    private Listener bind(java.net.SocketAddress at) throws Exception {
        return Listener.bind(loop, at, AcceptOptions.DEFAULTS,
                (fd, peer) -> Connection.open(loop, fd, peer, new UnixTesting.Echo())).get(30, TimeUnit.SECONDS);
    }

    @Test
    void echoOverAPathOnEveryLoopOfAGroupInBothModes() throws Exception {
        for (GroupListener.Mode mode : GroupListener.Mode.values()) {
            Path path = UnixTesting.freshPath(dir);
            try (EventLoopGroup group = EventLoopGroup.start("unix-" + mode, 2, backend());
                 GroupListener server = GroupListener.start(group, UnixDomainSocketAddress.of(path),
                         GroupListener.Options.DEFAULTS.mode(mode),
                         (l, fd, peer) -> {
                             assertNull(peer, "a Unix listener has no IP peer");
                             Connection.open(l, fd, peer, new UnixTesting.Echo());
                         })) {
                assertEquals(UnixAddress.path(path), server.localAddress());
                assertNull(server.address(), "no IP address");
                assertEquals(mode == GroupListener.Mode.REUSEPORT ? 2 : 1, server.listeners().size());
                for (int i = 0; i < 6; i++) {
                    UnixTesting.echoOnce(path, UnixTesting.randomBytes(200_000 + i, i));
                }
                assertTrue(Files.exists(path), "the socket file is there while serving");
            }
            assertFalse(Files.exists(path), mode + ": the socket file is removed when the listener closes");
        }
    }

    @Test
    void echoWithAnFfpollClientAndThePeersAddresses() throws Exception {
        Path path = UnixTesting.freshPath(dir);
        Listener listener = bind(UnixAddress.path(path));
        assertEquals(UnixAddress.path(path), listener.localAddress(), "the listener's own address");
        byte[] sent = UnixTesting.randomBytes(300_000, 7);
        byte[] got = new byte[sent.length];
        CompletableFuture<Void> done = new CompletableFuture<>();
        int[] at = {0};
        Connection c = Connection.connect(loop, UnixAddress.path(path), new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.write(sent);
            }

            @Override
            public long onData(Connection connection, MemorySegment data) {
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, got, at[0], (int) data.byteSize());
                at[0] += (int) data.byteSize();
                if (at[0] == sent.length) {
                    done.complete(null);
                }
                return data.byteSize();
            }
        }).get(30, TimeUnit.SECONDS);
        done.get(30, TimeUnit.SECONDS);
        assertArrayEquals(sent, got);
        assertNull(c.remoteAddress(), "no IP address on a Unix connection");
        assertEquals(UnixAddress.path(path), loop.submit(c::peerAddress).get(30, TimeUnit.SECONDS),
                "a client's peer is the server's path");
        loop.submit(() -> {
            c.close();
            return null;
        }).get(30, TimeUnit.SECONDS);
        listener.closeAsync().get(30, TimeUnit.SECONDS);
        assertFalse(Files.exists(path));
    }

    @Test
    void echoOverAnAbstractNameOnLinux() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(UnixTesting.OS.unix().hasAbstractUnixNames(), "abstract names are Linux only");
        UnixAddress name = UnixAddress.abstractName(UnixTesting.freshName());
        try (EventLoopGroup group = EventLoopGroup.start("abstract", 2, backend());
             GroupListener server = GroupListener.start(group, name,
                     (l, fd, peer) -> Connection.open(l, fd, peer, new UnixTesting.Echo()))) {
            assertEquals(name, server.localAddress(), "getsockname gives the abstract name back");
            for (int round = 0; round < 4; round++) {
                byte[] sent = UnixTesting.randomBytes(150_000, round);
                byte[] got = new byte[sent.length];
                CompletableFuture<Void> done = new CompletableFuture<>();
                int[] at = {0};
                Connection c = Connection.connect(loop, name, new ConnectionHandler() {
                    @Override
                    public void onOpen(Connection connection) {
                        connection.write(sent);
                    }

                    @Override
                    public long onData(Connection connection, MemorySegment data) {
                        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, got, at[0], (int) data.byteSize());
                        at[0] += (int) data.byteSize();
                        if (at[0] == sent.length) {
                            connection.close();
                            done.complete(null);
                        }
                        return data.byteSize();
                    }
                }).get(30, TimeUnit.SECONDS);
                done.get(30, TimeUnit.SECONDS);
                assertArrayEquals(sent, got);
                assertEquals(name, loop.submit(() -> c.peerAddress()).get(30, TimeUnit.SECONDS));
            }
            // Taken: a second bind of the name fails, naming it.
            ExecutionException e = assertThrows(ExecutionException.class, () -> bind(name));
            assertInstanceOf(BindException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("@" + name.name()), e.getCause().getMessage());
        }
        // Gone with its socket: the name binds again.
        bind(name).closeAsync().get(30, TimeUnit.SECONDS);
    }

    @Test
    void staleSocketFileIsReplaced() throws Exception {
        Path path = UnixTesting.freshPath(dir);
        // A server that died: its socket file stays, nobody listens on it (the JDK leaves the file).
        try (ServerSocketChannel dead = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(path));
        }
        assertTrue(Files.exists(path));
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> Connection.connect(loop, UnixAddress.path(path), new UnixTesting.Echo()).get(30, TimeUnit.SECONDS));
        assertInstanceOf(ConnectException.class, refused.getCause(), "a stale file refuses connects");
        Listener listener = bind(UnixAddress.path(path));
        Thread loopThread = loop.submit(Thread::currentThread).get(30, TimeUnit.SECONDS);
        long asked = io.ffpoll.bindings.internal.Syscalls.count("getsockopt", loopThread)
                + io.ffpoll.bindings.internal.Syscalls.count("setsockopt", loopThread);
        UnixTesting.echoOnce(path, UnixTesting.randomBytes(10_000, 3));
        assertEquals(asked, io.ffpoll.bindings.internal.Syscalls.count("getsockopt", loopThread)
                + io.ffpoll.bindings.internal.Syscalls.count("setsockopt", loopThread),
                "the accept path asks nothing of a Unix socket and sets no TCP option on it");
        listener.closeAsync().get(30, TimeUnit.SECONDS);
        assertFalse(Files.exists(path));
    }

    @Test
    void aLiveListenersPathIsEaddrinuseAndItKeepsServing() throws Exception {
        Path path = UnixTesting.freshPath(dir);
        try (ServerSocketChannel live = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            live.bind(UnixDomainSocketAddress.of(path));
            ExecutionException e = assertThrows(ExecutionException.class, () -> bind(UnixAddress.path(path)));
            assertInstanceOf(BindException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains(path.toString()), e.getCause().getMessage());
            assertTrue(e.getCause().getMessage().contains("EADDRINUSE"), e.getCause().getMessage());
            // The probe's connection reached the live server; the server and its file are untouched.
            live.accept().close();
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path)); SocketChannel a = live.accept()) {
                c.write(ByteBuffer.wrap(new byte[] {42}));
                ByteBuffer one = ByteBuffer.allocate(1);
                a.read(one);
                assertEquals(42, one.get(0));
            }
        } finally {
            Files.deleteIfExists(path);
        }
    }

    @Test
    void aPathThatIsNoSocketIsNeverDeleted() throws Exception {
        Path path = UnixTesting.freshPath(dir);
        Files.writeString(path, "precious");
        ExecutionException e = assertThrows(ExecutionException.class, () -> bind(UnixAddress.path(path)));
        assertInstanceOf(BindException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("not a socket"), e.getCause().getMessage());
        assertEquals("precious", Files.readString(path));
    }

    @Test
    void permissionsAreSetAndTheFileIsRemovedOnlyIfStillOurs() throws Exception {
        Path path = UnixTesting.freshPath(dir);
        var mode = PosixFilePermissions.fromString("rw-------");
        Listener listener = bind(UnixAddress.path(path).withPermissions(mode));
        assertEquals(mode, Files.getPosixFilePermissions(path));
        UnixTesting.echoOnce(path, new byte[] {1, 2, 3});
        // Someone replaced the file meanwhile: closing must not delete theirs.
        Files.delete(path);
        Files.writeString(path, "theirs");
        listener.closeAsync().get(30, TimeUnit.SECONDS);
        assertEquals("theirs", Files.readString(path));

        Path other = UnixTesting.freshPath(dir);
        Listener second = bind(UnixAddress.path(other).withPermissions(PosixFilePermissions.fromString("rw-rw----")));
        assertEquals(PosixFilePermissions.fromString("rw-rw----"), Files.getPosixFilePermissions(other));
        second.closeAsync().get(30, TimeUnit.SECONDS);
        assertFalse(Files.exists(other));
    }

    @Test
    void peerCredentialsAreThisProcesssOnBothEndsAndRefusedOnTcp() throws Exception {
        Path path = UnixTesting.freshPath(dir);
        CompletableFuture<PeerCredentials> serverSide = new CompletableFuture<>();
        Listener listener = Listener.bind(loop, UnixAddress.path(path), AcceptOptions.DEFAULTS,
                (fd, peer) -> Connection.open(loop, fd, peer, new ConnectionHandler() {
                    @Override
                    public void onOpen(Connection connection) {
                        try {
                            serverSide.complete(connection.peerCredentials());
                            assertTrue(connection.peerAddress() instanceof UnixAddress u && u.isUnnamed(),
                                    "a client that did not bind is unnamed");
                        } catch (IOException | RuntimeException | Error e) {
                            serverSide.completeExceptionally(e);
                        }
                    }

                    @Override
                    public long onData(Connection connection, MemorySegment data) {
                        return data.byteSize();
                    }
                })).get(30, TimeUnit.SECONDS);
        Connection client = Connection.connect(loop, UnixAddress.path(path), new UnixTesting.Echo())
                .get(30, TimeUnit.SECONDS);
        long[] ids = UnixTesting.uidGid();
        PeerCredentials server = serverSide.get(30, TimeUnit.SECONDS);
        PeerCredentials fromClient = loop.submit(client::peerCredentials).get(30, TimeUnit.SECONDS);
        for (PeerCredentials p : new PeerCredentials[] {server, fromClient}) {
            assertEquals(ids[0], p.uid(), "uid, as /proc/self/status says");
            assertEquals(ids[1], p.gid(), "gid");
            assertEquals(ProcessHandle.current().pid(), p.pid().orElseThrow(), "pid (Linux and macOS tell it)");
        }
        assertThrows(WrongThreadException.class, client::peerCredentials, "loop thread only");

        // On TCP there is no such thing: a clear exception, not made-up numbers.
        int tcpListen = Tcp.listen(new InetSocketAddress("127.0.0.1", 0), 16, false);
        Listener tcp = Listener.start(loop, tcpListen, (fd, peer) -> Connection.open(loop, fd, peer, new UnixTesting.Echo()))
                .get(30, TimeUnit.SECONDS);
        Connection tcpClient = Connection.connect(loop, Tcp.localAddress(tcpListen), new UnixTesting.Echo())
                .get(30, TimeUnit.SECONDS);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> loop.submit(tcpClient::peerCredentials).get(30, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("Unix-domain sockets only"), e.getCause().getMessage());
        loop.submit(() -> {
            client.close();
            tcpClient.close();
            return null;
        }).get(30, TimeUnit.SECONDS);
        tcp.closeAsync().get(30, TimeUnit.SECONDS);
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aNameTooLongForSunPathIsRefusedBeforeAnyCall() throws Exception {
        Path path = dir.resolve("x".repeat(200) + ".sock");
        IllegalArgumentException bind = assertThrows(IllegalArgumentException.class, () -> bind(UnixAddress.path(path)));
        assertTrue(bind.getMessage().startsWith("ENAMETOOLONG"), bind.getMessage());
        assertTrue(bind.getMessage().contains("at most " + UnixTesting.OS.unix().maxUnixNameBytes()), bind.getMessage());
        IllegalArgumentException connect = assertThrows(IllegalArgumentException.class,
                () -> Connection.connect(loop, UnixDomainSocketAddress.of(path), new UnixTesting.Echo()));
        assertTrue(connect.getMessage().startsWith("ENAMETOOLONG"), connect.getMessage());
        assertFalse(Files.exists(path));
        // The longest name that fits works.
        String fits = "n".repeat(UnixTesting.OS.unix().maxUnixNameBytes() - dir.toString().length() - 1);
        if (fits.length() > 0) {
            Listener l = bind(UnixAddress.path(dir.resolve(fits)));
            // (the JDK's own client refuses a path this long: the test connects with ffpoll's)
            Connection c = Connection.connect(loop, UnixAddress.path(dir.resolve(fits)), new UnixTesting.Echo())
                    .get(30, TimeUnit.SECONDS);
            assertEquals(UnixAddress.path(dir.resolve(fits)), loop.submit(c::peerAddress).get(30, TimeUnit.SECONDS));
            loop.submit(() -> {
                c.close();
                return null;
            }).get(30, TimeUnit.SECONDS);
            l.closeAsync().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void connectingToAMissingPathFailsWithEnoent() throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> Connection.connect(loop,
                UnixAddress.path(dir.resolve("missing.sock")), new UnixTesting.Echo()).get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("ENOENT"), e.getCause().getMessage());
    }

    /** A Unix connect ends inside connect(2); a close in onOpen still leaves the future completed. */
    @Test
    void aCloseInOnOpenCompletesTheConnectWithTheClosedConnection() throws Exception {
        Path path = UnixTesting.freshPath(dir);
        Listener listener = bind(UnixAddress.path(path));
        java.util.List<String> closes = new java.util.ArrayList<>(); // loop thread only
        Connection c = Connection.connect(loop, UnixAddress.path(path), new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.close();
            }

            @Override
            public long onData(Connection connection, MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onClosed(Connection connection, IOException cause) {
                closes.add(String.valueOf(cause));
            }
        }).get(30, TimeUnit.SECONDS);
        assertFalse(loop.submit(c::isOpen).get(30, TimeUnit.SECONDS), "closed in onOpen");
        c.closeAsync().get(30, TimeUnit.SECONDS);
        assertEquals(java.util.List.of("null"), loop.submit(() -> java.util.List.copyOf(closes)).get(30, TimeUnit.SECONDS),
                "onClosed once, without a cause");
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }

    /**
     * A missing path (ENOENT) and a stale socket file nobody listens on (ECONNREFUSED) fail with
     * the exception class the JDK's own SocketChannel throws for the same path (SocketException,
     * ConnectException), through Connection, through Connector's future and through its handler;
     * the message names the call, the path and the errno.
     */
    @Test
    void aMissingOrStalePathFailsAsTheJdksConnectDoesNamingCallAndPath() throws Exception {
        Path missing = dir.resolve("missing.sock");
        Path stale = UnixTesting.freshPath(dir);
        try (ServerSocketChannel dead = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(stale));
        }
        for (Path path : new Path[] {missing, stale}) {
            String errno = path == missing ? "ENOENT (No such file or directory)" : "ECONNREFUSED (Connection refused)";
            IOException jdk = assertThrows(IOException.class, () -> {
                try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                    ch.isOpen();
                }
            });
            Throwable viaConnection = assertThrows(ExecutionException.class, () -> Connection.connect(loop,
                    UnixAddress.path(path), new UnixTesting.Echo()).get(30, TimeUnit.SECONDS)).getCause();
            CompletableFuture<IOException> heard = new CompletableFuture<>();
            Throwable viaConnector = assertThrows(ExecutionException.class, () -> Connector.connect(loop,
                    UnixDomainSocketAddress.of(path), new Connector.ConnectHandler() {
                        @Override
                        public void connected(int fd) {
                            heard.completeExceptionally(new AssertionError("connected to " + path));
                        }

                        @Override
                        public void connectFailed(IOException cause) {
                            heard.complete(cause);
                        }

                        @Override
                        public void onEvent(io.ffpoll.multiplexer.Event event) {}
                    }).get(30, TimeUnit.SECONDS)).getCause();
            for (Throwable t : new Throwable[] {viaConnection, viaConnector, heard.get(30, TimeUnit.SECONDS)}) {
                assertEquals(jdk.getClass(), t.getClass(), "the JDK throws " + jdk + " for " + path + "; ffpoll: " + t);
                assertEquals("connect(" + path + "): " + errno, t.getMessage());
            }
        }
    }
}
