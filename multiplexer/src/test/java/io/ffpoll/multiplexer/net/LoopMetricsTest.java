package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.internal.Faults;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.LoopMetrics;
import io.ffpoll.multiplexer.Timer;
import io.ffpoll.multiplexer.testing.Await;
import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loop's metrics count exactly the traffic and work the test made: bytes, accepts, accept
 * errors by errno, datagrams, tasks, timers, wakeups, back-pressure; read from another thread,
 * and summed over a group.
 */
class LoopMetricsTest extends LoopTestBase {

    private static final class Echo implements ConnectionHandler {
        @Override
        public long onData(Connection c, MemorySegment data) {
            c.write(data);
            return data.byteSize();
        }
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + i * 13);
        }
        return b;
    }

    @Test
    void streamBytesAcceptsAndOpenConnectionsAreExact() throws Exception {
        serveConnections(Echo::new);
        LoopMetrics before = loop.metrics();
        int total = 0;
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 5; i++) {
                byte[] sent = pattern(1000 + 7919 * i, i);
                out.write(sent);
                assertArrayEquals(sent, in.readNBytes(sent.length), "echo " + i);
                total += sent.length;
            }
            int expected = total;
            Await.until(() -> loop.metrics().bytesOut() - before.bytesOut() == expected, "the echo counted");
            LoopMetrics open = loop.metrics();
            assertEquals(1, open.openConnections());
            assertEquals(1, open.accepts() - before.accepts());
            assertEquals(total, open.bytesIn() - before.bytesIn());
            assertEquals(total, open.bytesOut() - before.bytesOut());
            assertTrue(open.events() - before.events() >= 5, "at least one event per message");
        }
        Await.until(() -> loop.metrics().openConnections() == 0, "the connection's close counted");
        LoopMetrics after = loop.metrics();
        assertEquals(total, after.bytesIn() - before.bytesIn(), "end of stream reads no byte");
        assertEquals(total, after.bytesOut() - before.bytesOut());
        assertEquals(Map.of(), after.acceptErrors());
        assertTrue(after.busyNanos() > 0 && after.idleNanos() > 0, after.toString());
    }

    @Test
    void tasksTimersAndWakeupsAreExact() throws Exception {
        try (EventLoop own = EventLoop.start("metrics-own")) {
            // A wakeup is counted when it cost its waker a write: here, this thread's.
            long writes = Syscalls.count("write", Thread.currentThread());
            for (int i = 0; i < 20; i++) {
                own.submit(() -> null).get(30, TimeUnit.SECONDS);
            }
            Await.until(() -> own.metrics().tasksRun() == 20, "20 tasks counted");
            LoopMetrics tasks = own.metrics();
            long signalled = Syscalls.count("write", Thread.currentThread()) - writes;
            assertEquals(signalled, tasks.wakeups(), "one wakeup per eventfd write");
            assertEquals(0, tasks.timersFired());
            assertTrue(tasks.iterations() >= signalled, "a wakeup ends a poll: " + tasks);

            CountDownLatch ran = new CountDownLatch(7);
            own.schedule(Duration.ZERO, ran::countDown);
            own.schedule(Duration.ofMillis(1), ran::countDown);
            own.schedule(Duration.ofMillis(2), ran::countDown);
            AtomicInteger periodicRuns = new AtomicInteger();
            Timer[] periodic = new Timer[1];
            own.submit(() -> {
                periodic[0] = own.scheduleAtFixedRate(Duration.ZERO, Duration.ofMillis(1), () -> {
                    ran.countDown();
                    if (periodicRuns.incrementAndGet() == 4) {
                        periodic[0].cancel();
                    }
                });
                return null;
            }).get(30, TimeUnit.SECONDS);
            assertTrue(ran.await(60, TimeUnit.SECONDS));
            // The 3 schedule() calls from this thread are tasks on the loop; so is the submit.
            Await.until(() -> own.metrics().tasksRun() == 24, "the schedules' tasks counted");
            Await.until(() -> own.metrics().timersFired() == 7, "7 timer runs counted");
            own.submit(() -> null).get(30, TimeUnit.SECONDS);
            Await.until(() -> own.metrics().tasksRun() == 25, "one more task counted");
            assertEquals(7, own.metrics().timersFired(), "each run of the periodic timer counted once, and no more");
        }
    }

    /** A loop blocked in its poll counts the wait as idle time while it lasts, not only once it ends. */
    @Test
    void aLongWaitIsIdleTimeWhileItLasts() throws Exception {
        try (EventLoop own = EventLoop.start("metrics-idle")) {
            own.submit(() -> null).get(30, TimeUnit.SECONDS);
            LoopMetrics before = own.metrics();
            // Nothing wakes the loop: its wait counts while it lasts (before, it counted once it ended).
            Await.until(() -> own.metrics().idleNanos() - before.idleNanos() > TimeUnit.MILLISECONDS.toNanos(50),
                    "50 ms more of idle time, with the loop still waiting");
        }
    }

    @Test
    void pausedConnectionsFollowTheWatermarks() throws Exception {
        byte[] payload = pattern(24 << 20, 3); // more than both sockets' kernel buffers hold
        serveConnections(() -> new ConnectionHandler() {
            @Override
            public void onOpen(Connection c) {
                c.write(payload); // far above the high watermark: unwritable at once
            }

            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }
        });
        try (Socket reader = new Socket(address.getAddress(), address.getPort());
             Socket stalled = new Socket(address.getAddress(), address.getPort())) {
            reader.setSoTimeout(30_000);
            Await.until(() -> loop.metrics().pausedConnections() == 2, "both connections paused");
            assertEquals(2, loop.metrics().pauses());
            assertArrayEquals(payload, reader.getInputStream().readNBytes(payload.length), "all bytes, in order");
            Await.until(() -> loop.metrics().pausedConnections() == 1, "the reader's connection resumed");
            assertEquals(2, loop.metrics().pauses(), "a resume is no pause");
            stalled.setSoLinger(true, 0); // a reset: the server closes a connection that is still paused
        }
        Await.until(() -> loop.metrics().openConnections() == 0, "both closed");
        assertEquals(0, loop.metrics().pausedConnections(), "a paused connection that closes is no longer paused");
        assertEquals(2, loop.metrics().pauses());
    }

    @Test
    void acceptErrorsAreCountedByErrno() throws Exception {
        Listener listener = serveConnections(Echo::new);
        // IORING_OP_ACCEPT: where the ring accepts (io_uring), its take fails as accept4 would.
        Faults.install(1, List.of(new Faults.Rule("accept4", Err.EMFILE, 1.0),
                new Faults.Rule("IORING_OP_ACCEPT", Err.EMFILE, 1.0)), loop.name());
        try (Socket s = new Socket(address.getAddress(), address.getPort())) { // the kernel completes the handshake
            s.setSoTimeout(30_000);
            Await.until(() -> listener.pauses() >= 2, "accepting paused twice");
            Faults.clear();
            s.getOutputStream().write(1);
            assertEquals(1, s.getInputStream().read(), "accepted once descriptors were free");
            LoopMetrics m = loop.metrics();
            assertEquals(listener.pauses(), (long) m.acceptErrors().get("EMFILE"), "one failed accept per pause");
            assertEquals(m.acceptErrors().keySet(), java.util.Set.of("EMFILE"));
            assertEquals(listener.pauses(), m.acceptErrorsTotal());
            assertEquals(1, m.accepts());
        } finally {
            Faults.clear();
        }
    }

    @Test
    void datagramsInAndOutAreExact() throws Exception {
        DatagramEndpoint echo = DatagramEndpoint.bind(loop, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                DatagramOptions.DEFAULTS, (endpoint, payload, sender) -> endpoint.send(payload, sender))
                .get(30, TimeUnit.SECONDS);
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            client.setSoTimeout(30_000);
            for (int i = 0; i < 50; i++) {
                byte[] sent = pattern(i * 20, i);
                client.send(new DatagramPacket(sent, sent.length, echo.localAddress()));
                DatagramPacket back = new DatagramPacket(new byte[2048], 2048);
                client.receive(back);
                assertEquals(sent.length, back.getLength());
            }
        }
        Await.until(() -> loop.metrics().datagramsOut() == 50, "50 echoes counted");
        assertEquals(50, loop.metrics().datagramsIn());
        assertEquals(0, loop.metrics().bytesIn(), "datagrams are not stream bytes");
        echo.closeAsync().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aGroupSumsItsLoopsAndAClosedLoopKeepsItsFigures() throws Exception {
        EventLoopGroup group = EventLoopGroup.start("metrics-group", 2);
        try {
            for (int l = 0; l < 2; l++) {
                for (int i = 0; i < 3 + l; i++) {
                    group.get(l).submit(() -> null).get(30, TimeUnit.SECONDS);
                }
            }
            Await.until(() -> group.metrics().tasksRun() == 7, "the group's tasks counted");
            LoopMetrics sum = group.metrics();
            assertEquals("metrics-group", sum.loop());
            List<LoopMetrics> parts = group.loopMetrics();
            assertEquals(List.of("metrics-group-0", "metrics-group-1"), parts.stream().map(LoopMetrics::loop).toList());
            assertEquals(parts.get(0).wakeups() + parts.get(1).wakeups(), sum.wakeups());
        } finally {
            group.close();
        }
        assertEquals(3, group.get(0).metrics().tasksRun(), "read after close");
        assertEquals(4, group.get(1).metrics().tasksRun(), "read after close");
    }

    /**
     * Once a poll returns, the time the loop then spends on its events and tasks is busy time:
     * a reader must not go on counting it as the wait that ended, and must never see idle time
     * go back when the loop later publishes what the wait really lasted.
     */
    @Test
    void aWaitThatEndedStopsCountingAsIdle() throws Exception {
        try (EventLoop own = EventLoop.start("metrics-woken")) {
            own.submit(() -> null).get(30, TimeUnit.SECONDS);
            long[] idle = own.submit(() -> {
                long first = own.metrics().idleNanos();
                long from = System.nanoTime();
                while (System.nanoTime() - from < TimeUnit.MILLISECONDS.toNanos(20)) {
                    Thread.onSpinWait(); // busy, on the loop, after the poll that woke it
                }
                return new long[] {first, own.metrics().idleNanos()};
            }).get(30, TimeUnit.SECONDS);
            assertEquals(idle[0], idle[1], "idle time grew while the loop ran a task");
            own.submit(() -> null).get(30, TimeUnit.SECONDS);
            assertTrue(own.metrics().idleNanos() >= idle[1], "idle time went back");
        }
    }

    @Test
    void anotherThreadReadsMonotonicSnapshotsWhileTheLoopWorks() throws Exception {
        AtomicInteger failures = new AtomicInteger();
        Thread reader = Thread.ofPlatform().start(() -> {
            LoopMetrics last = loop.metrics();
            while (!Thread.currentThread().isInterrupted()) {
                LoopMetrics now = loop.metrics();
                if (now.iterations() < last.iterations() || now.tasksRun() < last.tasksRun()
                        || now.busyNanos() < last.busyNanos() || now.idleNanos() < last.idleNanos()) {
                    failures.incrementAndGet();
                }
                last = now;
            }
        });
        for (int i = 0; i < 2000; i++) {
            loop.execute(() -> { });
        }
        loop.submit(() -> null).get(30, TimeUnit.SECONDS);
        reader.interrupt();
        reader.join();
        assertEquals(0, failures.get());
        Await.until(() -> loop.metrics().tasksRun() == 2001, "2001 tasks counted");
    }
}
