package io.ffpoll.multiplexer;

import io.ffpoll.bindings.Syscalls;
import io.ffpoll.bindings.linux.EventFd;
import io.ffpoll.bindings.linux.Sockets;
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

/** The epoll Poller against real loopback sockets: readiness, edges, interest, budgets, errors. */
class PollerTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration NOW = Duration.ZERO;

    private long fdsBefore;
    private Loopback net;
    private Poller poller;
    private final Events events = Events.withCapacity(64);

    @BeforeEach
    void open() throws IOException {
        fdsBefore = Loopback.openFds();
        net = new Loopback();
        poller = Poller.open();
    }

    @AfterEach
    void closeAndCheckLeaks() throws IOException {
        poller.close();
        net.close();
        assertEquals(fdsBefore, Loopback.openFds(), "file descriptors leaked");
    }

    /** Polls until an event for {@code fd} arrives; returns its ready bits. */
    private int awaitEvent(int fd) throws IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            int n = poller.poll(events, Duration.ofMillis(100));
            for (int i = 0; i < n; i++) {
                if (events.get(i).fd() == fd) {
                    return events.ready[i];
                }
            }
        }
        throw new AssertionError("no event for fd " + fd);
    }

    private Set<Integer> pollNow() throws IOException {
        Set<Integer> fds = new HashSet<>();
        int n = poller.poll(events, NOW);
        for (int i = 0; i < n; i++) {
            fds.add(events.get(i).fd());
        }
        return fds;
    }

    @Test
    void backendIsEpollOnLinux() {
        assertEquals("epoll", poller.backend());
        assertThrows(IllegalArgumentException.class, () -> Poller.open("kqueue"));
    }

    @Test
    void listenerBecomesReadableWhenAClientConnects() throws Exception {
        int lfd = net.listen();
        Object token = new Object();
        poller.register(lfd, Interest.READABLE, token);
        assertTrue(pollNow().isEmpty());
        net.connect(net.address(lfd));
        assertEquals(Event.READ, awaitEvent(lfd) & Event.READ);
        assertEquals(token, events.get(0).attachment());
        net.accept(lfd);
    }

    @Test
    void acceptedSocketIsWritableAtOnceAndReadableWhenDataArrives() throws Exception {
        int lfd = net.listen();
        int client = net.connect(net.address(lfd));
        int server = net.accept(lfd);
        poller.register(server, Interest.BOTH, "conn");
        assertEquals(Event.WRITE, awaitEvent(server));
        net.send(client, "ping".getBytes());
        int ready = awaitEvent(server);
        assertTrue((ready & Event.READ) != 0);
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
        long ctl = Syscalls.count("epoll_ctl");
        long waits = Syscalls.count("epoll_wait");
        poller.modify(server, Interest.READABLE);
        // Delivered by the next poll even with a long timeout: it does not block.
        long start = System.nanoTime();
        assertEquals(1, poller.poll(events, Duration.ofSeconds(30)));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "poll blocked");
        assertEquals(server, events.get(0).fd());
        assertTrue(events.get(0).isReadable());
        assertEquals(ctl, Syscalls.count("epoll_ctl"), "re-enabling interest made an epoll_ctl");
        assertEquals(waits + 1, Syscalls.count("epoll_wait"));
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
    void halfCloseIsReportedAsReadClosed() throws Exception {
        int lfd = net.listen();
        int client = net.connect(net.address(lfd));
        int server = net.accept(lfd);
        poller.register(server, Interest.READABLE, null);
        assertEquals(0, Sockets.shutdown(client, Sockets.SHUT_WR));
        int ready = awaitEvent(server);
        assertTrue((ready & Event.READ_CLOSED) != 0, "RDHUP not reported: " + ready);
        assertTrue((ready & Event.WRITE_CLOSED) == 0, "only one direction is closed");
        assertEquals(0, net.read(server, 64).length, "read after half-close is EOF");
        // Our direction still works: the client reads what we send.
        net.send(server, "bye".getBytes());
        assertArrayEquals("bye".getBytes(), net.readFully(client, 3));
    }

    @Test
    void kServersForMIterationsCostMWaitsAndKCtls() throws Exception {
        final int k = 16;
        final int m = 200;
        int[][] pairs = net.pairs(net.listen(), k);
        int[] clients = pairs[0];
        int[] servers = pairs[1];
        long ctl = Syscalls.count("epoll_ctl");
        long waits = Syscalls.count("epoll_wait");
        for (int i = 0; i < k; i++) {
            poller.register(servers[i], Interest.READABLE, i);
        }
        long echoed = 0;
        for (int iteration = 0; iteration < m; iteration++) {
            net.send(clients[iteration % k], new byte[] {(byte) iteration});
            echoed += serve(Duration.ofMillis(100));
        }
        assertEquals(m, Syscalls.count("epoll_wait") - waits, "epoll_wait calls");
        assertEquals(k, Syscalls.count("epoll_ctl") - ctl, "epoll_ctl calls");
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
        long ctlAfter = Syscalls.count("epoll_ctl");
        for (int fd : servers) {
            poller.deregisterAndClose(fd);
            net.forget(fd);
        }
        assertEquals(ctlAfter, Syscalls.count("epoll_ctl"), "closing needs no epoll_ctl(DEL)");
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
        // eventfds are readable as soon as the write returns, so one poll reports both.
        int s1 = net.track(EventFd.eventfd(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
        int s2 = net.track(EventFd.eventfd(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
        poller.register(s1, Interest.READABLE, "s1");
        poller.register(s2, Interest.READABLE, "s2");
        pollNow();
        EventFd.eventfd_write(s1, 1);
        EventFd.eventfd_write(s2, 1);
        assertEquals(2, poller.poll(events, WAIT));
        int first = events.get(0).fd();
        int other = first == s1 ? s2 : s1;
        // Handling the first event closes the other fd, and a new fd may take its number.
        poller.deregisterAndClose(other);
        net.forget(other);
        int reused = net.track(EventFd.eventfd(0, EventFd.EFD_CLOEXEC));
        poller.register(reused, Interest.READABLE, "new");
        assertTrue(events.get(0).isValid());
        assertFalse(events.get(1).isValid(), "stale event of a closed fd must be invalid");
    }

    @Test
    void deregisterKeepsTheFdOpenAndSilent() throws Exception {
        int efd = net.track(EventFd.eventfd(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
        poller.register(efd, Interest.READABLE, null);
        pollNow();
        poller.deregister(efd);
        assertFalse(poller.isRegistered(efd));
        assertEquals(0, EventFd.eventfd_write(efd, 5)); // readable at once, and open
        assertFalse(pollNow().contains(efd));
        assertEquals(5, EventFd.eventfd_read(efd));
        // Registered again: the fd can be used with the poller again.
        poller.register(efd, Interest.READABLE, "again");
        EventFd.eventfd_write(efd, 1);
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
        int first = net.track(EventFd.eventfd(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
        poller.register(first, Interest.READABLE, "first");
        pollNow(); // the ADD is applied
        poller.deregister(first); // queued DEL...
        net.close(first); // ...but the fd is closed first: the kernel drops it from the set itself
        int reused = net.track(EventFd.eventfd(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
        assertEquals(first, reused, "the lowest free fd number is reused");
        poller.register(reused, Interest.READABLE, "second");
        EventFd.eventfd_write(reused, 1);
        awaitEvent(reused);
        Event e = events.get(0);
        assertNull(e.registrationFailure(), "re-registering a reused fd number failed");
        assertEquals("second", e.attachment());
        assertTrue(e.isReadable());
    }

    @Test
    void aFailedModifyIsReportedWithTheOperationThatFailed() throws Exception {
        int efd = net.track(EventFd.eventfd(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
        poller.register(efd, Interest.READABLE, "x");
        pollNow();
        poller.deregister(efd);
        poller.register(efd, Interest.READABLE, "y"); // still in the set: applied as a MOD
        int number = efd;
        net.close(efd); // so the MOD fails with EBADF
        assertEquals(1, poller.poll(events, WAIT));
        IOException failure = events.get(0).registrationFailure();
        assertNotNull(failure);
        assertEquals("epoll_ctl(EPOLL_CTL_MOD, fd " + number + "): EBADF (Bad file descriptor)", failure.getMessage());
    }

    @Test
    void badInputGetsClearErrors() throws Exception {
        IllegalArgumentException negative =
                assertThrows(IllegalArgumentException.class, () -> poller.register(-1, Interest.READABLE, null));
        assertTrue(negative.getMessage().contains("invalid fd -1"));
        int efd = net.track(EventFd.eventfd(0, EventFd.EFD_CLOEXEC));
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

    @Test
    void registeringAClosedFdIsReportedAsAFailedRegistration() throws Exception {
        int efd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC);
        io.ffpoll.bindings.linux.Fd.close(efd);
        poller.register(efd, Interest.READABLE, "ghost");
        assertEquals(1, poller.poll(events, WAIT));
        Event e = events.get(0);
        assertTrue(e.isError());
        assertTrue(e.isValid());
        assertEquals("ghost", e.attachment());
        IOException failure = e.registrationFailure();
        assertNotNull(failure);
        assertEquals("epoll_ctl(EPOLL_CTL_ADD, fd " + efd + "): EBADF (Bad file descriptor)", failure.getMessage());
        assertFalse(poller.isRegistered(efd), "a failed registration is dropped");
        assertEquals(0, poller.poll(events, NOW));
        // Closing a number that is not open (efd's may belong to another thread by now).
        int neverOpen = 1_000_000;
        IOException close = assertThrows(IOException.class, () -> poller.deregisterAndClose(neverOpen));
        assertEquals("close(" + neverOpen + "): EBADF (Bad file descriptor)", close.getMessage());
    }

    @Test
    void aClosedPollerRefusesWorkAndCloseIsIdempotent() throws Exception {
        assertFalse(((EpollPoller) poller).memoryReleased());
        poller.close();
        poller.close();
        assertFalse(poller.isOpen());
        assertTrue(((EpollPoller) poller).memoryReleased(), "the poller's arena was not closed");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> poller.poll(events, NOW));
        assertEquals("poller is closed", e.getMessage());
        assertThrows(IllegalStateException.class, () -> poller.register(0, Interest.READABLE, null));
        poller.wakeup(); // harmless after close: never writes to a closed eventfd
    }

    @Test
    void wakeupFromAnotherThreadEndsABlockedPollAndBurstsCoalesce() throws Exception {
        poller.poll(events, NOW);
        CountDownLatch returned = new CountDownLatch(1);
        Thread owner = new Thread(() -> {
            try {
                poller.poll(events, null); // would block forever
                returned.countDown();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        owner.start();
        Thread.sleep(100);
        assertEquals(1, returned.getCount(), "poll(null) returned without a wakeup");
        long writes = Syscalls.count("write");
        for (int i = 0; i < 10_000; i++) {
            poller.wakeup();
        }
        assertTrue(returned.await(5, TimeUnit.SECONDS), "wakeup did not end the poll");
        owner.join();
        long signalled = Syscalls.count("write") - writes;
        // One write if the owner was blocked in epoll_wait, none if it had not got there yet.
        assertTrue(signalled <= 2, "10,000 wakeups made " + signalled + " eventfd writes");
        // A wakeup while nobody is blocked makes the next poll return at once, without a write.
        // First take whatever the burst left (an eventfd edge that came after the wait ended).
        poller.poll(events, NOW);
        long before = Syscalls.count("write");
        poller.wakeup();
        long start = System.nanoTime();
        assertEquals(0, poller.poll(events, Duration.ofSeconds(30)));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        assertEquals(before, Syscalls.count("write"));
    }

    @Test
    void subMillisecondTimeoutsWaitInsteadOfSpinning() throws Exception {
        long waits = Syscalls.count("epoll_wait");
        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            assertEquals(0, poller.poll(events, Duration.ofNanos(300_000)));
        }
        // Rounded up to 1 ms each, so five polls take at least 5 ms (never early).
        assertTrue(System.nanoTime() - start >= 5_000_000L);
        assertEquals(5, Syscalls.count("epoll_wait") - waits);
    }
}
