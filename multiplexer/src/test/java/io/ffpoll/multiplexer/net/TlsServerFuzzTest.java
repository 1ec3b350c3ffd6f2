package io.ffpoll.multiplexer.net;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterAll;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzzing of the server side of TLS with Jazzer: any bytes (random, or mutated
 * ClientHellos from the seeds) sent to a TLS server connection, then a FIN. In a normal build
 * this replays the saved corpus in TlsServerFuzzTestInputs; the build's fuzz run mutates from it
 * for a bounded time. Properties, for any bytes:
 * <ul>
 * <li>the connection closes once, with an {@link SSLException} (the engine refused them) or an
 *     {@link EOFException} (the FIN came first), and never opens;</li>
 * <li>no exception escapes into the loop, which serves the next input;</li>
 * <li>every pooled buffer is back after each input (the loop's three shared ones aside), and no
 *     descriptor is left after the run.</li>
 * </ul>
 * The engine is the JDK's, or OpenSSL's for inputs whose first byte is odd where it loads.
 */
class TlsServerFuzzTest {
    private static EventLoop loop;
    private static TlsConfig jdk;
    private static TlsConfig openssl;
    private static long fdsBefore;

    private static synchronized void start() throws Exception {
        if (loop != null) {
            return;
        }
        new java.net.Socket().close(); // java.net's own descriptor, kept for the JVM's life, before counting
        fdsBefore = Loopback.openFds();
        loop = EventLoop.start("tls-fuzz");
        // Every input ends with a FIN, which closes a handshake left half done: the timeout only
        // bounds a hang, and must not be what closes an input on a slow machine.
        jdk = TlsConfig.server().engine(TlsConfig.Engine.JDK).certificate(TlsTestKeys.chain("ec"), TlsTestKeys.key("ec"))
                .alpn("h2", "http/1.1").handshakeTimeout(Duration.ofSeconds(20)).build();
        if (io.ffpoll.multiplexer.tls.openssl.OpenSslTlsFactory.enabled()) {
            openssl = TlsConfig.server().engine(TlsConfig.Engine.OPENSSL)
                    .certificate(TlsTestKeys.chain("ec"), TlsTestKeys.key("ec")).alpn("h2", "http/1.1").build();
        }
        loop.submit(() -> {
            LoopIo io = LoopIo.of(loop);
            io.tlsPlain();
            io.tlsScratch();
            return null;
        }).get(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        if (loop != null) {
            loop.close();
            loop = null;
            // At most: the fuzzing harness may close descriptors of its own meanwhile.
            long now = Loopback.openFds();
            assertTrue(now <= fdsBefore, "file descriptors leaked: " + fdsBefore + " before, " + now + " after");
        }
    }

    /** What the server's handler heard. */
    private static final class Heard implements ConnectionHandler {
        final AtomicInteger opens = new AtomicInteger();
        final AtomicInteger closes = new AtomicInteger();
        final CompletableFuture<IOException> closed = new CompletableFuture<>();

        @Override
        public void onOpen(Connection c) {
            opens.incrementAndGet();
        }

        @Override
        public long onData(Connection c, MemorySegment data) {
            return data.byteSize();
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
            closes.incrementAndGet();
            closed.complete(cause);
        }
    }

    @FuzzTest(maxDuration = "45s")
    void theServerSurvivesAnyBytes(byte[] in) throws Exception {
        start();
        TlsConfig config = openssl != null && in.length > 0 && (in[0] & 1) == 1 ? openssl : jdk;
        int[] pair = new int[2];
        int r = Platform.current().unix().unixStreamPair(pair);
        assertEquals(0, r, "socketpair");
        int client = pair[0];
        Heard heard = new Heard();
        Connection.open(loop, pair[1], null, config, heard).get(30, TimeUnit.SECONDS);
        try {
            send(client, in);
            Platform.current().shutdownOutput(client);
            IOException cause = heard.closed.get(30, TimeUnit.SECONDS);
            if (!(cause instanceof SSLException) && !(cause instanceof EOFException)) {
                fail("closed with " + cause, cause);
            }
        } finally {
            Platform.current().close(client);
        }
        assertEquals(0, heard.opens.get(), "no handshake can complete without the server's answers");
        assertEquals(1, heard.closes.get());
        long[] state = loop.submit(() -> {
            LoopIo io = LoopIo.of(loop);
            return new long[] {io.openConnections(), io.pool.inUseCount()};
        }).get(30, TimeUnit.SECONDS);
        assertEquals(0, state[0], "connections open");
        assertEquals(TlsTestBase.SHARED_BUFFERS, state[1], "pooled buffers in use");
    }

    /** Sends all of {@code in} to the non-blocking {@code fd}, or as much as the server reads before it closes. */
    private static void send(int fd, byte[] in) {
        if (in.length == 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(in.length);
            MemorySegment.copy(in, 0, buf, ValueLayout.JAVA_BYTE, 0, in.length);
            long done = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (done < in.length) {
                long n = Platform.current().send(fd, buf.asSlice(done), in.length - done, false);
                if (n == -Err.EAGAIN) {
                    assertTrue(System.nanoTime() < deadline, "the server stopped reading without closing");
                    Thread.onSpinWait();
                    continue;
                }
                if (n < 0) {
                    return; // EPIPE, ECONNRESET: the server refused and closed
                }
                done += n;
            }
        }
    }
}
