package io.ffpoll.multiplexer;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.backend.EventBuffer;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Poller contract, against real loopback sockets: readiness, edges, interest, syscall
 * budgets, errors. One suite, run against each backend by a subclass, which says what differs:
 * the calls it counts and the messages of its failures.
 */
abstract class PollerContract {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final Duration NOW = Duration.ZERO;

    long fdsBefore;
    Loopback net;
    Poller poller;
    final Events events = Events.withCapacity(64);

    /** A new poller of the backend under test. */
    abstract Poller openPoller() throws IOException;

    /** The syscalls the backend makes, all counted together (e.g. epoll_ctl and epoll_wait). */
    abstract String[] calls();

    /** Syscalls beyond one per poll to add {@code fds} new fds in {@code polls} polls. */
    abstract long registrationCost(int fds, int polls);

    /** Syscalls deregisterAndClose makes for {@code fds} registered fds, besides close. */
    abstract long closeCost(int fds);

    /** The message of a failed registration of the closed {@code fd}. */
    abstract String addFailure(int fd);

    /** The call a wakeup makes, and whether a poll makes that call too. */
    abstract String wakeCall();

    abstract boolean pollMakesWakeCall();

    /** The backend's calls made by this thread, which polls: another test's loop cannot add to them. */
    long syscalls() {
        long n = 0;
        for (String call : calls()) {
            n += Syscalls.count(call, Thread.currentThread());
        }
        return n;
    }

    @BeforeEach
    void open() throws IOException {
        fdsBefore = Loopback.openFds();
        net = new Loopback();
        poller = openPoller();
    }

    @AfterEach
    void closeAndCheckLeaks() throws IOException, InterruptedException {
        poller.close();
        net.close();
        Loopback.awaitOpenFdsAtMost(fdsBefore, "file descriptors leaked");
    }

