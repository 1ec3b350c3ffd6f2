package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.net.StartTlsPeers.Server;
import io.ffpoll.multiplexer.net.StartTlsPeers.Start;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * STARTTLS begun from elsewhere than the plain middle of onData: with a flush right after it,
 * from a loop task with input kept, from onWritabilityChanged inside a plain flush, and behind
 * a greeting that takes longer to go out than the handshake timeout.
 */
class StartTlsEdgesTest extends TlsTestBase {
    static final byte[] ANSWER = StartTlsPeers.ascii("220 go ahead\r\n");

    static List<String> engines() {
        return TlsTestKeys.engines().toList();
    }

    /** A {@link Server} that begins TLS as {@code start} says, answering STARTTLS with {@code answer}. */
    static Server server(TlsConfig config, Start start, byte[] answer, byte[] greeting) {
        Server server = new Server(config, greeting, answer);
        server.start = start;
        return server;
    }

    private static SSLSocket tlsOver(Socket raw, java.net.InetSocketAddress address) throws Exception {
        return (SSLSocket) TlsTestKeys.jdkContext(null).getSocketFactory().createSocket(raw, "localhost", address.getPort(), true);
    }

    /**
     * A flush right after startTls in onData begins the session before the delivery's rest (a
     * ClientHello pipelined behind the command) is handed to it: that rest must still be run.
     * It was not: the handshake waited for its timeout.
     */
    @ParameterizedTest
    @MethodSource("engines")
    void aFlushRightAfterStartTlsStillServesAPipelinedClientHello(String engine) throws Exception {
        Server server = server(TlsTestKeys.server(engine, "ec").build(), Start.IN_ON_DATA_THEN_FLUSH, new byte[0], null);
        serve((fd, peer) -> Connection.open(loop, fd, peer, server));
        byte[] payload = StartTlsPeers.random(10_000, 8);
        StartTlsPeers.Client client = new StartTlsPeers.Client(TlsTestKeys.client(engine).build(), null, new byte[0], payload);
        Connection c = Connection.connect(loop, address, client).get(30, TimeUnit.SECONDS);
        assertArrayEquals(payload, client.echoed.get(30, TimeUnit.SECONDS));
        assertArrayEquals(payload, server.overTls());
        onLoop(c::close);
        server.closed.get(30, TimeUnit.SECONDS);
    }

    /**
     * startTls from a loop task, with input the handler kept from before (plaintext injected
     * behind the command): that input is TLS too, fails the handshake, and never reaches the
     * handler. It used to reach it, in front of the first decrypted bytes.
     */
    @ParameterizedTest
    @MethodSource("engines")
    void startTlsFromALoopTaskTakesKeptInputAsTls(String engine) throws Exception {
        Server server = server(TlsTestKeys.server(engine, "ec").build(), Start.FROM_A_LOOP_TASK, ANSWER, null);
        serve((fd, peer) -> Connection.open(loop, fd, peer, server));
        try (Socket raw = new Socket(address.getAddress(), address.getPort())) {
            raw.setSoTimeout(30_000);
            raw.getOutputStream().write(StartTlsPeers.ascii("STARTTLS\r\nMAIL FROM:<attacker@example.com>\r\n"));
            assertArrayEquals(ANSWER, raw.getInputStream().readNBytes(ANSWER.length));
            SSLSocket tls = tlsOver(raw, address);
            assertThrows(IOException.class, tls::startHandshake, "the server's engine refused what came first");
            assertInstanceOf(SSLException.class, server.closed.get(30, TimeUnit.SECONDS));
        }
        assertEquals(0, server.overTls().length, "nothing reached the handler over TLS");
    }

    /**
     * startTls in onWritabilityChanged, which a plain flush calls between its sends: what the
     * handler writes after it goes in records, not on in the clear with the flush it interrupted.
     */
    @ParameterizedTest
    @MethodSource("engines")
    void startTlsInOnWritabilityChangedKeepsLaterWritesForTheRecords(String engine) throws Exception {
        TlsConfig config = TlsTestKeys.server(engine, "ec").build();
        byte[] greeting = new byte[1 << 20]; // past the high watermark: writable again once it drains
        Arrays.fill(greeting, (byte) 'g');
        byte[] ready = StartTlsPeers.ascii("220 ready\r\n");
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        serve((fd, peer) -> Connection.open(loop, fd, peer, new ConnectionHandler() {
            private boolean started;

            @Override
            public void onOpen(Connection c) {
                c.write(greeting);
            }

            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onWritabilityChanged(Connection c, boolean writable) {
                if (writable && !started) {
                    started = true;
                    c.write(ready);
                    c.startTls(config);
                    c.write(StartTlsPeers.ascii("SECRET"));
                }
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                closed.complete(cause == null ? Recorder.NO_CAUSE : cause);
            }
        }));
        try (Socket raw = new Socket(address.getAddress(), address.getPort())) {
            raw.setSoTimeout(30_000);
            InputStream in = raw.getInputStream();
            byte[] plain = in.readNBytes(greeting.length + ready.length);
            assertArrayEquals(greeting, Arrays.copyOf(plain, greeting.length));
            assertArrayEquals(ready, Arrays.copyOfRange(plain, greeting.length, plain.length));
            SSLSocket tls = tlsOver(raw, address);
            tls.startHandshake();
            assertEquals("SECRET", new String(tls.getInputStream().readNBytes(6), StandardCharsets.US_ASCII));
            tls.close();
        }
        closed.get(30, TimeUnit.SECONDS);
    }

    /**
     * The handshake timeout counts from when the plaintext before STARTTLS is all on its way: a
     * client slower to read a large greeting than the timeout still gets its handshake. The
     * marker is a loop timer set after startTls for twice the timeout, so the handshake timer,
     * had it started with the call, would have fired first on the same loop.
     */
    @ParameterizedTest
    @MethodSource("engines")
    void theHandshakeTimeoutCountsFromWhenTheGreetingIsOut(String engine) throws Exception {
        Duration timeout = Duration.ofSeconds(1);
        byte[] greeting = new byte[Math.toIntExact(StartTlsTest.moreThanOneWaysSocketBuffers())];
        Arrays.fill(greeting, (byte) 'g');
        Server server = server(TlsTestKeys.server(engine, "ec").handshakeTimeout(timeout).build(),
                Start.IN_ON_DATA_THEN_FLUSH, ANSWER, greeting);
        serve((fd, peer) -> Connection.open(loop, fd, peer, server));
        try (Socket raw = new Socket(address.getAddress(), address.getPort())) {
            raw.setSoTimeout(30_000);
            raw.getOutputStream().write(StartTlsPeers.ascii("STARTTLS\r\n"));
            CompletableFuture<Connection> handshake = server.started.get(30, TimeUnit.SECONDS);
            CompletableFuture<Void> marker = new CompletableFuture<>();
            onLoop(() -> loop.schedule(timeout.multipliedBy(2), () -> marker.complete(null)));
            marker.get(30, TimeUnit.SECONDS);
            assertFalse(server.closed.isDone(), "closed while the greeting was still going out: " + server.closed.getNow(null));
            InputStream in = raw.getInputStream();
            byte[] plain = in.readNBytes(greeting.length + ANSWER.length);
            assertArrayEquals(ANSWER, Arrays.copyOfRange(plain, greeting.length, plain.length));
            SSLSocket tls = tlsOver(raw, address);
            tls.startHandshake();
            handshake.get(30, TimeUnit.SECONDS);
            tls.close();
        }
        server.closed.get(30, TimeUnit.SECONDS);
    }
}
