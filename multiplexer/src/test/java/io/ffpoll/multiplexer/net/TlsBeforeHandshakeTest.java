package io.ffpoll.multiplexer.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an application does with a server connection before its handshake is done (the open
 * future completes first): its writes wait for the handshake, and so does a half-close or a
 * close; a pause does not stop the handshake; and a
 * server that asks an ffpoll client for a TLS 1.2 renegotiation is refused.
 */
class TlsBeforeHandshakeTest extends TlsTestBase {

    static Stream<String> engines() {
        return TlsTestKeys.engines();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void writesBeforeTheHandshakeAreSentAfterIt(String engine) throws Exception {
        Recorder serverSide = new Recorder().closingAtEndOfInput();
        TlsConfig server = TlsTestKeys.server(engine, "ec").build();
        serve((fd, peer) -> Connection.open(loop, fd, peer, server, serverSide).thenAccept(c -> c.write(bytes("220 banner"))));
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            assertArrayEquals(bytes("220 banner"), peer.readPlain(10));
            peer.closeOutbound();
            peer.readToCloseNotify();
        }
        serverSide.awaitClosed();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aHalfCloseBeforeTheHandshakeWaitsForIt(String engine) throws Exception {
        Recorder serverSide = new Recorder().closingAtEndOfInput();
        TlsConfig server = TlsTestKeys.server(engine, "ec").build();
        serve((fd, peer) -> Connection.open(loop, fd, peer, server, serverSide).thenAccept(Connection::shutdownOutput));
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            assertEquals(0, peer.readToCloseNotify().length, "close_notify after the handshake");
            assertTrue(peer.atEof());
            peer.write(bytes("one-way"));
            io.ffpoll.multiplexer.testing.Await.until(() -> serverSide.receivedCount() == 7, "the server read on");
        }
        serverSide.awaitClosed();
        assertEquals(1, serverSide.opens.get());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aWriteAndACloseBeforeTheHandshakeAreDeliveredAfterIt(String engine) throws Exception {
        Recorder serverSide = new Recorder();
        TlsConfig server = TlsTestKeys.server(engine, "ec").build();
        serve((fd, peer) -> Connection.open(loop, fd, peer, server, serverSide).thenAccept(c -> {
            c.write(bytes("goodbye"));
            c.close();
        }));
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            assertArrayEquals(bytes("goodbye"), peer.readToCloseNotify());
            assertTrue(peer.atEof());
        }
        assertSame(Recorder.NO_CAUSE, serverSide.awaitClosed());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aWriteAndALingeringCloseBeforeTheHandshakeAreDeliveredAfterIt(String engine) throws Exception {
        Recorder serverSide = new Recorder();
        TlsConfig server = TlsTestKeys.server(engine, "ec").build();
        serve((fd, peer) -> Connection.open(loop, fd, peer, server, serverSide).thenAccept(c -> {
            c.write(bytes("goodbye"));
            c.closeLingering();
        }));
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            assertArrayEquals(bytes("goodbye"), peer.readToCloseNotify());
            assertTrue(peer.atEof());
            peer.closeOutbound(); // the lingering close waits for the peer's end
            peer.socket.shutdownOutput();
            assertSame(Recorder.NO_CAUSE, serverSide.awaitClosed());
        }
        assertEquals(0, serverSide.opens.get(), "a handler that closed before the handshake ended hears no onOpen");
    }

