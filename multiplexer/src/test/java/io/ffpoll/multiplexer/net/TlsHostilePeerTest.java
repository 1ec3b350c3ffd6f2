package io.ffpoll.multiplexer.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Peers that do not play by the rules, against a TLS server: plaintext HTTP, random bytes, a
 * ClientHello a byte at a time, a handshake left half done (alone, and a thousand at once), a
 * TLS 1.2 renegotiation. Each is closed (or served, for the slow ClientHello) without a leak,
 * and the server serves the next client.
 */
class TlsHostilePeerTest extends TlsTestBase {
    /** Each accepted connection's handler, in accept order; all echo. */
    private final List<Recorder> handlers = new CopyOnWriteArrayList<>();

    static Stream<String> engines() {
        return TlsTestKeys.engines();
    }

    private void serveEcho(TlsConfig config) throws Exception {
        serveTls(config, () -> {
            Recorder r = new Recorder().echoing().closingAtEndOfInput();
            handlers.add(r);
            return r;
        });
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A well-behaved client is served: its bytes come back. */
    private void assertServesTheNextClient() throws Exception {
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            peer.write(bytes("still serving"));
            assertArrayEquals(bytes("still serving"), peer.readPlain(13));
            peer.closeOutbound();
            handlers.getLast().readClosed.get(30, TimeUnit.SECONDS);
        }
        Connection s = accepted.stream().reduce((a, b) -> b).orElseThrow();
        onLoop(s::close);
        handlers.getLast().awaitClosed();
    }

