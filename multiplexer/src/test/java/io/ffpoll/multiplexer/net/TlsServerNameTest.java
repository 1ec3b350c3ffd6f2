package io.ffpoll.multiplexer.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The name a client takes from the address it connects to, the same on both engines: a fully
 * qualified name is checked and sent without its trailing dot; an address literal, or a name
 * that is no host name, is never sent as SNI (RFC 6066 3) yet still checked; a client with no
 * name to check against, or a server's configuration used to connect, is refused at once.
 */
class TlsServerNameTest extends TlsTestBase {

    static Stream<String> engines() {
        return TlsTestKeys.engines();
    }

    private static InetSocketAddress named(String host, InetSocketAddress a) throws Exception {
        return new InetSocketAddress(InetAddress.getByAddress(host, a.getAddress().getAddress()), a.getPort());
    }

    /** Connects, checks the name each side saw, and closes cleanly. */
    private void connectsSeeing(String engine, InetSocketAddress to, boolean verify, String expectedName) throws Exception {
        Recorder serverSide = new Recorder().closingAtEndOfInput();
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> serverSide);
        Recorder clientSide = new Recorder();
        Connection c = Connection.connect(loop, to, null, TlsTestKeys.client(engine).verifyHostname(verify).build(),
                clientSide).get(30, TimeUnit.SECONDS);
        Connection s = serverSide.opened.get(30, TimeUnit.SECONDS);
        assertEquals(expectedName, onLoop(() -> c.tls().serverName()), "the client's SNI");
        assertEquals(expectedName, onLoop(() -> s.tls().serverName()), "what the server was asked for");
        onLoop(c::close);
        assertEquals(Recorder.NO_CAUSE, clientSide.awaitClosed());
        assertEquals(Recorder.NO_CAUSE, serverSide.awaitClosed());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aFullyQualifiedNameIsCheckedAndSentWithoutItsTrailingDot(String engine) throws Exception {
        connectsSeeing(engine, named("localhost.", address), true, "localhost");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void anAddressIsCheckedButNeverSentAsAName(String engine) throws Exception {
        connectsSeeing(engine, address, true, null); // the certificate names IP:127.0.0.1
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aNameThatIsNoHostNameIsNotSent(String engine) throws Exception {
        connectsSeeing(engine, named("my_service", address), false, null);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aNameThatIsNoHostNameIsStillChecked(String engine) throws Exception {
        Recorder serverSide = new Recorder();
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> serverSide);
        Recorder clientSide = new Recorder();
        CompletableFuture<Connection> connecting = Connection.connect(loop, named("my_service", address), null,
                TlsTestKeys.client(engine).build(), clientSide);
        ExecutionException e = assertThrows(ExecutionException.class, () -> connecting.get(30, TimeUnit.SECONDS));
        assertInstanceOf(SSLHandshakeException.class, e.getCause(), () -> "the certificate names localhost: " + e.getCause());
        assertEquals(e.getCause(), clientSide.awaitClosed());
        serverSide.awaitClosed();
        awaitOnLoop(() -> heldOnLoop() == 0, "no buffer held");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aClientThatChecksNamesNeedsTheRemoteAddress(String engine) throws Exception {
        TlsConfig client = TlsTestKeys.client(engine).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Connection.open(loop, Integer.MAX_VALUE, null, client, new Recorder()));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("verifyHostname(false)"), e.getMessage());
    }

    @Test
    void connectRefusesAServersConfiguration() throws Exception {
        TlsConfig server = TlsTestKeys.server("jdk", "ec").build();
        assertThrows(IllegalArgumentException.class, () -> Connection.connect(loop, address, null, server, new Recorder()));
    }
}
