package io.ffpoll.multiplexer;

import io.ffpoll.multiplexer.testing.Await;
import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Processes;
import io.ffpoll.bindings.linux.TimerFd;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FdWatch} on descriptors the test owns (a pipe), on this OS's backend; the kqueue
 * variant runs the same on libkqueue. Each test checks the descriptors are back where they
 * started, and that a watch leaves its fd open unless asked to close it.
 */
class FdWatchTest {
    static final Platform OS = Platform.current();
    long fdsBefore;
    EventLoop loop;
    Arena arena;

    Poller openPoller() throws IOException {
        return Poller.open();
    }

    @BeforeEach
    void startLoop() throws IOException {
        fdsBefore = Loopback.openFds();
        loop = EventLoop.start("fdwatch", openPoller(), 64);
        arena = Arena.ofShared();
    }

    @AfterEach
    void stopLoop() throws InterruptedException {
        loop.close();
        arena.close();
        Loopback.awaitOpenFdsAtMost(fdsBefore, "after " + getClass().getSimpleName());
        assertEquals(fdsBefore, Loopback.openFds(), "file descriptors leaked");
    }

    /** A pipe with a non-blocking read end: {read, write}. */
    int[] pipe() {
        int[] fds = new int[2];
        assertEquals(0, Processes.pipe(fds));
        assertEquals(0, OS.setBlocking(fds[0], false));
        return fds;
    }

    void write(int fd, int bytes) {
        MemorySegment buf = arena.allocate(bytes);
        assertEquals(bytes, OS.write(fd, buf, bytes));
    }

    /** Reads until EAGAIN (or EOF); the bytes read. */
    long drain(int fd) {
        MemorySegment buf = arena.allocate(4096);
        long total = 0;
        long n;
        while ((n = OS.read(fd, buf, 4096)) > 0) {
            total += n;
        }
        assertTrue(n == 0 || n == -Err.EAGAIN, "read: " + OS.describe((int) -n));
        return total;
    }

    /** One round trip through the loop: what a poll had to deliver before it, it has delivered. */
    void roundTrip() throws Exception {
        loop.submit(() -> null).get(60, TimeUnit.SECONDS);
        loop.submit(() -> null).get(60, TimeUnit.SECONDS);
    }

    static boolean isOpen(int fd) {
        return OS.isNonBlocking(fd) >= 0;
    }