    /** What a raw socket reads until EOF or a reset: the server's alert, if it sent one. */
    private static byte[] readToEnd(Socket s) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        try {
            InputStream in = s.getInputStream();
            byte[] b = new byte[4096];
            int n;
            while ((n = in.read(b)) > 0) {
                all.write(b, 0, n);
            }
        } catch (IOException reset) {
            // a reset ends it as well
        }
        return all.toByteArray();
    }

    private void assertRefused(byte[] sent, String engine) throws Exception {
        serveEcho(TlsTestKeys.server(engine, "ec").build());
        try (Socket raw = new Socket(address.getAddress(), address.getPort())) {
            try {
                raw.getOutputStream().write(sent);
            } catch (IOException reset) {
                // the server closed before it read all of it: that is what it should do
            }
            byte[] answer = readToEnd(raw);
            // An alert record (content type 21), or nothing: never anything else.
            assertTrue(answer.length == 0 || answer[0] == 21, "answered " + Arrays.toString(Arrays.copyOf(answer, 8)));
        }
        Recorder hostile = handlers.getFirst();
        assertInstanceOf(SSLHandshakeException.class, hostile.awaitClosed());
        assertEquals(0, hostile.opens.get());
        awaitOnLoop(() -> heldOnLoop() == 0, "the refused connection's buffers are back");
        assertServesTheNextClient();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void plaintextHttpIsRefused(String engine) throws Exception {
        assertRefused(bytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"), engine);
    }

    /**
     * Fewer bytes than a record header, none of which can start one: refused at once, not after
     * the handshake timeout (which closes with a SocketTimeoutException instead).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aFewBytesOfPlaintextAreRefusedAtOnce(String engine) throws Exception {
        assertRefused(bytes("X\r\n"), engine);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void randomBytesAreRefused(String engine) throws Exception {
        byte[] noise = new byte[64 * 1024];
        new Random(11).nextBytes(noise);
        noise[0] = 22; // a handshake record's type, so the engine reads on into the noise
        noise[1] = 3;
        noise[2] = 1;
        assertRefused(noise, engine);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aClientHelloOneByteAtATimeCompletes(String engine) throws Exception {
        serveEcho(TlsTestKeys.server(engine, "ec").build());
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            byte[] hello = peer.clientHello();
            Connection s = nextAccepted();
            for (int i = 0; i < hello.length - 1; i++) {
                peer.sendRaw(new byte[] {hello[i]});
                int sent = i + 1;
                // The server has read this byte (its own loop turn) before the next is sent.
                awaitOnLoop(() -> s.tls.cipherIn.length() == sent, sent + " bytes kept");
            }
            onLoop(() -> assertTrue(s.tls.cipherIn.capacity() <= 4096 * 4, "an incomplete ClientHello's buffer"));
            peer.sendRaw(new byte[] {hello[hello.length - 1]});
            peer.continueHandshake();
            peer.write(bytes("slowly"));
            assertArrayEquals(bytes("slowly"), peer.readPlain(6));
            peer.closeOutbound();
            handlers.getFirst().readClosed.get(30, TimeUnit.SECONDS);
            onLoop(s::close);
        }
        handlers.getFirst().awaitClosed();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aHalfDoneHandshakeIsClosedByTheHandshakeTimeout(String engine) throws Exception {
        serveEcho(TlsTestKeys.server(engine, "ec").handshakeTimeout(Duration.ofMillis(200)).build());
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            byte[] hello = peer.clientHello();
            peer.sendRaw(Arrays.copyOf(hello, hello.length / 2));
            Recorder r = handlersAwait(1).getFirst();
            IOException cause = r.awaitClosed();
            assertInstanceOf(SocketTimeoutException.class, cause);
            assertTrue(cause.getMessage().contains("TLS handshake"), cause.getMessage());
            assertEquals(0, r.opens.get());
            readToEnd(peer.socket);
        }
        // And one that sends nothing at all: reset, as documented (nothing left to wait on).
        try (Socket silent = new Socket(address.getAddress(), address.getPort())) {
            assertInstanceOf(SocketTimeoutException.class, handlersAwait(2).get(1).awaitClosed());
            silent.setSoTimeout(30_000);
            java.net.SocketException reset = org.junit.jupiter.api.Assertions.assertThrows(java.net.SocketException.class,
                    () -> silent.getInputStream().read());
            assertTrue(reset.getMessage().contains("reset"), reset.getMessage());
        }
        awaitOnLoop(() -> heldOnLoop() == 0, "their buffers are back");
    }

    private List<Recorder> handlersAwait(int n) throws InterruptedException {
        io.ffpoll.multiplexer.testing.Await.until(() -> handlers.size() >= n, n + " connections accepted");
        return handlers;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aThousandHalfDoneHandshakesHoldOneSmallBufferEachAndFreeAll(String engine) throws Exception {
        int n = 1000;
        serveEcho(TlsTestKeys.server(engine, "ec").handshakeTimeout(Duration.ofMinutes(10)).build());
        byte[] hello;
        try (TlsPeer maker = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            hello = maker.clientHello(); // this connection sends nothing and is closed at once
        }
        io.ffpoll.multiplexer.testing.Await.until(() -> handlers.size() == 1 && handlers.getFirst().closed.isDone(),
                "the maker's connection is closed");
        byte[] half = Arrays.copyOf(hello, hello.length / 2);
        List<Integer> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int fd = net.connect(address);
            net.send(fd, half);
            clients.add(fd);
        }
        awaitOnLoop(() -> {
            if (accepted.size() < n + 1) {
                return false;
            }
            return accepted.stream().skip(1).allMatch(c -> c.tls != null && c.tls.cipherIn.length() == half.length);
        }, n + " half ClientHellos kept");
        long buffers = buffersHeld();
        long bytes = bytesHeld();
        assertEquals(n, buffers, "one kept buffer per half-done handshake");
        assertTrue(bytes <= n * 4096L, bytes + " bytes held by " + n + " half-done handshakes");
        for (int fd : clients) {
            net.close(fd);
        }
        awaitOnLoop(() -> LoopIo.of(loop).openConnections() == 0, "all closed");
        awaitOnLoop(() -> heldOnLoop() == 0, "all freed");
        for (Recorder r : handlers.subList(1, handlers.size())) {
            assertEquals(0, r.opens.get());
            assertInstanceOf(java.io.EOFException.class, r.awaitClosed());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aTls12RenegotiationIsRefused(String engine) throws Exception {
        serveEcho(TlsTestKeys.server(engine, "ec").protocols("TLSv1.2").build());
        try (SSLSocket socket = (SSLSocket) TlsTestKeys.jdkContext(null).getSocketFactory()
                .createSocket(address.getAddress(), address.getPort())) {
            socket.startHandshake();
            socket.getOutputStream().write(bytes("ping"));
            assertArrayEquals(bytes("ping"), socket.getInputStream().readNBytes(4));
            assertThrows(IOException.class, () -> {
                socket.startHandshake(); // TLS 1.2: a renegotiation
                socket.getOutputStream().write(bytes("again"));
                socket.getInputStream().readNBytes(5);
            });
        }
        IOException cause = handlers.getFirst().awaitClosed();
        assertInstanceOf(SSLHandshakeException.class, cause);
        assertTrue(cause.getMessage().contains("renegotiation"), cause.getMessage());
        assertServesTheNextClient();
    }

    /** A refused renegotiation gets no handshake record back, only an alert at most, then the close (testssl's check). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aRefusedRenegotiationIsNotAnswered(String engine) throws Exception {
        serveEcho(TlsTestKeys.server(engine, "ec").protocols("TLSv1.2").build());
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null),
                p -> p.setProtocols(new String[] {"TLSv1.2"}))) {
            peer.handshake();
            peer.renegotiate();
            List<Integer> types = new java.util.ArrayList<>();
            byte[] record;
            while ((record = peer.readRecord()) != null) {
                types.add(record[0] & 0xff);
            }
            assertTrue(types.stream().allMatch(t -> t == 21), "only alerts after the renegotiation request: " + types);
        }
        IOException cause = handlers.getFirst().awaitClosed();
        assertInstanceOf(SSLHandshakeException.class, cause);
    }

    /**
     * Data and a renegotiation request in one read: the handler gets the data first and shuts
     * its output there, before the refusal. Its close must not run the refused handshake (no
     * ServerHello) nor, on the JDK's engine, send anything at all.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aHandlerClosingOnDataThatCameWithARenegotiationRunsNoHandshake(String engine) throws Exception {
        serveTls(TlsTestKeys.server(engine, "ec").protocols("TLSv1.2").build(), () -> {
            Recorder r = new Recorder() {
                @Override
                public long onData(Connection c, java.lang.foreign.MemorySegment data) {
                    long taken = super.onData(c, data);
                    c.shutdownOutput();
                    return taken;
                }
            };
            handlers.add(r);
            return r;
        });
        List<Integer> types = new java.util.ArrayList<>();
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null),
                p -> p.setProtocols(new String[] {"TLSv1.2"}))) {
            peer.handshake();
            peer.holdSends();
            peer.write(bytes("ping"));
            peer.renegotiate();
            peer.sendHeld();
            byte[] record;
            while ((record = peer.readRecord()) != null) {
                types.add(record[0] & 0xff);
            }
        }
        assertFalse(types.contains(22), "a handshake record answered the refused renegotiation: " + types);
        if (engine.equals("jdk")) {
            assertEquals(List.of(), types, "the JDK engine refuses with a bare close");
        }
        assertInstanceOf(SSLHandshakeException.class, handlers.getFirst().awaitClosed());
        assertArrayEquals(bytes("ping"), handlers.getFirst().received());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aTls13KeyUpdateIsNoRenegotiation(String engine) throws Exception {
        serveEcho(TlsTestKeys.server(engine, "ec").protocols("TLSv1.3").build());
        try (SSLSocket socket = (SSLSocket) TlsTestKeys.jdkContext(null).getSocketFactory()
                .createSocket(address.getAddress(), address.getPort())) {
            socket.startHandshake();
            socket.getOutputStream().write(bytes("ping"));
            assertArrayEquals(bytes("ping"), socket.getInputStream().readNBytes(4));
            socket.startHandshake(); // TLS 1.3: a KeyUpdate, which the server answers
            socket.getOutputStream().write(bytes("pong"));
            assertArrayEquals(bytes("pong"), socket.getInputStream().readNBytes(4));
            socket.startHandshake();
            socket.getOutputStream().write(bytes("ping"));
            assertArrayEquals(bytes("ping"), socket.getInputStream().readNBytes(4));
        }
        handlers.getFirst().awaitClosed();
        assertEquals(1, handlers.getFirst().opens.get());
    }
}
