package io.ffpoll.multiplexer;

import io.ffpoll.bindings.internal.Faults;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.IoUringAbi;
import io.ffpoll.multiplexer.testing.IoUringSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Poller contract on io_uring's multishot polls, and what only io_uring does. */
class IoUringPollerTest extends PollerContract {
    @BeforeAll
    static void needsIoUring() {
        IoUringSupport.assumeAvailable();
    }

    @Override
    Poller openPoller() throws IOException {
        return Poller.open("io_uring");
    }

    @Override
    String[] calls() {
        // io_uring_register is made twice, once, by the first poll: see theFirstPollEnablesTheRing...
        return new String[] {"io_uring_enter", "epoll_ctl", "epoll_wait"};
    }

    @Override
    long registrationCost(int fds, int polls) {
        return 0; // each poll SQE rides the enter that waits
    }

    @Override
    long closeCost(int fds) {
        return fds; // an enter each, whose cancel drops the poll's hold on the socket at once
    }

    @Override
    String addFailure(int fd) {
        return "io_uring_enter(IORING_OP_POLL_ADD, fd " + fd + "): EBADF (Bad file descriptor)";
    }

    @Override
    String alwaysReadyRefusal(int fd) {
        return "io_uring_enter(IORING_OP_POLL_ADD, fd " + fd + ", nothing to wait on): EPERM (Operation not permitted)";
    }

    @Override
    String wakeCall() {
        return "write";
    }

    @Override
    boolean pollMakesWakeCall() {
        return false;
    }

    @Test
    void theRingIsSingleIssuerWithDeferredTaskRunAndARegisteredFd() throws Exception {
        String[] v = System.getProperty("os.version").split("[.-]");
        org.junit.jupiter.api.Assumptions.assumeTrue(Integer.parseInt(v[0]) > 6
                        || (Integer.parseInt(v[0]) == 6 && Integer.parseInt(v[1]) >= 1),
                "SKIPPED: DEFER_TASKRUN is Linux >= 6.1, this is " + System.getProperty("os.version"));
        poller.poll(events, NOW);
        io.ffpoll.multiplexer.uring.IoUringBackend backend =
                (io.ffpoll.multiplexer.uring.IoUringBackend) poller.unwrap();
        int flags = backend.setupFlags();
        assertEquals(IoUringAbi.IORING_SETUP_SINGLE_ISSUER | IoUringAbi.IORING_SETUP_DEFER_TASKRUN,
                flags & (IoUringAbi.IORING_SETUP_SINGLE_ISSUER | IoUringAbi.IORING_SETUP_DEFER_TASKRUN),
                "setup flags " + Integer.toHexString(flags));
        assertTrue(backend.registeredRing(), "the ring fd is registered");
    }

    @Test
    void theFirstPollEnablesTheRingAndRegistersItsFdAndNoLaterOneRegistersAnything() throws Exception {
        Thread me = Thread.currentThread();
        long registers = Syscalls.count("io_uring_register", me);
        poller.poll(events, NOW);
        assertEquals(2, Syscalls.count("io_uring_register", me) - registers, "ENABLE_RINGS and RING_FDS");
        int lfd = net.listen();
        poller.register(lfd, Interest.READABLE, null);
        for (int i = 0; i < 10; i++) {
            poller.poll(events, NOW);
        }
        poller.deregister(lfd);
        poller.poll(events, NOW);
        assertEquals(2, Syscalls.count("io_uring_register", me) - registers);
    }

    @Test
    void aPollFromAnotherThreadThanTheOwnerIsRefused() throws Exception {
        poller.poll(events, NOW);
        CompletableFuture<Throwable> other = new CompletableFuture<>();
        Thread t = new Thread(() -> other.complete(assertThrows(IllegalStateException.class,
                () -> poller.poll(events, NOW))));
        t.start();
        t.join();
        assertTrue(other.get(30, TimeUnit.SECONDS).getMessage().contains("belongs to"), other.get().getMessage());
        assertEquals(0, poller.poll(events, NOW), "the owner still polls");
    }

