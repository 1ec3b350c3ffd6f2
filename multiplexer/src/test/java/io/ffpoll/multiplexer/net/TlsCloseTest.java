package io.ffpoll.multiplexer.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How TLS connections end: close() sends what is queued, then close_notify, then the FIN;
 * shutdownOutput() sends close_notify and the FIN and the connection reads on (TLS 1.3's
 * half-close); the peer's close_notify is the end of the input, onReadClosed.
 */
class TlsCloseTest extends TlsTestBase {

    static Stream<Arguments> enginesAndProtocols() {
        return TlsTestKeys.engines().flatMap(e -> Stream.of("TLSv1.3", "TLSv1.2").map(p -> Arguments.of(e, p)));
    }

    static Stream<String> engines() {
        return TlsTestKeys.engines();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("enginesAndProtocols")
    void closeSendsTheQueueThenCloseNotifyThenFin(String engine, String protocol) throws Exception {
        Recorder serverSide = new Recorder();
        serveTls(TlsTestKeys.server(engine, "ec").protocols(protocol).build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            Connection s = serverSide.opened.get(30, TimeUnit.SECONDS);
            onLoop(() -> {
                s.write(bytes("last words"));
                s.close();
            });
            assertArrayEquals(bytes("last words"), peer.readToCloseNotify(), "the queue, then close_notify");
            assertTrue(peer.atEof(), "then the FIN, nothing in between");
        }
        assertSame(Recorder.NO_CAUSE, serverSide.awaitClosed());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("enginesAndProtocols")
    void anSslSocketSeesACleanEndOfStream(String engine, String protocol) throws Exception {
        Recorder serverSide = new Recorder().onOpen(c -> {
            c.write(bytes("bye"));
            c.close();
        });
        serveTls(TlsTestKeys.server(engine, "ec").protocols(protocol).build(), () -> serverSide);
        try (SSLSocket socket = (SSLSocket) TlsTestKeys.jdkContext(null).getSocketFactory()
                .createSocket(address.getAddress(), address.getPort())) {
            socket.startHandshake();
            InputStream in = socket.getInputStream();
            assertArrayEquals(bytes("bye"), in.readNBytes(3));
            // Without close_notify the JDK throws ("closed without close_notify") or reports a truncation.
            assertEquals(-1, in.read());
        }
        assertSame(Recorder.NO_CAUSE, serverSide.awaitClosed());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void shutdownOutputSendsCloseNotifyAndFinAndTheConnectionReadsOn(String engine) throws Exception {
        Recorder serverSide = new Recorder();
        serveTls(TlsTestKeys.server(engine, "ec").protocols("TLSv1.3").build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            Connection s = serverSide.opened.get(30, TimeUnit.SECONDS);
            onLoop(() -> {
                s.write(bytes("request done"));
                assertTrue(s.shutdownOutput());
                assertFalse(s.write(bytes("more")), "no writes after shutdownOutput");
            });
            assertArrayEquals(bytes("request done"), peer.readToCloseNotify());
            assertTrue(peer.atEof(), "the FIN follows close_notify");
            // TLS 1.3: the other direction stays open.
            peer.write(bytes("the answer"));
            io.ffpoll.multiplexer.testing.Await.until(() -> serverSide.receivedCount() == 10, "the server read on");
            assertArrayEquals(bytes("the answer"), serverSide.received());
            assertTrue(onLoop(s::isOpen));
            peer.closeOutbound();
            serverSide.readClosed.get(30, TimeUnit.SECONDS);
            onLoop(s::close);
        }
        assertSame(Recorder.NO_CAUSE, serverSide.awaitClosed());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("enginesAndProtocols")
    void thePeersCloseNotifyIsTheEndOfInput(String engine, String protocol) throws Exception {
        inputEnds(engine, protocol, true);
    }

    /**
     * The peer sends {@code "all of it"}, then ends its output with close_notify (and no FIN:
     * its socket stays open) or with a bare FIN: either way the server hears onReadClosed with
     * every byte, only its input ended, and {@link Connection#closeNotifyReceived()} says which.
     */
    private void inputEnds(String engine, String protocol, boolean withCloseNotify) throws Exception {
        Recorder serverSide = new Recorder();
        serveTls(TlsTestKeys.server(engine, "ec").protocols(protocol).build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            Connection s = serverSide.opened.get(30, TimeUnit.SECONDS);
            peer.write(bytes("all of it"));
            if (withCloseNotify) {
                peer.closeOutbound();
            } else {
                peer.socket.shutdownOutput();
            }
            java.util.concurrent.CompletableFuture.anyOf(serverSide.readClosed, serverSide.closed).get(30, TimeUnit.SECONDS);
            assertFalse(serverSide.closed.isDone(), () -> "closed with " + serverSide.closed.join());
            assertArrayEquals(bytes("all of it"), serverSide.received());
            assertEquals(0, serverSide.closes.get(), "only the input ended");
            assertEquals(withCloseNotify, onLoop(s::closeNotifyReceived), "the input ended with close_notify");
            onLoop(s::close);
            peer.readToCloseNotify();
            assertTrue(peer.atEof());
        }
        assertSame(Recorder.NO_CAUSE, serverSide.awaitClosed());
    }

    /**
     * A client that writes and closes at once, as on plain TCP. The server's TLS 1.3 session
     * tickets come after the handshake; a close that stopped reading left them unread, and the
     * kernel reset the connection at the close, destroying what was still on its way.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("enginesAndProtocols")
    void aWriteThenCloseArrivesWhole(String engine, String protocol) throws Exception {
        byte[] data = new byte[1 << 20];
        new java.util.Random(7).nextBytes(data);
        java.util.List<Recorder> servers = new java.util.concurrent.CopyOnWriteArrayList<>();
        serveTls(TlsTestKeys.server(engine, "ec").protocols(protocol).build(), () -> {
            Recorder r = new Recorder().closingAtEndOfInput();
            servers.add(r);
            return r;
        });
        TlsConfig client = TlsTestKeys.client(engine).protocols(protocol).build();
        for (int round = 0; round < 3; round++) {
            Recorder clientSide = new Recorder().onOpen(c -> {
                c.write(data);
                c.close();
            });
            Connection.connect(loop, new java.net.InetSocketAddress(java.net.InetAddress.getByAddress("localhost",
                    new byte[] {127, 0, 0, 1}), address.getPort()), null, client, clientSide).get(30, TimeUnit.SECONDS);
            int r = round;
            io.ffpoll.multiplexer.testing.Await.until(() -> servers.size() > r, "accepted");
            Recorder serverSide = servers.get(round);
            assertSame(Recorder.NO_CAUSE, serverSide.awaitClosed(), () -> "round " + r + ": the server had "
                    + serverSide.receivedCount() + " of " + data.length + " bytes");
            assertArrayEquals(data, serverSide.received(), "round " + round);
            assertSame(Recorder.NO_CAUSE, clientSide.awaitClosed());
        }
    }

    /**
     * RFC 5246 7.2.1: TLS 1.2 answers close_notify at once and writes no more, so a write after
     * it is refused; TLS 1.3 keeps the half-close, so it is sent. Both engines alike, and the
     * close stays clean: no reset, no loss.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("enginesAndProtocols")
    void aWriteAfterThePeersCloseNotifyIsRefusedOnTls12AndSentOnTls13(String engine, String protocol) throws Exception {
        Recorder serverSide = new Recorder();
        serveTls(TlsTestKeys.server(engine, "ec").protocols(protocol).build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            Connection s = serverSide.opened.get(30, TimeUnit.SECONDS);
            peer.closeOutbound();
            serverSide.readClosed.get(30, TimeUnit.SECONDS);
            boolean taken = onLoop(() -> s.write(bytes("late")));
            assertEquals(protocol.equals("TLSv1.3"), taken, "a write after the peer's close_notify on " + protocol);
            onLoop(s::close);
            assertArrayEquals(taken ? bytes("late") : new byte[0], peer.readToCloseNotify());
            assertTrue(peer.atEof());
        }
        assertSame(Recorder.NO_CAUSE, serverSide.awaitClosed());
    }

    /**
     * A FIN between records, with no close_notify, is an end of input the handler hears as
     * onReadClosed, as on plain TCP, with every whole record's bytes; it can tell it from a
     * close_notify by {@link Connection#closeNotifyReceived()}.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("enginesAndProtocols")
    void aBareFinBetweenRecordsEndsTheInputWithoutCloseNotify(String engine, String protocol) throws Exception {
        inputEnds(engine, protocol, false);
    }

    /**
     * Data and close_notify in one TCP write, to a handler that keeps the data and pauses: once
     * it resumes, it takes the data, then hears onReadClosed, and there closeNotifyReceived() is
     * true (the handler asks where its Javadoc says to).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("enginesAndProtocols")
    void closeNotifyBehindDataAndAPauseIsSeenInOnReadClosed(String engine, String protocol) throws Exception {
        java.util.concurrent.atomic.AtomicReference<Boolean> inReadClosed = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.CompletableFuture<Connection> paused = new java.util.concurrent.CompletableFuture<>();
        Recorder serverSide = new Recorder() {
            @Override
            public long onData(Connection c, java.lang.foreign.MemorySegment data) {
                if (!paused.isDone()) {
                    c.pauseReading(); // keeps every byte
                    paused.complete(c);
                    return 0;
                }
                return super.onData(c, data);
            }

            @Override
            public void onReadClosed(Connection c) {
                inReadClosed.set(c.closeNotifyReceived());
                super.onReadClosed(c);
            }
        };
        serveTls(TlsTestKeys.server(engine, "ec").protocols(protocol).build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            serverSide.opened.get(30, TimeUnit.SECONDS);
            peer.holdSends();
            peer.write(bytes("first"));
            peer.write(bytes("second"));
            peer.closeOutbound();
            peer.sendHeld();
            Connection s = paused.get(30, TimeUnit.SECONDS);
            onLoop(s::resumeReading);
            java.util.concurrent.CompletableFuture.anyOf(serverSide.readClosed, serverSide.closed).get(30, TimeUnit.SECONDS);
            assertFalse(serverSide.closed.isDone(), () -> "closed with " + serverSide.closed.join());
            assertArrayEquals(bytes("firstsecond"), serverSide.received());
            assertEquals(Boolean.TRUE, inReadClosed.get(), "closeNotifyReceived() in onReadClosed");
            onLoop(s::close);
            peer.readToCloseNotify();
            assertTrue(peer.atEof());
        }
        assertSame(Recorder.NO_CAUSE, serverSide.awaitClosed());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("enginesAndProtocols")
    void aFinInsideARecordIsATruncationNotTheEndOfInput(String engine, String protocol) throws Exception {
        Recorder serverSide = new Recorder();
        serveTls(TlsTestKeys.server(engine, "ec").protocols(protocol).build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            serverSide.opened.get(30, TimeUnit.SECONDS);
            peer.write(bytes("whole"));
            byte[] cut = peer.wrap(bytes("this record is cut in half"));
            peer.sendRaw(java.util.Arrays.copyOf(cut, cut.length / 2));
            peer.socket.shutdownOutput();
            java.util.concurrent.CompletableFuture.anyOf(serverSide.readClosed, serverSide.closed).get(30, TimeUnit.SECONDS);
            assertFalse(serverSide.readClosed.isDone(), "a truncated stream is no clean end of input");
            IOException cause = serverSide.awaitClosed();
            assertInstanceOf(java.io.EOFException.class, cause);
            assertTrue(cause.getMessage().contains("TLS record"), cause.getMessage());
            assertFalse(serverSide.readClosed.isDone(), "a truncated stream is no clean end of input");
            assertArrayEquals(bytes("whole"), serverSide.received());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void tls12ShutdownOutputSendsCloseNotifyAndFinAndReadsWhatCameBeforeTheAnswer(String engine) throws Exception {
        Recorder serverSide = new Recorder();
        serveTls(TlsTestKeys.server(engine, "ec").protocols("TLSv1.2").build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            Connection s = serverSide.opened.get(30, TimeUnit.SECONDS);
            onLoop(() -> {
                s.write(bytes("request done"));
                assertTrue(s.shutdownOutput());
            });
            peer.write(bytes("late")); // sent before the peer saw the close_notify
            assertArrayEquals(bytes("request done"), peer.readToCloseNotify());
            assertTrue(peer.atEof(), "the FIN follows close_notify");
            io.ffpoll.multiplexer.testing.Await.until(() -> serverSide.receivedCount() == 4 || serverSide.closed.isDone(),
                    "the server read or closed");
            assertArrayEquals(bytes("late"), serverSide.received(),
                    () -> "closed with " + serverSide.closed.getNow(null));
            onLoop(s::close);
        }
        serverSide.awaitClosed();
    }
}
