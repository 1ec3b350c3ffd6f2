package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Servers started by a test are closed after it, once their connections are gone; then every
 * loop's buffer pool must hold only the buffers it shares among its connections (its read
 * buffer; with TLS, its plaintext buffer and scratch too), and the process as many fds as
 * before the test.
 */
abstract class HttpTestBase {
    static final String HOST = "Host: test\r\n";
    final List<HttpServer> servers = new ArrayList<>();
    /** On the rump kernel: one relay per server, from the host's loopback to the rump kernel's. */
    private final List<io.ffpoll.bindings.testing.rump.RumpRelay> relays = new ArrayList<>();
    private long fdsBefore;

    @BeforeAll
    static void warmUpJavaNet() throws IOException {
        // java.net keeps one fd for the life of the JVM from its first socket on (the one it
        // dup2s over sockets closed asynchronously): make it before counting.
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()); Socket c = new Socket()) {
            c.connect(s.getLocalSocketAddress(), 30_000);
        }
        // The JDK's NativePRNG keeps /dev/random and /dev/urandom open once used (java.net.http does).
        new java.security.SecureRandom().nextInt();
    }

    static long openFds() {
        return Loopback.openFds();
    }

    /** A builder for the backend under test: the OS's own here, kqueue in the Kqueue* subclasses. */
    HttpServer.Builder builder() {
        return HttpServer.builder();
    }

    /**
     * For the Kqueue* subclasses' {@code @BeforeAll}: skips them loudly without libkqueue, and
     * makes libkqueue's own thread and descriptors, which live as long as the process, before
     * any test counts descriptors.
     */
    static void requireKqueue() throws IOException {
        io.ffpoll.bindings.testing.Libkqueue.require();
        io.ffpoll.multiplexer.Poller.open("kqueue").close();
    }

    /**
     * For the Rump* subclasses' {@code @BeforeAll}: the NetBSD rump kernel becomes the platform
     * ({@code -Dffpoll.rump}, run alone with {@code -Dtest='Rump*'}), or they are skipped loudly.
     * Their servers run in the rump kernel and the tests' clients reach them through a relay
     * ({@link io.ffpoll.bindings.testing.rump.RumpRelay}).
     */
    static void requireRump() {
        io.ffpoll.bindings.testing.rump.Rump.require();
    }

    private static boolean onRump() {
        return io.ffpoll.bindings.testing.rump.Rump.active();
    }

    /** The Kqueue* subclasses' builder: kqueue, in acceptor mode, the default where the kernel does not balance listeners (macOS). */
    static HttpServer.Builder kqueueBuilder() {
        return HttpServer.builder().backend("kqueue").acceptMode(HttpServer.AcceptMode.ACCEPTOR);
    }

    @BeforeEach
    void countFds() {
        fdsBefore = openFds();
    }

    @AfterEach
    void stopServersAndCheckLeaks() throws Exception {
        try {
            for (HttpServer s : servers) {
                if (!s.isStopped()) {
                    await(() -> s.openConnections() == 0, "the server's connections closed");
                    // Each loop keeps its read buffer once a connection made it, and once it ran
                    // TLS its plaintext buffer and the engines' scratch too.
                    long kept = s.tlsLocalAddress() == null ? 1 : 3;
                    for (int i = 0; i < s.loopCount(); i++) {
                        long inUse = s.pooledBuffersInUse(i);
                        assertTrue(inUse <= kept, "loop " + i + " holds " + inUse + " buffers: more than the " + kept
                                + " it keeps for all its connections");
                    }
                }
            }
        } finally {
            servers.forEach(HttpServer::close);
            for (io.ffpoll.bindings.testing.rump.RumpRelay r : relays) {
                r.close();
            }
        }
        // libkqueue frees a closed kqueue's descriptors a moment later, on a thread of its own.
        Loopback.awaitOpenFdsAtMost(fdsBefore, "file descriptors leaked");
    }

    HttpServer start(HttpServer.Builder b) throws IOException {
        HttpServer s = b.address(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start();
        servers.add(s);
        if (onRump()) {
            relays.add(io.ffpoll.bindings.testing.rump.RumpRelay.mirror(s.address()));
        }
        return s;
    }

    HttpServer standard(int threads) throws IOException {
        return start(Main.withBuiltInRoutes(builder()).threads(threads).limits(1024, 4096, 64 * 1024));
    }

    /** Waits up to 30 s for {@code condition}. */
    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(1);
        }
    }
}