    @Test
    void aLoopRefusesAPollerAnotherThreadHasPolled() throws Exception {
        try (Poller fresh = Poller.open("io_uring")) {
            fresh.poll(events, NOW); // this thread owns the ring now
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EventLoop.start("refused", fresh, 16));
            assertTrue(e.getMessage().contains("bound to thread " + Thread.currentThread().getName()), e.getMessage());
        }
        try (EventLoop loop = EventLoop.start("accepted", Poller.open("io_uring"), 16)) {
            assertEquals("io_uring", loop.submit(loop::backend).get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aBusyServerMakesOneEnterPerPollAndNoOtherSyscall() throws Exception {
        int lfd = net.listen();
        int client = net.connect(net.address(lfd));
        int server = net.accept(lfd);
        poller.register(server, Interest.READABLE, null);
        pollNow();
        Thread me = Thread.currentThread();
        long enters = Syscalls.count("io_uring_enter", me);
        long others = Syscalls.count("io_uring_register", me) + Syscalls.count("epoll_wait", me)
                + Syscalls.count("epoll_ctl", me);
        long polls = 0;
        for (int i = 0; i < 100; i++) {
            net.send(client, new byte[] {(byte) i});
            int n;
            do {
                polls++;
                n = poller.poll(events, Duration.ofSeconds(30));
            } while (n == 0);
            assertEquals(server, events.get(0).fd());
            assertTrue(events.get(0).isReadable());
            assertEquals(1, net.read(server, 8).length);
        }
        long perPoll = Syscalls.count("io_uring_enter", me) - enters;
        assertTrue(perPoll >= 100, "one enter per poll at least: " + perPoll);
        assertEquals(polls, perPoll, "one enter per poll");
        assertEquals(others, Syscalls.count("io_uring_register", me) + Syscalls.count("epoll_wait", me)
                + Syscalls.count("epoll_ctl", me), "nothing but io_uring_enter");
    }

    /**
     * deregisterAndClose submits the cancel of the fd's poll in an enter of its own, then closes.
     * When the kernel takes no SQE in that enter (EAGAIN here, injected; EBUSY with its CQ full),
     * a close at once would free the number while the cancel, or a send, still names it: the
     * close waits behind them for the next poll's enter.
     */
    @Test
    void aCloseWhoseEnterTheKernelRefusesGoesBehindTheQueuedCancel() throws Exception {
        int lfd = net.listen();
        int client = net.connect(net.address(lfd));
        int server = net.accept(lfd);
        poller.register(server, Interest.READABLE, null);
        pollNow();
        net.forget(server); // the poller closes it
        Faults.install(1, List.of(new Faults.Rule("io_uring_enter", ErrnoCodes.EAGAIN, 1.0)), Thread.currentThread().getName());
        try {
            poller.deregisterAndClose(server);
            assertTrue(Files.exists(Path.of("/proc/self/fd/" + server)),
                    "fd " + server + " is still open: the cancel naming it was not submitted");
        } finally {
            Faults.clear();
        }
        pollNow(); // the cancel, then the close
        assertFalse(Files.exists(Path.of("/proc/self/fd/" + server)), "closed by the enter that took the cancel");
        assertEquals(0, net.read(client, 8).length, "the peer got the FIN");
    }

    @Test
    void autoPicksIoUringHere() throws IOException {
        try (Poller p = Poller.open("auto")) {
            assertEquals("io_uring", p.backend());
        }
    }

    @Test
    void theEnginePropertyPicksWhatOpenWithNoNameOpens() throws IOException {
        String before = System.getProperty(Poller.ENGINE_PROPERTY);
        try {
            System.setProperty(Poller.ENGINE_PROPERTY, "io_uring");
            try (Poller p = Poller.open()) {
                assertEquals("io_uring", p.backend());
            }
            System.setProperty(Poller.ENGINE_PROPERTY, "epoll");
            try (Poller p = Poller.open()) {
                assertEquals("epoll", p.backend());
            }
            System.setProperty(Poller.ENGINE_PROPERTY, "nonsense");
            assertThrows(IllegalArgumentException.class, Poller::open);
        } finally {
            if (before == null) {
                System.clearProperty(Poller.ENGINE_PROPERTY);
            } else {
                System.setProperty(Poller.ENGINE_PROPERTY, before);
            }
        }
    }

    @Test
    void aTimeoutEndsAWaitWithNoEvents() throws IOException {
        assertEquals(0, poller.poll(events, Duration.ofMillis(5)));
    }

    /**
     * A completion queue kept overflowing ends multishot polls at their first completion: the
     * kernel posts nothing new while its overflow list holds entries. Healthy sockets must be
     * armed again, never refused as files with nothing to wait on. Here each poll of the first
     * 40 queues 5,000 registrations of closed fd numbers, whose failures complete inline, more
     * than the 4,096-entry queue holds. (A review's reproducer: 200 of 200 sockets were refused.)
     */
    @Test
    void aPersistentlyOverflowingCompletionQueueRefusesNoHealthySocket() throws Exception {
        int listen = net.listen();
        int[][] pairs = net.pairs(listen, 100);
        net.close(listen);
        java.util.Set<Integer> sockets = new java.util.HashSet<>();
        for (int[] side : pairs) {
            for (int fd : side) {
                sockets.add(fd);
                poller.register(fd, Interest.BOTH, "socket");
            }
        }
        int closedBase = 15_000; // under the 20,000 cap; none of them open
        for (int fd = closedBase; fd < closedBase + 5_000; fd++) {
            assertFalse(Files.exists(Path.of("/proc/self/fd/" + fd)), "fd " + fd + " is open");
        }
        Events many = Events.withCapacity(8192);
        int failedClosed = 0;
        for (int round = 0; round < 60; round++) {
            if (round < 40) {
                for (int fd = closedBase; fd < closedBase + 5_000; fd++) {
                    if (!poller.isRegistered(fd)) {
                        poller.register(fd, Interest.READABLE, "closed");
                    }
                }
            }
            int n = poller.poll(many, Duration.ofMillis(5));
            for (int i = 0; i < n; i++) {
                Event e = many.get(i);
                if (e.registrationFailure() != null) {
                    assertFalse(sockets.contains(e.fd()), "a healthy socket was refused: " + e.registrationFailure());
                    failedClosed++;
                }
            }
        }
        // About 4,080 a poll here: the queue was full at every one of the 40.
        assertTrue(failedClosed >= 100_000, "the closed fds' failures: " + failedClosed);
        for (int fd : sockets) {
            assertTrue(poller.isRegistered(fd), "fd " + fd + " was dropped");
            poller.deregister(fd);
        }
        poller.poll(many, NOW);
    }
}
