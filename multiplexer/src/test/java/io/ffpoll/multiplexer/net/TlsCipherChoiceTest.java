package io.ffpoll.multiplexer.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A client's choice of cipher suites and groups, ffpoll on both ends and every pairing of
 * engines: the suite it allows alone is the one negotiated, on TLS 1.3 and 1.2; a client whose
 * only group the server does not allow fails the handshake on both ends, and succeeds once the
 * server allows it too (so the client's list is what it offers, not a default).
 */
class TlsCipherChoiceTest extends TlsTestBase {

    private volatile TlsConfig serverConfig;
    private volatile Recorder serverSide;

    /** Serves TLS with whatever {@link #serverConfig} is when a connection comes. */
    private void serveChosen() throws Exception {
        serve((fd, peer) -> Connection.open(loop, fd, peer, serverConfig, serverSide).thenAccept(accepted::add));
    }

    private volatile TlsInfo serverInfo; // the server's view of the last connection openedWith made

    /** A client connection opened with {@code client} against {@code server}, closed again; what it negotiated. */
    private TlsInfo openedWith(TlsConfig server, TlsConfig client) throws Exception {
        serverConfig = server;
        serverSide = new Recorder().closingAtEndOfInput();
        Connection c = Connection.connect(loop, address, null, client, new Recorder()).get(30, TimeUnit.SECONDS);
        TlsInfo info = onLoop(c::tls);
        Connection accepted = serverSide.opened.get(30, TimeUnit.SECONDS);
        serverInfo = onLoop(accepted::tls);
        assertEquals(info.cipherSuite(), serverInfo.cipherSuite(), "the server's view of the suite");
        onLoop(c::close);
        serverSide.awaitClosed();
        return info;
    }

    /** The group each side reports: OpenSSL's name for it, or null where the JDK engine cannot tell. */
    private static void assertGroup(String engine, String group, TlsInfo info, String side) {
        assertEquals("openssl".equals(engine) ? group : null, info.group(), side + " (" + engine + ")");
        assertEquals("openssl".equals(engine), info.toString().contains("group=" + group), side + ": " + info);
    }

    @ParameterizedTest(name = "server {0}, client {1}: {2} {3}")
    @CsvSource({
            "jdk, openssl, TLSv1.3, secp384r1", "openssl, jdk, TLSv1.3, secp384r1", "openssl, openssl, TLSv1.3, x25519",
            "openssl, openssl, TLSv1.3, ffdhe2048", "openssl, openssl, TLSv1.2, secp256r1", "jdk, jdk, TLSv1.3, x25519"})
    void theGroupOfTheKeyExchangeIsReported(String serverEngine, String clientEngine, String version, String group) throws Exception {
        serveChosen();
        TlsInfo info = openedWith(TlsTestKeys.server(serverEngine, "ec").build(),
                TlsTestKeys.client(clientEngine).protocols(version).groups(group).build());
        assertEquals(version, info.protocol());
        assertGroup(clientEngine, group, info, "client");
        assertGroup(serverEngine, group, serverInfo, "server");
    }

    @ParameterizedTest(name = "server {0}, client {1}: {2} {3}")
    @CsvSource({
            "jdk, jdk, TLSv1.3, TLS_CHACHA20_POLY1305_SHA256", "jdk, openssl, TLSv1.3, TLS_CHACHA20_POLY1305_SHA256",
            "openssl, jdk, TLSv1.3, TLS_CHACHA20_POLY1305_SHA256", "openssl, openssl, TLSv1.3, TLS_CHACHA20_POLY1305_SHA256",
            "jdk, openssl, TLSv1.2, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "openssl, jdk, TLSv1.2, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"})
    void theClientsOnlySuiteIsNegotiated(String serverEngine, String clientEngine, String version, String suite) throws Exception {
        serveChosen();
        TlsInfo info = openedWith(TlsTestKeys.server(serverEngine, "ec").build(),
                TlsTestKeys.client(clientEngine).protocols(version).cipherSuites(suite).build());
        assertEquals(version, info.protocol());
        assertEquals(suite, info.cipherSuite());
    }

    @ParameterizedTest(name = "server {0}, client {1}")
    @CsvSource({"jdk, jdk", "jdk, openssl", "openssl, jdk", "openssl, openssl"})
    void aClientsOnlyGroupMustBeTheServersToo(String serverEngine, String clientEngine) throws Exception {
        TlsConfig client = TlsTestKeys.client(clientEngine).protocols("TLSv1.3").groups("secp384r1").build();
        serveChosen();
        serverConfig = TlsTestKeys.server(serverEngine, "ec").protocols("TLSv1.3").groups("x25519", "secp256r1").build();
        serverSide = new Recorder().closingAtEndOfInput();
        Recorder refusedServer = serverSide;
        Recorder clientSide = new Recorder();
        CompletableFuture<Connection> refused = Connection.connect(loop, address, null, client, clientSide);
        ExecutionException e = assertThrows(ExecutionException.class, () -> refused.get(30, TimeUnit.SECONDS));
        assertInstanceOf(SSLHandshakeException.class, e.getCause());
        IOException serverCause = refusedServer.awaitClosed();
        assertInstanceOf(SSLHandshakeException.class, serverCause, () -> "server: " + serverCause);
        awaitOnLoop(() -> heldOnLoop() == 0, "no buffer held");
        // The next connection is served allowing the client's group too.
        TlsInfo info = openedWith(TlsTestKeys.server(serverEngine, "ec").protocols("TLSv1.3").groups("x25519", "secp384r1").build(), client);
        assertEquals("TLSv1.3", info.protocol());
    }
}