    /** RFC 8446 6.1: user_canceled then close_notify abandons a handshake; no end of input of a connection never opened. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aCloseNotifyDuringTheHandshakeFailsIt(String engine) throws Exception {
        Recorder serverSide = new Recorder();
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.sendRaw(peer.clientHello());
            peer.closeOutbound();
            IOException cause = serverSide.awaitClosed();
            assertInstanceOf(javax.net.ssl.SSLHandshakeException.class, cause);
            assertFalse(serverSide.readClosed.isDone(), "no onReadClosed before onOpen");
            assertEquals(0, serverSide.opens.get());
        }
    }

    /** Records that came with the handshake's last one reach the handler after onOpen, even when a bad one follows. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void dataThatCameWithTheFinishedMessageFollowsOnOpen(String engine) throws Exception {
        java.util.concurrent.atomic.AtomicInteger bytesAtOpen = new java.util.concurrent.atomic.AtomicInteger(-1);
        Recorder serverSide = new Recorder();
        serverSide.onOpen(c -> bytesAtOpen.set(serverSide.receivedCount()));
        serveTls(TlsTestKeys.server(engine, "ec").protocols("TLSv1.3").build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.sendRaw(peer.clientHello());
            peer.holdSends(); // the client's Finished, its data and a forged record go in one write
            peer.continueHandshake();
            peer.write(bytes("early data"));
            byte[] forged = peer.wrap(bytes("forged"));
            forged[forged.length - 1] ^= 1;
            peer.sendRaw(forged);
            peer.sendHeld();
            IOException cause = serverSide.awaitClosed();
            assertEquals(0, bytesAtOpen.get(), "onOpen came first");
            assertArrayEquals(bytes("early data"), serverSide.received());
            assertInstanceOf(javax.net.ssl.SSLException.class, cause);
            assertFalse(cause instanceof javax.net.ssl.SSLHandshakeException, () -> "the handshake was done: " + cause);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aReaderPausedBeforeTheHandshakeStillCompletesIt(String engine) throws Exception {
        Recorder serverSide = new Recorder();
        TlsConfig server = TlsTestKeys.server(engine, "ec").build();
        serve((fd, peer) -> Connection.open(loop, fd, peer, server, serverSide).thenAccept(c -> {
            c.pauseReading();
            c.write(bytes("hello"));
        }));
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            assertArrayEquals(bytes("hello"), peer.readPlain(5));
            peer.write(bytes("held"));
            Connection s = serverSide.opened.get(30, TimeUnit.SECONDS);
            assertEquals(0, serverSide.receivedCount(), "paused: nothing delivered");
            onLoop(s::resumeReading);
            io.ffpoll.multiplexer.testing.Await.until(() -> serverSide.receivedCount() == 4, "delivered once resumed");
            assertArrayEquals(bytes("held"), serverSide.received());
            onLoop(s::close);
            peer.readToCloseNotify();
        }
        assertSame(Recorder.NO_CAUSE, serverSide.awaitClosed());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aServersTls12RenegotiationIsRefusedByTheClient(String engine) throws Exception {
        javax.net.ssl.SSLContext context = TlsTestKeys.jdkContext("ec");
        try (SSLServerSocket listener = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 1,
                address.getAddress())) {
            listener.setEnabledProtocols(new String[] {"TLSv1.2"});
            Recorder clientSide = new Recorder();
            java.util.concurrent.CompletableFuture<Connection> connecting = Connection.connect(loop,
                    new java.net.InetSocketAddress(java.net.InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}),
                            listener.getLocalPort()), null, TlsTestKeys.client(engine).build(), clientSide);
            try (SSLSocket s = (SSLSocket) listener.accept()) {
                s.startHandshake();
                Connection c = connecting.get(30, TimeUnit.SECONDS);
                assertEquals("TLSv1.2", c.tls().protocol());
                s.getOutputStream().write(bytes("hi"));
                io.ffpoll.multiplexer.testing.Await.until(() -> clientSide.receivedCount() == 2, "data before");
                s.setSoTimeout(30_000);
                try {
                    s.startHandshake(); // TLS 1.2 server: a HelloRequest
                    s.getOutputStream().write(bytes("again"));
                    s.getInputStream().read();
                } catch (java.io.IOException refused) {
                    // the client's alert, or its close
                }
                java.io.IOException cause = clientSide.awaitClosed();
                assertInstanceOf(javax.net.ssl.SSLHandshakeException.class, cause);
                assertTrue(cause.getMessage().contains("renegotiation"), cause.getMessage());
            }
        }
    }
}
