package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Handshakes that fail, ffpoll on both ends: an untrusted certificate, one for another host,
 * no common ALPN protocol, no common TLS version. Each side hears onClosed with an
 * {@link SSLHandshakeException} and never onOpen; the connect future fails with it; no
 * descriptor or buffer is left. Connects that fail before TLS fail as plain TCP's do.
 */
class TlsHandshakeFailureTest extends TlsTestBase {

    static Stream<String> engines() {
        return TlsTestKeys.engines();
    }

    /** Both ends fail the handshake; returns the client's cause for more checks. */
    private IOException bothFail(TlsConfig server, TlsConfig client, InetSocketAddress to) throws Exception {
        Recorder serverSide = new Recorder();
        serveTls(server, () -> serverSide);
        Recorder clientSide = new Recorder();
        CompletableFuture<Connection> connecting = Connection.connect(loop, to, null, client, clientSide);
        ExecutionException e = assertThrows(ExecutionException.class, () -> connecting.get(30, TimeUnit.SECONDS));
        IOException clientCause = clientSide.awaitClosed();
        assertInstanceOf(SSLHandshakeException.class, clientCause);
        assertEquals(clientCause, e.getCause(), "the future fails with what onClosed heard");
        IOException serverCause = serverSide.awaitClosed();
        assertInstanceOf(SSLHandshakeException.class, serverCause, () -> "server: " + serverCause);
        assertEquals(0, clientSide.opens.get() + serverSide.opens.get(), "onOpen never ran");
        assertEquals(1, clientSide.closes.get());
        assertEquals(1, serverSide.closes.get());
        awaitOnLoop(() -> heldOnLoop() == 0, "no buffer held");
        return clientCause;
    }

    private static InetSocketAddress named(String host, InetSocketAddress a) throws Exception {
        return new InetSocketAddress(InetAddress.getByAddress(host, a.getAddress().getAddress()), a.getPort());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void anUntrustedCertificate(String engine) throws Exception {
        TlsConfig server = TlsTestKeys.server(engine, "untrusted").build();
        IOException cause = bothFail(server, TlsTestKeys.client(engine).build(), address);
        assertTrue(cause.getMessage().toLowerCase(java.util.Locale.ROOT).contains("certification path")
                || cause.getMessage().toLowerCase(java.util.Locale.ROOT).contains("certificate"), cause.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aCertificateForAnotherHost(String engine) throws Exception {
        TlsConfig server = TlsTestKeys.server(engine, "other-host").build();
        bothFail(server, TlsTestKeys.client(engine).build(), named("localhost", address));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aCertificateForAnotherHostIsFineWithoutTheCheck(String engine) throws Exception {
        Recorder serverSide = new Recorder();
        serveTls(TlsTestKeys.server(engine, "other-host").build(), () -> serverSide);
        Recorder clientSide = new Recorder();
        Connection c = Connection.connect(loop, named("localhost", address), null,
                TlsTestKeys.client(engine).verifyHostname(false).build(), clientSide).get(30, TimeUnit.SECONDS);
        assertEquals("localhost", c.tls().serverName());
        onLoop(c::close);
        serverSide.readClosed.get(30, TimeUnit.SECONDS);
        Connection s = nextAccepted();
        onLoop(s::close);
        clientSide.awaitClosed();
        serverSide.awaitClosed();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void noCommonAlpnProtocol(String engine) throws Exception {
        TlsConfig server = TlsTestKeys.server(engine, "ec").alpn("h2").build();
        IOException cause = bothFail(server, TlsTestKeys.client(engine).alpn("http/1.1").build(), address);
        assertTrue(cause.getMessage().contains("no_application_protocol"), cause.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void noCommonProtocolVersion(String engine) throws Exception {
        TlsConfig server = TlsTestKeys.server(engine, "ec").protocols("TLSv1.3").build();
        IOException cause = bothFail(server, TlsTestKeys.client(engine).protocols("TLSv1.2").build(), address);
        assertTrue(cause.getMessage().contains("protocol_version"), cause.getMessage());
    }

    /** TLS 1.2 takes forward secrecy and AEAD only (RFC 9325 4.2); a client with neither is refused. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aTls12ClientOfferingOnlyCbcSuitesIsRefused(String engine) throws Exception {
        Recorder serverSide = new Recorder().closingAtEndOfInput();
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> {
            p.setProtocols(new String[] {"TLSv1.2"});
            p.setCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"});
        })) {
            assertThrows(IOException.class, peer::handshake);
        }
        IOException cause = serverSide.awaitClosed();
        assertInstanceOf(SSLHandshakeException.class, cause);
        assertEquals(0, serverSide.opens.get());
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> {
            p.setProtocols(new String[] {"TLSv1.2"});
            p.setCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"});
        })) {
            peer.handshake();
            assertEquals("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", peer.engine.getSession().getCipherSuite());
        }
        io.ffpoll.multiplexer.testing.Await.until(() -> serverSide.closes.get() == 2, "the second connection closed");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aRefusedConnectFailsAsPlainTcpDoes(String engine) throws Exception {
        int lfd = net.listen();
        InetSocketAddress nobody = net.address(lfd);
        net.close(lfd); // nothing listens there now
        Recorder clientSide = new Recorder();
        CompletableFuture<Connection> connecting = Connection.connect(loop, nobody, null,
                TlsTestKeys.client(engine).build(), clientSide);
        ExecutionException e = assertThrows(ExecutionException.class, () -> connecting.get(30, TimeUnit.SECONDS));
        assertInstanceOf(ConnectException.class, e.getCause());
        assertInstanceOf(ConnectException.class, clientSide.awaitClosed());
        assertEquals(0, clientSide.opens.get());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aConnectTimeoutFailsAsPlainTcpDoes(String engine) throws Exception {
        Recorder clientSide = new Recorder();
        CompletableFuture<Connection> connecting = Connection.connect(loop, deafAddress(), Duration.ofMillis(200),
                TlsTestKeys.client(engine).build(), clientSide);
        ExecutionException e = assertThrows(ExecutionException.class, () -> connecting.get(30, TimeUnit.SECONDS));
        assertInstanceOf(SocketTimeoutException.class, e.getCause());
        assertInstanceOf(SocketTimeoutException.class, clientSide.awaitClosed());
        assertEquals(0, clientSide.opens.get());
    }

    /** A listener whose backlog (1) is full: a connect to it waits. Its sockets are the test's (closed after it). */
    private InetSocketAddress deafAddress() throws Exception {
        int lfd = net.track(Tcp.listen(new InetSocketAddress(address.getAddress(), 0), 1, false));
        InetSocketAddress deaf = Tcp.localAddress(lfd);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment sa = Loopback.OS.allocateSockaddr(arena);
            int length = Loopback.OS.encode(deaf, sa);
            for (int i = 0; i < 4; i++) {
                int fd = net.track(Loopback.OS.socket(Loopback.OS.family(deaf)));
                int r = Loopback.OS.connect(fd, sa, length);
                assertTrue(r == 0 || r == -io.ffpoll.bindings.Err.EINPROGRESS, "connect: " + r);
            }
        }
        return deaf;
    }
}
