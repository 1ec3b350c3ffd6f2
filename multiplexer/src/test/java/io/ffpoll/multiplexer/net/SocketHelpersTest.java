package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.Loopback;
import io.ffpoll.multiplexer.Event;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.testing.LoopTestBase;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.example.EchoClient;
import io.ffpoll.multiplexer.example.EchoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Listener, Connector and the echo example on a real loop over loopback. */
class SocketHelpersTest extends LoopTestBase {

    private record Accepted(int fd, InetSocketAddress peer) {}

    @Test
    void listenerAcceptsWithThePeerAddressAndNonBlockingFds() throws Exception {
        int lfd = Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128, true);
        InetSocketAddress address = Tcp.localAddress(lfd);
        BlockingQueue<Accepted> accepted = new LinkedBlockingQueue<>();
        Listener listener = Listener.start(loop, lfd, (fd, peer) -> accepted.add(new Accepted(fd, peer)))
                .get(30, TimeUnit.SECONDS);
        for (int i = 0; i < 3; i++) {
            int client = net.connect(address);
            Accepted a = accepted.poll(5, TimeUnit.SECONDS);
            assertNotNull(a, "connection " + i + " not accepted");
            net.track(a.fd());
            assertEquals(net.address(client), a.peer());
            assertEquals(1, Loopback.OS.isNonBlocking(a.fd()));
            assertEquals(1, Loopback.OS.isCloseOnExec(a.fd()));
        }
        onLoop(() -> {
            listener.closeAsync().get(30, TimeUnit.SECONDS);
            return null;
        });
    }

    /**
     * Also while JFR records ffpoll's events ("jfr"): each failed accept is then an
     * AcceptFailure event. And on io_uring, whose ring accepts (Linux >= 5.19): there the
     * kernel's multishot accept fails with EMFILE and ends.
     */
    @ParameterizedTest
    @CsvSource({"plain,epoll", "jfr,epoll", "plain,io_uring", "jfr,io_uring"})
    void runningOutOfDescriptorsPausesAcceptingInsteadOfSpinning(String mode, String engine) throws Exception {
        if (engine.equals("io_uring")) {
            io.ffpoll.multiplexer.testing.IoUringSupport.assumeAvailable();
        }
        // Filling the fd table is done in a child JVM with a small fd limit: here it would
        // starve the test JVM's other threads, and take long where the limit is high.
        String javaBin = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder("sh", "-c", "ulimit -n 256 && exec \"$0\" \"$@\"", javaBin,
                "--enable-native-access=ALL-UNNAMED", "-Dffpoll.countSyscalls=true", "-Dffpoll.engine=" + engine,
                "-cp", System.getProperty("java.class.path"), EmfileProbe.class.getName(), mode)
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        String output;
        try (java.io.InputStream out = p.getInputStream()) {
            output = new String(out.readAllBytes());
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe did not finish");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "RESULT attempts=(\\d+) emfile=(\\d+) pauses=(\\d+) acceptedUnderEmfile=(\\w+) acceptedAfter=(\\w+)").matcher(output);
        assertTrue(m.find(), "no result from the probe: " + output);
        long syscalls = Long.parseLong(m.group(1));
        long pauses = Long.parseLong(m.group(3));
        // One try per 100 ms pause (a spinning loop would make thousands in that time): an
        // accept4 call on epoll, a failed accept completion on the ring (which makes no accept4).
        long attempts = engine.equals("io_uring") ? Long.parseLong(m.group(2)) : syscalls;
        assertTrue(attempts >= 1 && attempts <= pauses + 2, attempts + " accept tries over " + pauses + " pauses: " + output);
        assertEquals("false", m.group(4), "accepted although no fd was free");
        assertEquals("true", m.group(5), "the connection was not accepted once descriptors were free again");
        assertEquals(0, p.exitValue(), output);
        if (mode.equals("jfr")) {
            java.util.regex.Matcher events = java.util.regex.Pattern.compile("acceptFailureEvents=(\\d+)").matcher(output);
            assertTrue(events.find(), output);
            long failures = Long.parseLong(events.group(1));
            // One per failed accept: the probe counted the pauses, and a last one may come before it frees descriptors.
            assertTrue(failures >= pauses && failures <= pauses + 2, failures + " events over " + pauses + " pauses: " + output);
        }
    }

    @Test
    void nonBlockingConnectSucceedsOnceAndTheSocketIsThenUsable() throws Exception {
        int lfd = net.listen();
        InetSocketAddress address = net.address(lfd);
        CompletableFuture<Integer> connected = new CompletableFuture<>();
        CompletableFuture<Event> writable = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        loop.execute(() -> Connector.connect(loop, address, new Connector.ConnectHandler() {
            @Override
            public void connected(int fd) {
                calls.incrementAndGet();
                connected.complete(fd);
                loop.modify(fd, Interest.WRITABLE); // writability was remembered
            }

            @Override
            public void connectFailed(IOException cause) {
                calls.incrementAndGet();
                connected.completeExceptionally(cause);
            }

            @Override
            public void onEvent(Event event) {
                if (event.isWritable()) {
                    writable.complete(null);
                }
            }
        }));
        int fd = connected.get(5, TimeUnit.SECONDS);
        writable.get(5, TimeUnit.SECONDS);
        int server = net.accept(lfd);
        net.send(server, "hi".getBytes());
        awaitOnLoop(() -> {
            byte[] got = net.read(fd, 16);
            assertTrue(got == null || Arrays.equals("hi".getBytes(), got), Arrays.toString(got));
            return got != null;
        }, "the connected socket reads what the server sent");
        assertEquals(1, calls.get());
        onLoop(() -> {
            loop.deregisterAndClose(fd);
            return null;
        });
    }

    @Test
    void aRefusedConnectIsOneFailureAndTheLoopGoesOn() throws Exception {
        int lfd = net.listen();
        InetSocketAddress closedPort = net.address(lfd);
        net.close(lfd);
        List<IOException> failures = new CopyOnWriteArrayList<>();
        AtomicInteger connects = new AtomicInteger();
        loop.execute(() -> Connector.connect(loop, closedPort, new Connector.ConnectHandler() {
            @Override
            public void connected(int fd) {
                connects.incrementAndGet();
            }

            @Override
            public void connectFailed(IOException cause) {
                failures.add(cause);
            }

            @Override
            public void onEvent(Event event) {
                connects.incrementAndGet();
            }
        }));
        awaitOnLoop(() -> !failures.isEmpty(), "the refusal is reported");
        onLoop(() -> null); // a further loop turn, in which a second report would show up
        assertEquals(1, failures.size());
        assertEquals(0, connects.get());
        assertInstanceOf(ConnectException.class, failures.get(0));
        assertEquals("connect(" + closedPort + "): ECONNREFUSED (Connection refused)", failures.get(0).getMessage());
        assertEquals(42, (int) onLoop(() -> 42));
    }

    @Test
    void theEchoExamplesServeEachOtherAndEveryByteReturnsInOrder() throws Exception {
        int lfd = Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128, false);
        InetSocketAddress address = Tcp.localAddress(lfd);
        Listener listener = EchoServer.start(loop, lfd).get(30, TimeUnit.SECONDS);
        // A raw client streams more than the socket buffers hold: the server must pause reading.
        byte[] data = new byte[3 * 1024 * 1024];
        new Random(7).nextBytes(data);
        int client = net.connect(address);
        Thread writer = new Thread(() -> net.send(client, data));
        writer.start();
        byte[] back = net.readFully(client, data.length);
        writer.join();
        assertTrue(Arrays.equals(data, back), "echo corrupted the stream");
        net.close(client);
        // The example client, on the same loop, checks 20 echoes of 100 KiB byte for byte.
        EchoClient echoClient = new EchoClient(20, 100 * 1024);
        loop.execute(() -> Connection.connect(loop, address, echoClient));
        String summary = echoClient.result().get(30, TimeUnit.SECONDS);
        assertTrue(summary.startsWith("20 echoes of 102400 bytes"), summary);
        // Both sides close their connections: only the loop's own fds and the listener remain.
        awaitOnLoop(() -> ConnectionStats.of(loop).join().openConnections() == 0, "both sides closed their connections");
        onLoop(() -> {
            listener.closeAsync().get(30, TimeUnit.SECONDS);
            return null;
        });
    }
}
