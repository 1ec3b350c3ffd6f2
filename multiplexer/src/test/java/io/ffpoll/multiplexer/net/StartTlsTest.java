package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.net.StartTlsPeers.Client;
import io.ffpoll.multiplexer.net.StartTlsPeers.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;

import static io.ffpoll.multiplexer.net.StartTlsPeers.ascii;
import static io.ffpoll.multiplexer.net.StartTlsPeers.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * STARTTLS ({@link Connection#startTls}): TLS begun on an open connection after a plaintext
 * exchange, on both ends, with what was written before it sent as written and what the peer
 * left behind its command taken as TLS.
 */
class StartTlsTest extends TlsTestBase {
    static final byte[] GREETING = ascii("220 ffpoll ESMTP\r\n");

    static List<String> engines() {
        return TlsTestKeys.engines().toList();
    }

    private Server serveStartTls(TlsConfig config, byte[] greeting, byte[] answer) throws Exception {
        Server server = new Server(config, greeting, answer);
        serve((fd, peer) -> Connection.open(loop, fd, peer, server));
        return server;
    }

    /**
     * The server's answer to STARTTLS is larger than the records one TLS send makes, so it goes
     * out over several flushes ahead of the handshake; a megabyte then goes both ways over TLS.
     */
    @ParameterizedTest
    @MethodSource("engines")
    void plaintextThenTlsBothWays(String engine) throws Exception {
        byte[] answer = new byte[300 * 1024 + 17];
        Arrays.fill(answer, (byte) 'x');
        byte[] ready = ascii("\r\n220 2.0.0 Ready to start TLS\r\n");
        System.arraycopy(ready, 0, answer, answer.length - ready.length, ready.length);
        Server server = serveStartTls(TlsTestKeys.server(engine, "ec").build(), GREETING, answer);
        byte[] expect = new byte[GREETING.length + answer.length];
        System.arraycopy(GREETING, 0, expect, 0, GREETING.length);
        System.arraycopy(answer, 0, expect, GREETING.length, answer.length);
        byte[] payload = random(1 << 20, 7);
        Client client = new Client(TlsTestKeys.client(engine).build(), "localhost", expect, payload);
        Connection c = Connection.connect(loop, address, client).get(30, TimeUnit.SECONDS);

        assertSame(c, client.tlsUp.get(30, TimeUnit.SECONDS));
        assertArrayEquals(payload, client.echoed.get(60, TimeUnit.SECONDS));
        Connection s = server.started.get(30, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS);
        assertEquals("TLSv1.3", c.tls().protocol());
        assertEquals("localhost", s.tls().serverName());
        assertEquals("TLSv1.3", s.tls().protocol());
        assertTrue(!c.tls().peerCertificates().isEmpty(), "the client has the server's certificate");
        assertEquals(List.of("STARTTLS"), server.plainLines());
        assertArrayEquals(payload, server.overTls());
        assertEquals(1, client.opens.get(), "no second onOpen after STARTTLS");
        assertEquals(1, server.opens.get(), "no second onOpen after STARTTLS");
        onLoop(c::close);
        assertEquals(Recorder.NO_CAUSE, server.closed.get(30, TimeUnit.SECONDS));
    }

    /**
     * STARTTLS while the greeting is still being sent to a client that reads nothing yet: on
     * io_uring with the ring's send of it in flight, on epoll with the socket full. The
     * greeting and the answer go out whole and in order before the first record, once the
     * client reads, and the ring's chunks are not taken from under its send.
     */
    @ParameterizedTest
    @MethodSource("engines")
    void startTlsWhileEarlierPlaintextIsStillGoingOut(String engine) throws Exception {
        byte[] greeting = new byte[Math.toIntExact(moreThanOneWaysSocketBuffers())];
        new Random(3).nextBytes(greeting);
        byte[] answer = ascii("220 2.0.0 Ready to start TLS\r\n");
        Server server = new Server(TlsTestKeys.server(engine, "ec").build(), greeting, null);
        CompletableFuture<Connection> serverSide = new CompletableFuture<>();
        serve((fd, peer) -> Connection.open(loop, fd, peer, server).thenAccept(serverSide::complete));
        byte[] expect = Arrays.copyOf(greeting, greeting.length + answer.length);
        System.arraycopy(answer, 0, expect, greeting.length, answer.length);
        byte[] payload = random(50_000, 9);
        Client client = new Client(TlsTestKeys.client(engine).build(), "localhost", expect, payload);
        client.paused = true;
        client.command = null;
        Connection c = Connection.connect(loop, address, client).get(30, TimeUnit.SECONDS);
        Connection s = serverSide.get(30, TimeUnit.SECONDS);
        // The check and the start in one loop task: no completion can come between them, and
        // the flush at the end of this iteration finds the send still in flight.
        CompletableFuture<CompletableFuture<Connection>> started = new CompletableFuture<>();
        awaitOnLoop(() -> {
            if (!(s.ringSendInFlight() || s.waitingForWritable)) {
                return false;
            }
            s.write(answer);
            server.tls = true;
            started.complete(s.startTls(server.config));
            return true;
        }, "the greeting filled the socket");
        onLoop(c::resumeReading);

        assertArrayEquals(payload, client.echoed.get(60, TimeUnit.SECONDS));
        assertSame(s, started.get(30, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS));
        assertEquals("TLSv1.3", c.tls().protocol());
        assertArrayEquals(payload, server.overTls());
        onLoop(c::close);
        server.closed.get(30, TimeUnit.SECONDS);
    }

    /** More bytes than a sender's and a receiver's socket buffers hold together (Linux grows them up to tcp_wmem's and tcp_rmem's maximum). */
    static long moreThanOneWaysSocketBuffers() throws IOException {
        long buffers = 0;
        for (String sysctl : new String[] {"/proc/sys/net/ipv4/tcp_rmem", "/proc/sys/net/ipv4/tcp_wmem"}) {
            Path p = Path.of(sysctl);
            if (Files.isReadable(p)) {
                // readAllLines: readString reads a /proc file by its stated size, 0, and stops early.
                String[] fields = Files.readAllLines(p).getFirst().trim().split("\\s+");
                buffers += Long.parseLong(fields[fields.length - 1]);
            }
        }
        return Math.max(16L << 20, buffers + (8L << 20));
    }

    /**
     * A client that sends its ClientHello right behind its command, in the same send: the
     * server takes what its handler left of that read as the start of the TLS stream.
     */
    @ParameterizedTest
    @MethodSource("engines")
    void aClientHelloRightBehindTheCommandIsServed(String engine) throws Exception {
        Server server = serveStartTls(TlsTestKeys.server(engine, "ec").build(), null, new byte[0]);
        byte[] payload = random(100_000, 8);
        Client client = new Client(TlsTestKeys.client(engine).build(), null, new byte[0], payload);
        Connection c = Connection.connect(loop, address, client).get(30, TimeUnit.SECONDS);

        assertArrayEquals(payload, client.echoed.get(60, TimeUnit.SECONDS));
        assertEquals("TLSv1.3", c.tls().protocol()); // the certificate checked against 127.0.0.1, the connection's host
        assertEquals(List.of("STARTTLS"), server.plainLines());
        assertArrayEquals(payload, server.overTls());
        onLoop(c::close);
        server.closed.get(30, TimeUnit.SECONDS);
    }

    /**
     * Plaintext injected behind the command (CVE-2011-0411) is taken as TLS, fails the
     * handshake and never reaches the handler as a command.
     */
    @ParameterizedTest
    @MethodSource("engines")
    void plaintextInjectedBehindTheCommandFailsTheHandshake(String engine) throws Exception {
        Server server = serveStartTls(TlsTestKeys.server(engine, "ec").build(), null, ascii("220 go ahead\r\n"));
        try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(ascii("STARTTLS\r\nMAIL FROM:<attacker@example.com>\r\n"));
            IOException cause = server.closed.get(30, TimeUnit.SECONDS);
            assertInstanceOf(SSLHandshakeException.class, cause, "the server closed with " + cause);
            ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> server.started.get(30, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS));
            assertSame(cause, failed.getCause());
            byte[] got = readToEnd(socket.getInputStream());
            byte[] answer = ascii("220 go ahead\r\n");
            assertArrayEquals(answer, Arrays.copyOf(got, Math.min(got.length, answer.length)),
                    "the answer went out before the handshake failed");
        }
        assertEquals(List.of("STARTTLS"), server.plainLines());
        assertEquals(0, server.overTls().length);
    }

    private static byte[] readToEnd(InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = new byte[4096];
        try {
            for (int n; (n = in.read(b)) > 0; ) {
                out.write(b, 0, n);
            }
        } catch (IOException reset) {
            // a reset after the alert: what came before it counts
        }
        return out.toByteArray();
    }

    /** A real client: {@code openssl s_client -starttls smtp} through the SMTP dialogue and the handshake. */
    @ParameterizedTest
    @MethodSource("engines")
    void opensslSClientStartsTlsOverSmtp(String engine) throws Exception {
        Server server = serveStartTls(TlsTestKeys.server(engine, "ec").build(), GREETING, ascii("220 2.0.0 Ready to start TLS\r\n"));
        Path in = Files.createTempFile("starttls", ".in");
        Path out = Files.createTempFile("starttls", ".out");
        try {
            Files.writeString(in, "hello over TLS\n");
            Process p = new ProcessBuilder("openssl", "s_client", "-starttls", "smtp", "-connect",
                    "127.0.0.1:" + address.getPort(), "-servername", "localhost", "-CAfile", TlsTestKeys.ca().toString(),
                    "-verify_return_error", "-no_ign_eof")
                    .redirectInput(in.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "s_client ended");
            String said = Files.readString(out);
            assertEquals(0, p.exitValue(), said);
            assertTrue(said.contains("Verify return code: 0 (ok)"), said);
            Connection s = server.started.get(30, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS);
            server.closed.get(30, TimeUnit.SECONDS);
            assertEquals("localhost", s.tls().serverName());
            assertEquals("STARTTLS", server.plainLines().get(server.plainLines().size() - 1));
            assertTrue(server.plainLines().get(0).startsWith("EHLO"), server.plainLines().toString());
            assertEquals("hello over TLS\n", new String(server.overTls(), StandardCharsets.US_ASCII));
        } finally {
            Files.delete(in);
            Files.delete(out);
        }
    }

    /**
     * A TLS client over a Unix socket, which {@code connect} with a {@link TlsConfig} cannot
     * make (it takes an IP address): a plain connect, then TLS begun at once, naming the server.
     */
    @ParameterizedTest
    @MethodSource("engines")
    void aClientBeginsTlsOverAUnixSocket(String engine) throws Exception {
        TlsConfig serverConfig = TlsTestKeys.server(engine, "ec").build();
        TlsConfig clientConfig = TlsTestKeys.client(engine).build();
        Listener listener = Listener.bind(loop, UnixAddress.abstractName(UnixTesting.freshName()), AcceptOptions.DEFAULTS,
                (fd, peer) -> Connection.open(loop, fd, null, serverConfig, new Recorder().echoing().closingAtEndOfInput()))
                .get(30, TimeUnit.SECONDS);
        Recorder client = new Recorder();
        Connection c = Connection.connect(loop, listener.localAddress(), client).get(30, TimeUnit.SECONDS);
        CompletableFuture<Connection> up = onLoop(() -> {
            assertThrows(IllegalArgumentException.class, () -> c.startTls(clientConfig),
                    "a client that checks the server's name needs one, and a Unix socket has no host");
            return c.startTls(clientConfig, "localhost");
        });
        assertSame(c, up.get(30, TimeUnit.SECONDS));
        byte[] payload = random(200_000, 10);
        onLoop(() -> c.write(payload));
        awaitOnLoop(() -> client.receivedCount() == payload.length, "the echo came back");
        assertArrayEquals(payload, client.received());
        assertEquals("localhost", c.tls().serverName());
        assertEquals(1, client.opens.get());
        onLoop(c::close);
        client.awaitClosed();
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }

    /** What startTls refuses, and a connection that is closing or closed. */
    @Test
    void misusesAreRefusedAndAClosedConnectionFailsTheFuture() throws Exception {
        TlsConfig serverConfig = TlsTestKeys.server("jdk", "ec").build();
        TlsConfig clientConfig = TlsTestKeys.client("jdk").build();
        serve((fd, peer) -> Connection.open(loop, fd, peer, new Recorder().closingAtEndOfInput()));
        Connection c = Connection.connect(loop, address, new Recorder()).get(30, TimeUnit.SECONDS);
        assertThrows(WrongThreadException.class, () -> c.startTls(clientConfig));
        CompletableFuture<Connection> first = onLoop(() -> {
            assertThrows(IllegalArgumentException.class, () -> c.startTls(serverConfig, "localhost"));
            CompletableFuture<Connection> f = c.startTls(clientConfig, "localhost");
            assertThrows(IllegalStateException.class, () -> c.startTls(clientConfig, "localhost"));
            assertTrue(!f.isDone());
            c.abort(); // before the server's handshake answer can come
            return f;
        });
        assertThrows(ExecutionException.class, () -> first.get(30, TimeUnit.SECONDS));

        Recorder other = new Recorder();
        Connection d = Connection.connect(loop, address, other).get(30, TimeUnit.SECONDS);
        CompletableFuture<Connection> afterClose = onLoop(() -> {
            d.close();
            return d.startTls(clientConfig);
        });
        ExecutionException refused = assertThrows(ExecutionException.class, () -> afterClose.get(30, TimeUnit.SECONDS));
        assertInstanceOf(ClosedConnectionException.class, refused.getCause());
        other.awaitClosed();
        assertNull(d.tls());
    }
}
