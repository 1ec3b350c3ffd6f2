package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.internal.Faults;
import io.ffpoll.multiplexer.testing.Await;
import io.ffpoll.multiplexer.testing.LoopTestBase;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loop's JFR events, recorded with the settings the project ships (jfr/ffpoll.jfc) and read
 * back from the file: a handler that blocks its loop, a peer that does not read, accept under
 * EMFILE, connections opening and closing, and the periodic metrics.
 */
class LoopJfrEventsTest extends LoopTestBase {
    private static final Path SHIPPED_SETTINGS = Path.of("..", "jfr", "ffpoll.jfc");

    @TempDir
    Path dir;
    private Recording recording;

    private Recording record() throws Exception {
        recording = new Recording(Configuration.create(SHIPPED_SETTINGS));
        recording.start();
        return recording;
    }

    /** Stops the recording and reads back its events named {@code eventName}. */
    private List<RecordedEvent> stopAndRead(String eventName) throws IOException {
        recording.stop();
        Path file = dir.resolve("rec.jfr");
        recording.dump(file);
        recording.close();
        recording = null;
        return read(file, eventName);
    }

    private static List<RecordedEvent> read(Path file, String eventName) throws IOException {
        return RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals(eventName))
                .toList();
    }

    @AfterEach
    void closeRecording() {
        Faults.clear();
        if (recording != null) {
            recording.close();
        }
    }

    /**
     * How long a blocked callback runs: ten shipped thresholds, so that on a loaded machine the
     * sampler, woken at the threshold, still finds it running and takes its stack.
     */
    static final long BLOCK_MS = 200;

    /**
     * Starts a recording and waits until the stack sampler runs and has read the recording's
     * thresholds (it parks between looks): started by the first iteration timed, it may take
     * longer than one blocked callback to begin on a loaded machine, and a callback that ends
     * before it looks has no stack.
     */
    private void recordWithSampler() throws Exception {
        record();
        loop.submit(() -> null).get(30, TimeUnit.SECONDS);
        Await.until(() -> Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("ffpoll-stack-sampler") && t.getState() == Thread.State.TIMED_WAITING),
                "the sampler parked between looks");
    }

    /** Sleeps {@link #BLOCK_MS} on the loop thread for every message, then echoes it. */
    static final class SleepingHandler implements ConnectionHandler {
        @Override
        public long onData(Connection c, MemorySegment data) {
            blockTheLoop();
            c.write(data);
            return data.byteSize();
        }

        static void blockTheLoop() {
            try {
                Thread.sleep(BLOCK_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void aHandlerThatBlocksItsLoopIsNamedWithItsStack() throws Exception {
        serveConnections(SleepingHandler::new);
        recordWithSampler();
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(7);
            assertEquals(7, s.getInputStream().read());
        }
        loop.submit(() -> null).get(30, TimeUnit.SECONDS); // the stalled iteration has ended
        // Only the handler's: a first accept that links lambdas under JFR may be slow too.
        List<RecordedEvent> slow = stopAndRead("ffpoll.SlowHandler").stream()
                .filter(e -> e.getString("callback").startsWith(SleepingHandler.class.getName())).toList();
        assertEquals(1, slow.size(), slow.toString());
        RecordedEvent e = slow.getFirst();
        assertEquals(loop.name(), e.getString("loop"));
        assertEquals("event", e.getString("kind"));
        assertTrue(e.getString("callback").startsWith(SleepingHandler.class.getName()), e.getString("callback"));
        assertTrue(e.getString("stack").contains("SleepingHandler.blockTheLoop"), e.getString("stack"));
        assertTrue(e.getDuration().toMillis() >= 20, "past the shipped threshold: " + e.getDuration());
    }

    /** Blocks the loop for every readiness of its pipe; named in the events by its class. */
    static final class SleepingWatcher implements io.ffpoll.multiplexer.FdWatch.Handler {
        @Override
        public void onReady(io.ffpoll.multiplexer.FdWatch watch, io.ffpoll.multiplexer.Event event) {
            SleepingHandler.blockTheLoop();
            try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                io.ffpoll.multiplexer.testing.Loopback.OS.read(watch.fd(), a.allocate(16), 16);
            }
        }
    }

    /** An fd watch's slow callback names the watch and the user's handler, not a lambda of the library's. */
    @Test
    void aSlowFdWatchIsNamedByItsFdAndHandler() throws Exception {
        int[] fds = new int[2];
        assertEquals(0, io.ffpoll.bindings.Processes.pipe(fds));
        try {
            assertEquals(0, io.ffpoll.multiplexer.testing.Loopback.OS.setBlocking(fds[0], false));
            io.ffpoll.multiplexer.FdWatch watch = io.ffpoll.multiplexer.FdWatch.start(loop, fds[0],
                    io.ffpoll.multiplexer.Interest.READABLE, new SleepingWatcher()).get(30, TimeUnit.SECONDS);
            recordWithSampler();
            try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                assertEquals(1, io.ffpoll.multiplexer.testing.Loopback.OS.write(fds[1], a.allocate(1), 1));
            }
            loop.submit(() -> null).get(30, TimeUnit.SECONDS); // the slow callback has run
            List<RecordedEvent> slow = stopAndRead("ffpoll.SlowHandler").stream()
                    .filter(e -> e.getString("callback").contains(SleepingWatcher.class.getName())).toList();
            assertEquals(1, slow.size(), slow.toString());
            assertEquals("fd watch of fd " + fds[0] + " (" + SleepingWatcher.class.getName() + ")",
                    slow.getFirst().getString("callback"));
            watch.close();
            watch.closed().get(30, TimeUnit.SECONDS);
        } finally {
            io.ffpoll.multiplexer.testing.Loopback.OS.close(fds[0]);
            io.ffpoll.multiplexer.testing.Loopback.OS.close(fds[1]);
        }
    }

    @Test
    void aStalledIterationNamesItsLongestCallback() throws Exception {
        recordWithSampler();
        loop.execute(SleepingHandler::blockTheLoop);
        loop.execute(() -> { }); // quick: not the longest
        loop.submit(() -> null).get(30, TimeUnit.SECONDS);
        loop.submit(() -> null).get(30, TimeUnit.SECONDS); // an iteration after the stall has ended
        recording.stop();
        Path file = dir.resolve("stall.jfr");
        recording.dump(file);
        List<RecordedEvent> stalls = read(file, "ffpoll.LoopStall").stream()
                .filter(e -> e.getString("stack").contains("blockTheLoop")).toList();
        List<RecordedEvent> slow = read(file, "ffpoll.SlowHandler").stream()
                .filter(e -> e.getString("callback").contains("LoopJfrEventsTest")).toList();
        assertEquals(1, stalls.size(), stalls.toString());
        RecordedEvent stall = stalls.getFirst();
        assertEquals(loop.name(), stall.getString("loop"));
        assertEquals("task", stall.getString("kind"));
        assertTrue(stall.getString("callback").contains("LoopJfrEventsTest"), stall.getString("callback"));
        assertTrue(stall.getString("stack").contains("SleepingHandler.blockTheLoop"), stall.getString("stack"));
        assertTrue(stall.getLong("callbackDuration") >= TimeUnit.MILLISECONDS.toNanos(BLOCK_MS));
        assertTrue(stall.getDuration().compareTo(Duration.ofNanos(stall.getLong("callbackDuration"))) >= 0);
        assertEquals(1, slow.size(), "the one slow task, and not the quick one: " + slow);
    }

    /**
     * What a flush before the poll runs (here a handler told it may write again) is timed too,
     * as a "flush"; on io_uring, as the send's "completion".
     */
    @Test
    void aSlowCallbackInTheFlushBeforeThePollIsAFlush() throws Exception {
        byte[] reply = new byte[100 * 1024]; // above the high watermark: unwritable until the flush sends it
        serveConnections(() -> new ConnectionHandler() {
            @Override
            public long onData(Connection c, MemorySegment data) {
                c.write(reply);
                return data.byteSize();
            }

            @Override
            public void onWritabilityChanged(Connection c, boolean writable) {
                if (writable) {
                    SleepingHandler.blockTheLoop();
                }
            }
        });
        recordWithSampler();
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(1);
            assertEquals(reply.length, s.getInputStream().readNBytes(reply.length).length);
        }
        loop.submit(() -> null).get(30, TimeUnit.SECONDS);
        List<RecordedEvent> slow = stopAndRead("ffpoll.SlowHandler").stream()
                .filter(e -> e.getString("stack").contains("blockTheLoop")).toList();
        assertEquals(1, slow.size(), slow.toString());
        // On io_uring the ring sends, and the handler hears of it from the send's completion.
        assertEquals(loop.backend().equals("io_uring") ? "completion" : "flush", slow.getFirst().getString("kind"));
        assertTrue(slow.getFirst().getString("stack").contains("onWritabilityChanged"), slow.getFirst().getString("stack"));
    }

    @Test
    void aPeerThatDoesNotReadPausesTheConnectionUntilItReads() throws Exception {
        byte[] payload = new byte[24 << 20];
        serveConnections(() -> new ConnectionHandler() {
            @Override
            public void onOpen(Connection c) {
                c.write(payload);
            }

            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }
        });
        record();
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout(30_000);
            Await.until(() -> loop.metrics().pausedConnections() == 1, "the connection paused");
            assertEquals(payload.length, s.getInputStream().readNBytes(payload.length).length);
            Await.until(() -> loop.metrics().pausedConnections() == 0, "the connection resumed");
        }
        List<RecordedEvent> events = stopAndRead("ffpoll.BackPressure");
        assertEquals(2, events.size(), events.toString());
        assertTrue(events.get(0).getBoolean("paused"));
        assertEquals(payload.length, events.get(0).getLong("queuedBytes"));
        assertFalse(events.get(1).getBoolean("paused"));
        assertTrue(events.get(1).getLong("queuedBytes") <= Connection.DEFAULT_LOW_WATERMARK);
        assertEquals(events.get(0).getString("connection"), events.get(1).getString("connection"));
    }

    @Test
    void acceptUnderEmfileIsRecordedWithItsErrno() throws Exception {
        Listener listener = serveConnections(SleepingHandler::new);
        record();
        // IORING_OP_ACCEPT: where the ring accepts (io_uring), its take fails as accept4 would.
        Faults.install(1, List.of(new Faults.Rule("accept4", Err.EMFILE, 1.0),
                new Faults.Rule("IORING_OP_ACCEPT", Err.EMFILE, 1.0)), loop.name());
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            Await.until(() -> listener.pauses() >= 1, "accepting paused");
            Faults.clear();
            Await.until(() -> loop.metrics().accepts() == 1, "accepted once descriptors were free");
        }
        List<RecordedEvent> failures = stopAndRead("ffpoll.AcceptFailure");
        assertTrue(failures.size() >= 1);
        assertEquals(loop.metrics().acceptErrorsTotal(), failures.size(), "one event per failed accept");
        for (RecordedEvent e : failures) {
            assertEquals(Err.EMFILE, e.getInt("errno"));
            assertTrue(e.getString("error").startsWith("EMFILE"), e.getString("error"));
            assertEquals(loop.name(), e.getString("loop"));
        }
    }

    @Test
    void connectionEventsAreOffByDefaultAndCarryBytesAndLifetimeWhenOn() throws Exception {
        serveConnections(SleepingHandler::new);
        record();
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.getOutputStream().write(1);
            assertEquals(1, s.getInputStream().read());
        }
        Await.until(() -> loop.metrics().openConnections() == 0, "closed");
        assertEquals(List.of(), stopAndRead("ffpoll.ConnectionClosed"), "off in the shipped settings");

        recording = new Recording();
        recording.enable("ffpoll.ConnectionOpened");
        recording.enable("ffpoll.ConnectionClosed");
        recording.start();
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.getOutputStream().write(new byte[] {1, 2, 3});
            assertEquals(3, s.getInputStream().readNBytes(3).length);
        }
        Await.until(() -> loop.metrics().openConnections() == 0, "closed");
        recording.stop();
        Path file = dir.resolve("conn.jfr");
        recording.dump(file);
        List<RecordedEvent> opened = read(file, "ffpoll.ConnectionOpened");
        List<RecordedEvent> closed = read(file, "ffpoll.ConnectionClosed");
        assertEquals(1, opened.size());
        assertEquals(1, closed.size());
        assertEquals(3, closed.getFirst().getLong("bytesIn"));
        assertEquals(3, closed.getFirst().getLong("bytesOut"));
        assertTrue(closed.getFirst().getLong("lifetime") > 0);
        assertEquals(opened.getFirst().getString("connection"), closed.getFirst().getString("connection"));
    }

    @Test
    void theLoopsMetricsAreRecordedPeriodically() throws Exception {
        recording = new Recording();
        recording.enable("ffpoll.LoopMetrics").withPeriod(Duration.ofMillis(20));
        recording.start();
        loop.submit(() -> null).get(30, TimeUnit.SECONDS);
        long tasks = loop.metrics().tasksRun();
        // Two periods at least: wait until a second event can be seen in a dump.
        Path file = dir.resolve("periodic.jfr");
        Await.until(() -> {
            try {
                recording.dump(file);
                return read(file, "ffpoll.LoopMetrics").stream().filter(e -> e.getString("loop").equals(loop.name()))
                        .count() >= 2;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }, "two periodic events for the loop");
        RecordedEvent last = read(file, "ffpoll.LoopMetrics").stream().filter(e -> e.getString("loop").equals(loop.name()))
                .reduce((a, b) -> b).orElseThrow();
        assertTrue(last.getLong("tasksRun") >= tasks, last.toString());
        assertTrue(last.getLong("iterations") >= 1, last.toString());
    }

    /** A recording of the shipped settings with 10 s thresholds, under which the loop times its callbacks. */
    private Recording timingWithHighThresholds() throws Exception {
        Map<String, String> high = new HashMap<>(Configuration.create(SHIPPED_SETTINGS).getSettings());
        high.put("ffpoll.SlowHandler#threshold", "10 s");
        high.put("ffpoll.LoopStall#threshold", "10 s");
        Recording first = new Recording(high);
        first.start();
        loop.submit(() -> null).get(30, TimeUnit.SECONDS);
        loop.submit(() -> null).get(30, TimeUnit.SECONDS); // the loop times its callbacks now
        return first;
    }

    /**
     * A loop timing its callbacks for a recording whose thresholds are high skips the events'
     * end() on short callbacks; a second recording with a lower threshold must count from its
     * start, not from when the sampler next reads the settings (once a second).
     */
    @Test
    void aLowerThresholdAppliesFromTheRecordingsStart() throws Exception {
        try (Recording first = timingWithHighThresholds()) {
            Map<String, String> zero = new HashMap<>(Configuration.create(SHIPPED_SETTINGS).getSettings());
            zero.put("ffpoll.SlowHandler#threshold", "0 ms");
            recording = new Recording(zero);
            recording.start();
            loop.execute(new QuickTask());
            loop.submit(() -> null).get(30, TimeUnit.SECONDS);
            List<RecordedEvent> slow = stopAndRead("ffpoll.SlowHandler").stream()
                    .filter(e -> e.getString("callback").equals(QuickTask.class.getName())).toList();
            assertEquals(1, slow.size(), slow.toString());
            assertEquals("task", slow.getFirst().getString("kind"));
        }
    }

    /**
     * A recording that names the event by its name (the shipped settings) and enables it by its
     * class with a lower threshold: JFR applies the lower one, and so must the loop.
     */
    @Test
    void aThresholdSetByTheEventsClassCountsBesideOneSetByName() throws Exception {
        recording = new Recording(Configuration.create(SHIPPED_SETTINGS));
        recording.enable(io.ffpoll.multiplexer.observe.SlowHandlerEvent.class).withThreshold(Duration.ZERO);
        recording.start();
        loop.submit(() -> null).get(30, TimeUnit.SECONDS);
        loop.execute(new QuickTask());
        loop.submit(() -> null).get(30, TimeUnit.SECONDS);
        List<RecordedEvent> slow = stopAndRead("ffpoll.SlowHandler").stream()
                .filter(e -> e.getString("callback").equals(QuickTask.class.getName())).toList();
        assertEquals(1, slow.size(), slow.toString());
    }

    /**
     * A recording started while a callback runs (as one is when a loop is seen stuck) writes that
     * callback's event when it returns, though the loop began the iteration under a recording
     * whose threshold is far higher.
     */
    @Test
    void aRecordingStartedDuringALongCallbackWritesIt() throws Exception {
        try (Recording first = timingWithHighThresholds()) {
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch recordingStarted = new CountDownLatch(1);
            loop.execute(new BlockedTask(running, recordingStarted));
            assertTrue(running.await(30, TimeUnit.SECONDS));
            record(); // the shipped 20 ms thresholds
            recordingStarted.countDown();
            loop.submit(() -> null).get(30, TimeUnit.SECONDS);
            List<RecordedEvent> slow = stopAndRead("ffpoll.SlowHandler").stream()
                    .filter(e -> e.getString("callback").equals(BlockedTask.class.getName())).toList();
            assertEquals(1, slow.size(), slow.toString());
        }
    }

    /** Runs until told, then BLOCK_MS more: past the shipped threshold after a recording starts. */
    record BlockedTask(CountDownLatch running, CountDownLatch release) implements Runnable {
        @Override
        public void run() {
            running.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            SleepingHandler.blockTheLoop();
        }
    }

    /** A task with a class of its own, so that its event is told from the others. */
    static final class QuickTask implements Runnable {
        @Override
        public void run() {
        }
    }

    @Test
    void theSamplerThreadEndsOnceNoRecordingWantsStacks() throws Exception {
        record();
        loop.submit(() -> null).get(30, TimeUnit.SECONDS);
        Await.until(() -> samplerRunning(), "the sampler started");
        recording.close();
        recording = null;
        loop.submit(() -> null).get(30, TimeUnit.SECONDS); // the next iteration sees the events disabled
        loop.submit(() -> null).get(30, TimeUnit.SECONDS);
        Await.until(() -> !samplerRunning(), "the sampler ended");
        assertTrue(Files.exists(SHIPPED_SETTINGS));
    }

    private static boolean samplerRunning() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("ffpoll-stack-sampler"));
    }
}