    /** Polls until an event for {@code fd} arrives; returns its ready bits. */
    int awaitEvent(int fd) throws IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            int n = poller.poll(events, Duration.ofMillis(100));
            for (int i = 0; i < n; i++) {
                if (events.get(i).fd() == fd) {
                    return events.buffer.ready(i);
                }
            }
        }
        throw new AssertionError("no event for fd " + fd);
    }

    Set<Integer> pollNow() throws IOException {
        Set<Integer> fds = new HashSet<>();
        int n = poller.poll(events, NOW);
        for (int i = 0; i < n; i++) {
            fds.add(events.get(i).fd());
        }
        return fds;
    }

    /** Waits until {@code fd} is readable, seen by a poller of its own (so this one's edges stay). */
    static void awaitReadable(int fd) throws IOException {
        try (Poller scratch = Poller.open()) {
            Events e = Events.withCapacity(4);
            scratch.register(fd, Interest.READABLE, null);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (scratch.poll(e, Duration.ofMillis(100)) == 0) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("fd " + fd + " never became readable");
                }
            }
            scratch.deregister(fd);
            scratch.poll(e, NOW);
        }
    }

    @Test
    void listenerBecomesReadableWhenAClientConnects() throws Exception {
        int lfd = net.listen();
        Object token = new Object();
        poller.register(lfd, Interest.READABLE, token);
        assertTrue(pollNow().isEmpty());
        net.connect(net.address(lfd));
        assertEquals(EventBuffer.READ, awaitEvent(lfd) & EventBuffer.READ);
        assertEquals(token, events.get(0).attachment());
        net.accept(lfd);
    }

    @Test
    void acceptedSocketIsWritableAtOnceAndReadableWhenDataArrives() throws Exception {
        int lfd = net.listen();
        int client = net.connect(net.address(lfd));
        int server = net.accept(lfd);
        poller.register(server, Interest.BOTH, "conn");
        assertEquals(EventBuffer.WRITE, awaitEvent(server));
        net.send(client, "ping".getBytes());
        int ready = awaitEvent(server);
        assertTrue((ready & EventBuffer.READ) != 0);
        assertArrayEquals("ping".getBytes(), net.read(server, 64));
    }

    @Test
    void edgeTriggeredReadinessIsReportedOncePerEdge() throws Exception {
        int lfd = net.listen();
        int client = net.connect(net.address(lfd));
        int server = net.accept(lfd);
        poller.register(server, Interest.READABLE, null);
        net.send(client, new byte[10]);
        awaitEvent(server);
        // Not drained, but no new edge: not reported again.
        assertFalse(pollNow().contains(server));
        net.send(client, new byte[10]);
        awaitEvent(server);
        assertEquals(20, net.read(server, 64).length);
        assertNull(net.read(server, 64));
    }

    @Test
    void reEnabledInterestDeliversRememberedReadinessWithoutASyscall() throws Exception {
        int lfd = net.listen();
        int client = net.connect(net.address(lfd));
        int server = net.accept(lfd);
        poller.register(server, Interest.READABLE, null);
        pollNow(); // applies the ADD
        poller.modify(server, Interest.NONE);
        net.send(client, "late".getBytes());
        // Readable while interest is off: remembered, not delivered.
        long until = System.nanoTime() + 200_000_000L;
        while (System.nanoTime() < until) {
            assertFalse(pollNow().contains(server));
        }
        long calls = syscalls();
        poller.modify(server, Interest.READABLE);
        // Delivered by the next poll even with a long timeout: it does not block.
        long start = System.nanoTime();
        assertEquals(1, poller.poll(events, Duration.ofSeconds(30)));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "poll blocked");
        assertEquals(server, events.get(0).fd());
        assertTrue(events.get(0).isReadable());
        assertEquals(calls + 1, syscalls(), "re-enabling interest costs no syscall, the poll one");
        assertArrayEquals("late".getBytes(), net.read(server, 64));
    }

    @Test
    void clearedReadinessIsNotDeliveredOnReEnable() throws Exception {
        int lfd = net.listen();
        int client = net.connect(net.address(lfd));
        int server = net.accept(lfd);
        poller.register(server, Interest.READABLE, null);
        net.send(client, "x".getBytes());
        awaitEvent(server);
        net.read(server, 64);
        assertNull(net.read(server, 64)); // EAGAIN
        poller.clearReadiness(server, Interest.READABLE);
        poller.modify(server, Interest.NONE);
        poller.modify(server, Interest.READABLE);
        assertFalse(pollNow().contains(server));
    }

    @Test
    void writeInterestTogglesUseRememberedWritability() throws Exception {
        int lfd = net.listen();
        net.connect(net.address(lfd));
        int server = net.accept(lfd);
        poller.register(server, Interest.READABLE, null);
        assertFalse(pollNow().contains(server)); // writable, but not of interest
        poller.modify(server, Interest.BOTH);
        assertTrue(pollNow().contains(server));
        assertTrue(events.get(0).isWritable());
        assertFalse(events.get(0).isReadable());
    }

    @Test
    void owedReadinessIsDeliveredEvenWhenTheKernelFillsEveryPoll() throws Exception {
        int lfd = net.listen();
        int[][] pairs = net.pairs(lfd, 41);
        int owedFd = pairs[1][0];
        poller.register(owedFd, Interest.READABLE, null);
        net.send(pairs[0][0], "x".getBytes());
        awaitEvent(owedFd);
        poller.modify(owedFd, Interest.NONE);
        poller.modify(owedFd, Interest.READABLE); // readable all along: owed to the next poll
        // Forty more fds, each with an edge in the kernel, and a buffer of one event.
        for (int i = 1; i < 41; i++) {
            poller.register(pairs[1][i], Interest.READABLE, null);
            net.send(pairs[0][i], "y".getBytes());
            awaitReadable(pairs[1][i]);
        }
        Events one = Events.withCapacity(1);
        Set<Integer> seen = new HashSet<>();
        int owedAt = -1;
        for (int poll = 0; poll < 80 && seen.size() < 41; poll++) {
            assertEquals(1, poller.poll(one, NOW), "poll " + poll + ": a full buffer");
            int fd = one.get(0).fd();
            assertTrue(seen.add(fd), "fd " + fd + " delivered twice");
            if (fd == owedFd) {
                owedAt = poll;
            }
        }
        // What is owed shares the buffer with the kernel's events, however many those are.
        assertTrue(owedAt >= 0 && owedAt < 2, "the owed readiness came with poll " + owedAt
                + ", though the kernel filled every one");
        assertEquals(41, seen.size(), "and no kernel event was starved either");
    }

    @Test
    void halfCloseIsReportedAsReadClosed() throws Exception {
        int lfd = net.listen();
        int client = net.connect(net.address(lfd));
        int server = net.accept(lfd);
        poller.register(server, Interest.READABLE, null);
        assertEquals(0, Loopback.OS.shutdownOutput(client));
        int ready = awaitEvent(server);
        assertTrue((ready & EventBuffer.READ_CLOSED) != 0, "RDHUP not reported: " + ready);
        assertTrue((ready & EventBuffer.WRITE_CLOSED) == 0, "only one direction is closed");
        assertEquals(0, net.read(server, 64).length, "read after half-close is EOF");
        // Our direction still works: the client reads what we send.
        net.send(server, "bye".getBytes());
        assertArrayEquals("bye".getBytes(), net.readFully(client, 3));
    }

    @Test
    void kServersForMIterationsCostMPollsAndTheirRegistrations() throws Exception {
        final int k = 16;
        final int m = 200;
        int[][] pairs = net.pairs(net.listen(), k);
        int[] clients = pairs[0];
        int[] servers = pairs[1];
        long calls = syscalls();
        for (int i = 0; i < k; i++) {
            poller.register(servers[i], Interest.READABLE, i);
        }
        long echoed = 0;
        for (int iteration = 0; iteration < m; iteration++) {
            net.send(clients[iteration % k], new byte[] {(byte) iteration});
            echoed += serve(Duration.ofMillis(100));
        }
        assertEquals(m + registrationCost(k, 1), syscalls() - calls, String.join("+", calls()) + " calls");
        // Served for real: a byte still in flight is served outside the budget, then all are read back.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (echoed < m && System.nanoTime() < deadline) {
            echoed += serve(Duration.ofMillis(10));
        }
        assertEquals(m, echoed);
        for (int i = 0; i < k; i++) {
            int expected = m / k + (i < m % k ? 1 : 0);
            assertEquals(expected, net.readFully(clients[i], expected).length);
        }
        long before = syscalls();
        for (int fd : servers) {
            poller.deregisterAndClose(fd);
            net.forget(fd);
        }
        assertEquals(closeCost(k), syscalls() - before, "syscalls to remove closed fds from the set");
    }

    /** One poll; echoes what the ready fds have and churns their interest. Returns bytes echoed. */
    private int serve(Duration timeout) throws IOException {
        int echoed = 0;
        int n = poller.poll(events, timeout);
        for (int e = 0; e < n; e++) {
            Event ev = events.get(e);
            if (ev.isReadable()) {
                byte[] got;
                while ((got = net.read(ev.fd(), 64)) != null && got.length > 0) {
                    net.send(ev.fd(), got);
                    echoed += got.length;
                }
                poller.clearReadiness(ev.fd(), Interest.READABLE);
            }
            // Interest churn, as a protocol with back-pressure does: user space only.
            poller.modify(ev.fd(), Interest.BOTH);
            poller.modify(ev.fd(), Interest.READABLE);
            poller.modify(ev.fd(), Interest.NONE);
            poller.modify(ev.fd(), Interest.READABLE);
        }
        return echoed;
    }

    @Test
    void anEventOfAnFdClosedEarlierInTheSameBatchIsInvalid() throws Exception {
        // Both readable before they are added: the poll that adds them reports both.
        int[] p1 = net.pair();
        int[] p2 = net.pair();
        int s1 = p1[1];
        int s2 = p2[1];
        net.send(p1[0], new byte[] {1});
        net.send(p2[0], new byte[] {1});
        awaitReadable(s1);
        awaitReadable(s2);
        poller.register(s1, Interest.READABLE, "s1");
        poller.register(s2, Interest.READABLE, "s2");
        assertEquals(2, poller.poll(events, WAIT));
        int first = events.get(0).fd();
        int other = first == s1 ? s2 : s1;
        // Handling the first event closes the other fd, and a new fd may take its number.
        poller.deregisterAndClose(other);
        net.forget(other);
        int reused = net.track(Loopback.OS.duplicate(p1[0]));
        poller.register(reused, Interest.READABLE, "new");
        assertTrue(events.get(0).isValid());
        assertFalse(events.get(1).isValid(), "stale event of a closed fd must be invalid");
    }

    @Test
    void deregisterKeepsTheFdOpenAndSilent() throws Exception {
        int[] pair = net.pair();
        int efd = pair[1];
        poller.register(efd, Interest.READABLE, null);
        pollNow();
        poller.deregister(efd);
        assertFalse(poller.isRegistered(efd));
        net.send(pair[0], new byte[5]);
        awaitReadable(efd); // readable, and open
        assertFalse(pollNow().contains(efd));
        assertEquals(5, net.drain(efd));
        // Registered again: the fd can be used with the poller again.
        poller.register(efd, Interest.READABLE, "again");
        net.send(pair[0], new byte[1]);
        awaitEvent(efd);
        assertEquals("again", events.get(0).attachment());
    }

    @Test
    void reRegisteringBeforeTheDeleteIsAppliedStillDelivers() throws Exception {
        int lfd = net.listen();
        int client = net.connect(net.address(lfd));
        int server = net.accept(lfd);
        poller.register(server, Interest.READABLE, "first");
        pollNow();
        poller.deregister(server);
        poller.register(server, Interest.READABLE, "second");
        net.send(client, "x".getBytes());
        awaitEvent(server);
        assertEquals("second", events.get(0).attachment());
    }

    @Test
    void aReusedFdNumberRegistersAfterADeregisterThatNeverReachedTheKernel() throws Exception {
        int[] pair = net.pair();
        int first = pair[1];
        net.track(Loopback.OS.duplicate(pair[0])); // fills the hole the pair's listener left
        poller.register(first, Interest.READABLE, "first");
        pollNow(); // the ADD is applied
        poller.deregister(first); // queued removal...
        net.close(first); // ...but the fd is closed first: the kernel drops it from the set itself
        int reused = net.track(Loopback.OS.duplicate(pair[0])); // a socket whose peer is gone
        assertEquals(first, reused, "the lowest free fd number is reused");
        poller.register(reused, Interest.READABLE, "second");
        awaitEvent(reused); // readable: EOF
        Event e = events.get(0);
        assertNull(e.registrationFailure(), "re-registering a reused fd number failed");
        assertEquals("second", e.attachment());
        assertTrue(e.isReadable());
    }

    @Test
    void badInputGetsClearErrors() throws Exception {
        IllegalArgumentException negative =
                assertThrows(IllegalArgumentException.class, () -> poller.register(-1, Interest.READABLE, null));
        assertTrue(negative.getMessage().contains("invalid fd -1"));
        int efd = net.pair()[1];
        poller.register(efd, Interest.READABLE, null);
        IllegalStateException twice =
                assertThrows(IllegalStateException.class, () -> poller.register(efd, Interest.READABLE, null));
        assertEquals("fd " + efd + " is already registered", twice.getMessage());
        assertThrows(IllegalStateException.class, () -> poller.modify(efd + 1000, Interest.BOTH));
        assertThrows(IllegalStateException.class, () -> poller.deregister(efd + 1000));
        IllegalArgumentException timeout =
                assertThrows(IllegalArgumentException.class, () -> poller.poll(events, Duration.ofMillis(-1)));
        assertTrue(timeout.getMessage().contains("negative timeout"));
        assertThrows(IllegalArgumentException.class, () -> Events.withCapacity(0));
    }

    /**
     * The message of the refusal of {@code fd}, a file with nothing to wait on (a regular file,
     * /dev/null), as epoll refuses it; null where the backend takes such a file (kqueue).
     */
    String alwaysReadyRefusal(int fd) {
        return null;
    }

    /** Opens {@code path} for reading, closed by the test's Loopback. */
    int openTracked(String path) {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            int fd = Loopback.OS.files().openForReading(arena.allocateFrom(path), false);
            assertTrue(fd >= 0, "open " + path + ": " + Loopback.OS.describe(-fd));
            return net.track(fd);
        }
    }

    /**
     * A regular file and /dev/null (a device with no poll method) are refused at the first poll:
     * their readiness never changes, and an io_uring poll on them ends at once, which armed
     * again at every iteration would keep the loop from sleeping. A file whose readiness does
     * change (/proc/self/mounts) is taken.
     */
    @Test
    void aFileWithNothingToWaitOnIsRefusedAndTheLoopSleeps() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(alwaysReadyRefusal(0) != null,
                "this backend takes a regular file (kqueue: bytes left past the offset)");
        java.nio.file.Path file = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"),
                "poller-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".txt");
        try {
            java.nio.file.Files.writeString(file, "always ready");
            int regular = openTracked(file.toString());
            poller.register(regular, Interest.BOTH, "file");
            assertEquals(1, poller.poll(events, WAIT));
            IOException refusedFile = events.get(0).registrationFailure();
            assertNotNull(refusedFile, "a regular file was taken");
            assertEquals(alwaysReadyRefusal(regular), refusedFile.getMessage());
            assertFalse(poller.isRegistered(regular));
            assertEquals(0, poller.poll(events, NOW));
        } finally {
            java.nio.file.Files.delete(file);
        }
        int devNull = openTracked("/dev/null");
        poller.register(devNull, Interest.READABLE, "null");
        assertEquals(1, poller.poll(events, WAIT));
        IOException refused = events.get(0).registrationFailure();
        assertNotNull(refused, "/dev/null was taken");
        assertEquals(alwaysReadyRefusal(devNull), refused.getMessage());
        assertEquals(0, poller.poll(events, NOW));
        int mounts = openTracked("/proc/self/mounts");
        poller.register(mounts, Interest.READABLE, "mounts");
        int reports = 0;
        for (int poll = 0; poll < 3; poll++) {
            int n = poller.poll(events, Duration.ofMillis(20));
            for (int i = 0; i < n; i++) {
                assertNull(events.get(i).registrationFailure(), "/proc/self/mounts was refused");
                reports++;
            }
        }
        assertTrue(poller.isRegistered(mounts));
        assertTrue(reports <= 1, "/proc/self/mounts reported ready " + reports + " times without a change");
        poller.deregister(mounts);
        pollNow();
    }

    @Test
    void registeringAClosedFdIsReportedAsAFailedRegistration() throws Exception {
        int[] pair = net.pair();
        int efd = pair[1];
        net.close(efd);
        poller.register(efd, Interest.READABLE, "ghost");
        assertEquals(1, poller.poll(events, WAIT));
        Event e = events.get(0);
        assertTrue(e.isError());
        assertTrue(e.isValid());
        assertEquals("ghost", e.attachment());
        IOException failure = e.registrationFailure();
        assertNotNull(failure);
        assertEquals(addFailure(efd), failure.getMessage());
        assertFalse(poller.isRegistered(efd), "a failed registration is dropped");
        assertEquals(0, poller.poll(events, NOW));
        // Closing a number that is not open (efd's may belong to another thread by now).
        int neverOpen = 1_000_000;
        IOException close = assertThrows(IOException.class, () -> poller.deregisterAndClose(neverOpen));
        assertEquals("close(" + neverOpen + "): EBADF (Bad file descriptor)", close.getMessage());
    }

    @Test
    void aClosedPollerRefusesWorkAndCloseIsIdempotent() throws Exception {
        assertFalse(poller.memoryReleased());
        poller.close();
        poller.close();
        assertFalse(poller.isOpen());
        assertTrue(poller.memoryReleased(), "the poller's arena was not closed");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> poller.poll(events, NOW));
        assertEquals("poller is closed", e.getMessage());
        assertThrows(IllegalStateException.class, () -> poller.register(0, Interest.READABLE, null));
        poller.wakeup(); // harmless after close: never signals a closed descriptor
    }

    @Test
    void wakeupFromAnotherThreadEndsABlockedPollAndBurstsCoalesce() throws Exception {
        // One thread makes every poll, as a loop does (an io_uring ring refuses any other).
        java.util.concurrent.ExecutorService owner = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            owner.submit(() -> poller.poll(events, NOW)).get(30, TimeUnit.SECONDS);
            int ownerTid = owner.submit(io.ffpoll.multiplexer.testing.Cpus::gettid).get(30, TimeUnit.SECONDS);
            Thread me = Thread.currentThread();
            java.util.concurrent.Future<Integer> blocked = owner.submit(() -> poller.poll(events, null)); // would block forever
            // Blocked in the kernel's wait for sure, read from /proc: not a sleep that hopes so.
            io.ffpoll.multiplexer.testing.LoopThreads.awaitBlocked(ownerTid);
            assertFalse(blocked.isDone(), "poll(null) returned without a wakeup");
            long writes = Syscalls.count(wakeCall(), me);
            for (int i = 0; i < 10_000; i++) {
                poller.wakeup();
            }
            blocked.get(30, TimeUnit.SECONDS); // "wakeup did not end the poll" if this times out
            assertEquals(1, Syscalls.count(wakeCall(), me) - writes,
                    "10,000 wakeups of a blocked poll: one " + wakeCall());
            // A wakeup while nobody is blocked makes the next poll return at once, without a write.
            // First take whatever the burst left (an eventfd edge that came after the wait ended).
            owner.submit(() -> poller.poll(events, NOW)).get(30, TimeUnit.SECONDS);
            long before = Syscalls.count(wakeCall(), me);
            poller.wakeup();
            assertEquals(before, Syscalls.count(wakeCall(), me), "nobody was blocked: no " + wakeCall());
            java.util.concurrent.Future<Integer> next = owner.submit(() -> poller.poll(events, null));
            try {
                // Would block forever without the wakeup.
                assertEquals(0, next.get(30, TimeUnit.SECONDS), "a wakeup made while nobody waited was lost");
            } finally {
                if (!next.isDone()) {
                    poller.wakeup(); // let it end before the poller closes
                }
            }
        } finally {
            owner.shutdown();
            assertTrue(owner.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void subMillisecondTimeoutsWaitInsteadOfSpinning() throws Exception {
        long calls = syscalls();
        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            assertEquals(0, poller.poll(events, Duration.ofNanos(300_000)));
        }
        // Never early: five polls of 0.3 ms take at least 1.5 ms, in one syscall each.
        assertTrue(System.nanoTime() - start >= 1_500_000L);
        assertEquals(5, syscalls() - calls);
    }
}