    /**
     * What {@code fd} refers to ("pipe:[123]"), or null if it is closed. A closed number may be
     * reused at once by another thread of the JVM, so "closed" is checked as "no longer this file".
     */
    static String fileOf(int fd) {
        try {
            return java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + fd)).toString();
        } catch (java.io.IOException closed) {
            return null;
        }
    }

    @Test
    void aPipeIsWatchedOnTheLoopAndStaysOpenAfterTheWatch() throws Exception {
        int[] p = pipe();
        AtomicLong bytes = new AtomicLong();
        AtomicInteger callbacks = new AtomicInteger();
        AtomicInteger offLoop = new AtomicInteger();
        FdWatch watch = FdWatch.start(loop, p[0], Interest.READABLE, (w, event) -> {
            if (!loop.inEventLoop()) {
                offLoop.incrementAndGet();
            }
            callbacks.incrementAndGet();
            assertEquals(p[0], event.fd());
            bytes.addAndGet(drain(w.fd()));
        }).get(60, TimeUnit.SECONDS);
        assertTrue(watch.isOpen());
        assertEquals(p[0], watch.fd());
        for (int i = 1; i <= 5; i++) {
            write(p[1], 100);
            long expected = 100L * i;
            Await.until(() -> bytes.get() == expected, expected + " bytes read by the watch");
        }
        assertTrue(callbacks.get() >= 5, "callbacks " + callbacks.get());
        assertEquals(0, offLoop.get(), "a callback ran off the loop thread");

        watch.close();
        assertEquals(null, watch.closed().get(60, TimeUnit.SECONDS));
        assertFalse(watch.isOpen());
        assertTrue(isOpen(p[0]), "close() closed the watched fd");
        int before = callbacks.get();
        write(p[1], 10);
        roundTrip();
        assertEquals(before, callbacks.get(), "a closed watch delivered");
        assertEquals(10, drain(p[0])); // the bytes are still there for the owner
        assertFalse(loop.submit(() -> loop.poller.isRegistered(p[0])).get(60, TimeUnit.SECONDS));
        watch.close(); // idempotent
        OS.close(p[0]);
        OS.close(p[1]);
    }

    @Test
    void interestCanChangeFromAnyThreadAndOwedReadinessArrives() throws Exception {
        int[] p = pipe();
        AtomicLong bytes = new AtomicLong();
        FdWatch watch = FdWatch.start(loop, p[0], Interest.NONE, (w, event) -> bytes.addAndGet(drain(w.fd())))
                .get(60, TimeUnit.SECONDS);
        write(p[1], 42);
        roundTrip();
        assertEquals(0, bytes.get(), "delivered with no interest");
        watch.interest(Interest.READABLE); // from the test thread: remembered readiness comes now
        Await.until(() -> bytes.get() == 42, "the owed readiness delivered");
        assertSame(Interest.READABLE, watch.interest());
        watch.close();
        watch.closed().get(60, TimeUnit.SECONDS);
        OS.close(p[0]);
        OS.close(p[1]);
    }

    @Test
    void theWriteEndIsReportedWritable() throws Exception {
        int[] p = pipe();
        assertEquals(0, OS.setBlocking(p[1], false));
        AtomicInteger writable = new AtomicInteger();
        FdWatch watch = FdWatch.start(loop, p[1], Interest.WRITABLE, (w, event) -> {
            if (event.isWritable()) {
                writable.incrementAndGet();
            }
        }).get(60, TimeUnit.SECONDS);
        Await.until(() -> writable.get() >= 1, "the pipe's write end reported writable");
        String pipe = fileOf(p[1]);
        // What the descriptor is at the moment closed() completes: a plain dependent runs on
        // the completing thread, so this sees the order of "close the fd" and "say closed".
        CompletableFuture<String> atCompletion = watch.closed().thenApply(v -> fileOf(p[1]));
        watch.closeWithFd();
        assertNotEquals(pipe, atCompletion.get(60, TimeUnit.SECONDS),
                "closed() completed while closeWithFd had not yet closed the fd");
        assertNotEquals(pipe, fileOf(p[1]), "closeWithFd left the fd open");
        OS.close(p[0]);
    }

    @Test
    void closeWithFdClosesTheDescriptorAlsoAfterTheLoopEnded() throws Exception {
        int[] p = pipe();
        FdWatch watch = FdWatch.start(loop, p[0], Interest.READABLE, (w, event) -> drain(w.fd()))
                .get(60, TimeUnit.SECONDS);
        loop.close();
        assertEquals(null, watch.closed().get(60, TimeUnit.SECONDS));
        assertFalse(watch.isOpen());
        assertTrue(isOpen(p[0]), "the loop's closing closed a watched fd, which is not its own");
        String pipe = fileOf(p[0]);
        watch.closeWithFd();
        assertNotEquals(pipe, fileOf(p[0]), "closeWithFd after the loop ended left the fd open");
        OS.close(p[1]);
    }

    @Test
    void aHandlerThatThrowsClosesItsWatchNotTheLoopNorTheFd() throws Exception {
        int[] p = pipe();
        int[] q = pipe();
        IllegalStateException boom = new IllegalStateException("boom");
        AtomicLong other = new AtomicLong();
        FdWatch failing = FdWatch.start(loop, p[0], Interest.READABLE, (w, event) -> {
            throw boom;
        }).get(60, TimeUnit.SECONDS);
        FdWatch healthy = FdWatch.start(loop, q[0], Interest.READABLE, (w, event) -> other.addAndGet(drain(w.fd())))
                .get(60, TimeUnit.SECONDS);
        write(p[1], 1);
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> failing.closed().get(60, TimeUnit.SECONDS));
        assertSame(boom, e.getCause());
        assertFalse(failing.isOpen());
        assertTrue(isOpen(p[0]));
        write(q[1], 7);
        Await.until(() -> other.get() == 7, "the other watch served after the first one's handler threw");
        assertTrue(healthy.isOpen());
        healthy.close();
        healthy.closed().get(60, TimeUnit.SECONDS);
        for (int fd : new int[] {p[0], p[1], q[0], q[1]}) {
            OS.close(fd);
        }
    }

    @Test
    void aRefusedRegistrationFailsTheStartAndLeavesNothingBehind() throws Exception {
        int[] p = pipe();
        OS.close(p[0]);
        OS.close(p[1]);
        CompletableFuture<FdWatch> start = FdWatch.start(loop, p[0], Interest.READABLE, (w, event) -> { });
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> start.get(60, TimeUnit.SECONDS));
        assertInstanceOf(IOException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("EBADF"), e.getCause().getMessage());
        assertFalse(loop.submit(() -> loop.poller.isRegistered(p[0])).get(60, TimeUnit.SECONDS));
        // The fd number is free to watch again once it is a descriptor again.
        int[] again = pipe();
        AtomicLong bytes = new AtomicLong();
        FdWatch watch = FdWatch.start(loop, again[0], Interest.READABLE, (w, event) -> bytes.addAndGet(drain(w.fd())))
                .get(60, TimeUnit.SECONDS);
        write(again[1], 3);
        Await.until(() -> bytes.get() == 3, "the new watch delivered");
        watch.closeWithFd();
        watch.closed().get(60, TimeUnit.SECONDS);
        OS.close(again[1]);
    }

    /**
     * A regular file is always ready and has nothing to wait on: epoll refuses it with EPERM,
     * and so does the watch on io_uring, whose poll would end at once and be armed again at
     * every iteration, a loop spinning for good.
     */
    @Test
    void aRegularFileIsRefusedWithEpermOnEveryLinuxEngine() throws Exception {
        // Not Files.createTempFile: its SecureRandom keeps two descriptors open for the JVM's life.
        java.nio.file.Path file = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"),
                "fdwatch-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".txt");
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.nio.file.Files.writeString(file, "always ready");
            int fd = io.ffpoll.bindings.Errors.check(io.ffpoll.bindings.platform.Platform.current().files()
                    .openForReading(arena.allocateFrom(file.toString()), false), "open");
            try {
                CompletableFuture<FdWatch> start = FdWatch.start(loop, fd, Interest.READABLE, (w, event) -> { });
                ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                        () -> start.get(60, TimeUnit.SECONDS));
                assertInstanceOf(IOException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("EPERM"), e.getCause().getMessage());
                assertFalse(loop.submit(() -> loop.poller.isRegistered(fd)).get(60, TimeUnit.SECONDS));
            } finally {
                OS.close(fd);
            }
        } finally {
            java.nio.file.Files.delete(file);
        }
    }

    /**
     * A regular file whose readiness does change is watched, as epoll takes it: procfs and sysfs
     * files such as /proc/self/mounts (or a GPIO's value) have a wait queue behind their poll.
     */
    @Test
    void aPollableProcFileIsWatchedOnEveryLinuxEngine() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(OS.name().equals("linux"), "procfs is Linux's");
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            int fd = io.ffpoll.bindings.Errors.check(io.ffpoll.bindings.platform.Platform.current().files()
                    .openForReading(arena.allocateFrom("/proc/self/mounts"), false), "open");
            try {
                FdWatch watch = FdWatch.start(loop, fd, Interest.READABLE, (w, event) -> { }).get(60, TimeUnit.SECONDS);
                // A timer fires after a poll: a refusal that came late would have closed it by then.
                CompletableFuture<Boolean> later = new CompletableFuture<>();
                loop.execute(() -> loop.schedule(java.time.Duration.ofMillis(20), () -> later.complete(watch.isOpen())));
                assertTrue(later.get(60, TimeUnit.SECONDS), "the watch closed: " + watch.closed());
                watch.close();
                watch.closed().get(60, TimeUnit.SECONDS);
            } finally {
                OS.close(fd);
            }
        }
    }

    /** A timerfd (Linux) firing every millisecond, watched and then disarmed: expirations counted. */
    @Test
    void aTimerFdIsWatchedUntilItHasFiredFiveTimes() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(OS.name().equals("linux"), "timerfd is Linux's");
        int tfd = TimerFd.timerfd_create(TimerFd.CLOCK_MONOTONIC, TimerFd.TFD_NONBLOCK | TimerFd.TFD_CLOEXEC);
        assertTrue(tfd >= 0, "timerfd_create: " + OS.describe(-tfd));
        AtomicLong expirations = new AtomicLong();
        AtomicInteger offLoop = new AtomicInteger();
        FdWatch watch = FdWatch.start(loop, tfd, Interest.READABLE, (w, event) -> {
            if (!loop.inEventLoop()) {
                offLoop.incrementAndGet();
            }
            long n;
            while ((n = TimerFd.expirations(w.fd())) > 0) {
                expirations.addAndGet(n);
            }
            assertEquals(-Err.EAGAIN, n);
        }).get(60, TimeUnit.SECONDS);
        assertEquals(0, TimerFd.timerfd_settime(tfd, 1_000_000, 1_000_000));
        Await.until(() -> expirations.get() >= 5, "five expirations");
        assertEquals(0, TimerFd.timerfd_settime(tfd, 0, 0)); // disarmed
        watch.close();
        watch.closed().get(60, TimeUnit.SECONDS);
        assertEquals(0, offLoop.get());
        assertTrue(isOpen(tfd), "close() closed the timerfd");
        OS.close(tfd);
    }
}
