package io.ffpoll.multiplexer;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.testing.Cpus;
import io.ffpoll.multiplexer.testing.LoopThreads;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The EventLoop: tasks, wakeups, timers, handlers, closing. */
class EventLoopTest {
    private long fdsBefore;
    private EventLoop loop;

    @BeforeEach
    void start() throws IOException {
        fdsBefore = Loopback.openFds();
        loop = EventLoop.start("test-loop");
    }

    @AfterEach
    void stop() {
        loop.close();
        assertEquals(fdsBefore, Loopback.openFds(), "file descriptors leaked");
    }

    /** Runs {@code body} on the loop thread and waits for it. */
    private <T> T onLoop(java.util.concurrent.Callable<T> body) throws Exception {
        return loop.submit(body).get(10, TimeUnit.SECONDS);
    }

    private void awaitBlocked() throws Exception {
        LoopThreads.awaitBlocked(LoopThreads.tid(loop));
    }

    @Test
    void polledAtIsTheClockOfTheLastPollAndMovesOnlyForward() throws Exception {
        io.ffpoll.multiplexer.internal.LoopAccess access = io.ffpoll.multiplexer.internal.LoopAccess.get();
        long started = System.nanoTime();
        EventLoop fresh = EventLoop.start("polled-at");
        try {
            long last = started;
            for (int round = 0; round < 3; round++) {
                // A task runs after a poll of its iteration, and the first poll comes after the start.
                long polled = fresh.submit(() -> access.polledAt(fresh)).get(30, TimeUnit.SECONDS);
                long after = System.nanoTime();
                assertTrue(polled - last >= 0 && after - polled >= 0,
                        "round " + round + ": polledAt " + polled + " not in [" + last + ", " + after + "]");
                last = polled;
            }
        } finally {
            fresh.close();
            assertTrue(fresh.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aTaskFromAnotherThreadWakesABlockedLoop() throws Exception {
        awaitBlocked();
        CountDownLatch ran = new CountDownLatch(1);
        AtomicReference<Thread> on = new AtomicReference<>();
        loop.execute(() -> {
            on.set(Thread.currentThread());
            ran.countDown();
        });
        assertTrue(ran.await(5, TimeUnit.SECONDS), "task did not run: loop was not woken");
        assertEquals("test-loop", on.get().getName());
    }

    @Test
    void aBurstOfTenThousandSubmissionsToABusyLoopCostsOnlyTheWriteThatWokeIt() throws Exception {
        awaitBlocked();
        AtomicInteger ran = new AtomicInteger();
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread me = Thread.currentThread();
        long writes = Syscalls.count("write", me);
        // The first task wakes the blocked loop (one write) and keeps it busy while the other
        // 9,999 arrive: a loop that is not blocked needs no write to see them.
        loop.execute(() -> {
            busy.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(busy.await(30, TimeUnit.SECONDS));
        CountDownLatch allRan = new CountDownLatch(9_999);
        for (int i = 0; i < 9_999; i++) {
            loop.execute(() -> {
                ran.incrementAndGet();
                allRan.countDown();
            });
        }
        release.countDown();
        assertTrue(allRan.await(30, TimeUnit.SECONDS));
        assertEquals(9_999, ran.get());
        assertEquals(1, Syscalls.count("write", me) - writes, "eventfd writes for 10,000 submissions");
    }

    @Test
    void anIdleLoopWokenFromItsOwnCpuRunsEachTaskInAtMostTwoIterations() throws Exception {
        // The loop and the caller share one CPU, as in a one-CPU container: the woken loop can
        // preempt the caller in the middle of its wakeup and must then block, not spin.
        int tid = LoopThreads.tid(loop);
        onLoop(() -> {
            Cpus.pinCurrentThread(0);
            return null;
        });
        Cpus.pinCurrentThread(0);
        try {
            final int tasks = 500;
            long before = loop.stats().iterations();
            for (int i = 0; i < tasks; i++) {
                // The workload: one task at a time to a loop that is blocked, idle, in its wait.
                LoopThreads.awaitBlocked(tid);
                CountDownLatch ran = new CountDownLatch(1);
                loop.execute(ran::countDown);
                assertTrue(ran.await(30, TimeUnit.SECONDS));
            }
            long iterations = loop.stats().iterations() - before;
            assertTrue(iterations <= 2L * tasks, tasks + " tasks took " + iterations + " loop iterations");
        } finally {
            Cpus.unpinCurrentThread();
        }
    }

    @Test
    void wakingABlockedLoopCostsOneEventfdWriteAndNoExtraPoll() throws Exception {
        int tid = LoopThreads.tid(loop);
        Thread loopThread = LoopThreads.thread(loop);
        Thread me = Thread.currentThread();
        for (int round = 0; round < 20; round++) {
            LoopThreads.awaitBlocked(tid);
            String wait = io.ffpoll.multiplexer.testing.Engines.waitCall(loop.backend());
            long waits = Syscalls.count(wait, loopThread);
            long writes = Syscalls.count("write", me);
            CountDownLatch ran = new CountDownLatch(1);
            loop.execute(ran::countDown);
            assertTrue(ran.await(30, TimeUnit.SECONDS));
            LoopThreads.awaitBlocked(tid);
            // The wait the wakeup ended was counted before; after it only the one the loop blocks
            // in now: no non-blocking poll between.
            assertEquals(1, Syscalls.count(wait, loopThread) - waits, wait + " calls for one wakeup, round " + round);
            assertEquals(1, Syscalls.count("write", me) - writes, "eventfd writes for one wakeup, round " + round);
        }
    }

    @Test
    void virtualThreadsWakeTheLoopWithoutMakingPerThreadState() throws Exception {
        int tid = LoopThreads.tid(loop);
        long states = io.ffpoll.bindings.internal.Errno.threadStates();
        long writes = 0;
        for (int i = 0; i < 50; i++) {
            LoopThreads.awaitBlocked(tid);
            CountDownLatch ran = new CountDownLatch(1);
            Thread waker = Thread.ofVirtual().start(() -> loop.execute(ran::countDown));
            waker.join();
            assertTrue(ran.await(30, TimeUnit.SECONDS));
            writes += Syscalls.count("write", waker);
        }
        assertEquals(50, writes, "each wakeup of the blocked loop writes once");
        assertEquals(states, io.ffpoll.bindings.internal.Errno.threadStates(), "virtual threads made errno state to wake the loop");
    }

    @Test
    void timersFireInDeadlineOrderNeverEarlyAndCancelledOnesNever() throws Exception {
        List<Integer> fired = Collections.synchronizedList(new ArrayList<>());
        List<Long> firedDeadlines = Collections.synchronizedList(new ArrayList<>());
        List<Long> lateness = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(6);
        int[] delays = {50, 10, 30, 20, 40, 60};
        // Scheduled and cancelled in one loop task, which no timer can interrupt: cancelled from
        // the test thread, a 5 ms timer could fire first on a loaded machine.
        onLoop(() -> {
            List<Timer> cancelled = new ArrayList<>();
            for (int d : delays) {
                Timer[] self = new Timer[1];
                self[0] = loop.schedule(Duration.ofMillis(d), () -> {
                    lateness.add(System.nanoTime() - self[0].deadlineNanos());
                    firedDeadlines.add(self[0].deadlineNanos());
                    fired.add(d);
                    done.countDown();
                });
                cancelled.add(loop.schedule(Duration.ofMillis(d - 5), () -> fired.add(-d)));
            }
            for (Timer t : cancelled) {
                assertTrue(t.cancel());
                assertFalse(t.cancel(), "a second cancel reports false");
            }
            return null;
        });
        assertTrue(done.await(30, TimeUnit.SECONDS));
        // A cancelled timer was due 5 ms before its twin, so by deadline order it would have
        // fired before the last twin did.
        assertEquals(List.of(10, 20, 30, 40, 50, 60), fired.stream().sorted().toList(),
                "cancelled timers must never fire");
        // In deadline order (the deadlines are taken when scheduling, so a slow test thread can
        // reorder equal-looking delays; the loop must follow the deadlines).
        for (int i = 1; i < firedDeadlines.size(); i++) {
            assertTrue(firedDeadlines.get(i - 1) <= firedDeadlines.get(i), "fired out of deadline order: " + fired);
        }
        for (long late : lateness) {
            assertTrue(late >= 0, "fired early by " + late + " ns");
        }
    }

    @Test
    void aTimerCancelledOnTheLoopBeforeItsDeadlineNeverRunsEvenWhenDue() throws Exception {
        AtomicInteger fired = new AtomicInteger();
        onLoop(() -> {
            Timer t = loop.schedule(Duration.ZERO, fired::incrementAndGet);
            assertTrue(t.cancel());
            return null;
        });
        // A later timer runs after the cancelled one would have (deadline order).
        CountDownLatch ran = new CountDownLatch(1);
        Timer t = loop.schedule(Duration.ofMillis(1), ran::countDown);
        assertTrue(ran.await(30, TimeUnit.SECONDS));
        assertEquals(0, fired.get());
        assertFalse(t.cancel(), "cancelling a timer that ran reports false");
    }

    @Test
    void manyTimersStayOrderedThroughTheHeap() throws Exception {
        int n = 2_000;
        List<Long> fired = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(n / 2);
        java.util.Random random = new java.util.Random(42);
        onLoop(() -> {
            List<Timer> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long micros = random.nextInt(100_000);
                Timer[] self = new Timer[1];
                self[0] = loop.schedule(Duration.ofNanos(micros * 1000), () -> {
                    fired.add(self[0].deadlineNanos());
                    done.countDown();
                });
                all.add(self[0]);
            }
            for (int i = 0; i < n; i += 2) {
                assertTrue(all.get(i).cancel());
            }
            return null;
        });
        assertTrue(done.await(30, TimeUnit.SECONDS));
        assertEquals(n / 2, fired.size());
        for (int i = 1; i < fired.size(); i++) {
            assertTrue(fired.get(i - 1) <= fired.get(i), "timer " + i + " fired out of order");
        }
    }

    @Test
    void aThrowingHandlerOrTaskDoesNotStopTheLoop() throws Exception {
        loop.execute(() -> {
            throw new IllegalStateException("task failure, expected by the test");
        });
        Loopback net = new Loopback();
        int[] pair = net.pair();
        int efd = pair[1];
        net.forget(efd); // the loop closes it
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch second = new CountDownLatch(2);
        onLoop(() -> {
            loop.register(efd, Interest.READABLE, e -> {
                first.countDown();
                second.countDown();
                throw new IllegalStateException("handler failure, expected by the test");
            });
            return null;
        });
        net.send(pair[0], new byte[1]);
        assertTrue(first.await(30, TimeUnit.SECONDS), "handler got no event");
        net.send(pair[0], new byte[1]); // a new edge, after the handler threw on the first
        assertTrue(second.await(30, TimeUnit.SECONDS), "handler stopped receiving events");
        assertEquals(7, (int) onLoop(() -> 7));
        onLoop(() -> {
            loop.deregisterAndClose(efd);
            return null;
        });
        net.close();
    }

    @Test
    void fdMethodsOffTheLoopThreadAndAClosedLoopGiveClearErrors() throws Exception {
        // The same exception as Connection's methods off their loop.
        WrongThreadException off =
                assertThrows(WrongThreadException.class, () -> loop.register(0, Interest.READABLE, e -> {}));
        assertTrue(off.getMessage().contains("must be called on loop thread 'test-loop'"), off.getMessage());
        loop.close();
        assertTrue(loop.isClosed());
        assertTrue(loop.awaitTermination(5, TimeUnit.SECONDS));
        RejectedExecutionException rejected =
                assertThrows(RejectedExecutionException.class, () -> loop.execute(() -> {}));
        assertEquals("event loop 'test-loop' is closed", rejected.getMessage());
        assertThrows(RejectedExecutionException.class, () -> loop.schedule(Duration.ofMillis(1), () -> {}));
        assertThrows(RejectedExecutionException.class,
                () -> loop.scheduleAtFixedRate(Duration.ZERO, Duration.ofMillis(1), () -> {}));
        loop.close(); // idempotent
    }

    @Test
    void tasksSubmittedBeforeCloseStillRun() throws Exception {
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            loop.execute(ran::incrementAndGet);
        }
        loop.close();
        assertEquals(100, ran.get());
    }

    @Test
    void everyTaskThatExecuteAcceptedRunsEvenWhenTheLoopClosesMeanwhile() throws Exception {
        for (int round = 0; round < 200; round++) {
            EventLoop racing = EventLoop.start("racing-" + round);
            AtomicLong accepted = new AtomicLong();
            AtomicLong ran = new AtomicLong();
            List<Thread> submitters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                submitters.add(Thread.ofPlatform().start(() -> {
                    while (true) {
                        try {
                            racing.execute(ran::incrementAndGet);
                        } catch (RejectedExecutionException closed) {
                            return;
                        }
                        accepted.incrementAndGet();
                    }
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ran.get() < 100 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            racing.close();
            for (Thread t : submitters) {
                t.join();
            }
            assertEquals(accepted.get(), ran.get(), "round " + round + ": tasks accepted but never run");
        }
    }

    @Test
    void aLoopServingKConnectionsMakesOneEpollWaitPerIterationAndOneCtlPerConnection() throws Exception {
        final int k = 32;
        try (Loopback net = new Loopback()) {
            int[][] pairs = net.pairs(net.listen(), k);
            int[] clients = pairs[0];
            int[] servers = pairs[1];
            // Read on the loop thread, between iterations: a poll and its count are then both done.
            long[] before = onLoop(this::budgetOf);
            AtomicInteger echoed = new AtomicInteger();
            onLoop(() -> {
                for (int fd : servers) {
                    loop.register(fd, Interest.READABLE, e -> {
                        byte[] got;
                        while ((got = net.read(e.fd(), 256)) != null && got.length > 0) {
                            echoed.addAndGet(got.length); // before the send: the client may read at once
                            net.send(e.fd(), got);
                        }
                        loop.clearReadiness(e.fd(), Interest.READABLE);
                        loop.modify(e.fd(), Interest.BOTH); // churn: free
                        loop.modify(e.fd(), Interest.READABLE);
                    });
                }
                return null;
            });
            for (int round = 0; round < 20; round++) {
                for (int c : clients) {
                    net.send(c, new byte[] {(byte) round});
                }
                for (int c : clients) {
                    assertEquals((byte) round, net.readFully(c, 1)[0]);
                }
            }
            assertEquals(20 * k, echoed.get());
            long[] after = onLoop(this::budgetOf);
            long m = after[0] - before[0];
            assertTrue(m > 20, "served in " + m + " iterations");
            assertEquals(m, after[1] - before[1], "epoll_wait (io_uring_enter) calls != loop iterations");
            assertEquals(io.ffpoll.multiplexer.testing.Engines.registrationCalls(loop.backend(), k), after[2] - before[2],
                    "epoll_ctl calls != connections (none on io_uring)");
            onLoop(() -> {
                for (int fd : servers) {
                    loop.deregisterAndClose(fd);
                    net.forget(fd);
                }
                return null;
            });
        }
    }

    /** On the loop thread: its iterations, and the waits (epoll_wait, io_uring_enter) and epoll_ctl calls it made. */
    private long[] budgetOf() {
        Thread loopThread = Thread.currentThread();
        return new long[] {loop.stats().iterations(),
                Syscalls.count(io.ffpoll.multiplexer.testing.Engines.waitCall(loop.backend()), loopThread),
                Syscalls.count("epoll_ctl", loopThread)};
    }

    @Test
    void aRegistrationOfABadFdReachesItsHandlerAsAFailure() throws Exception {
        int efd;
        try (Loopback net = new Loopback()) {
            efd = net.pair()[1];
        } // closed: its number is not open (unless another thread reuses it at once)
        CompletableFuture<IOException> failure = new CompletableFuture<>();
        loop.execute(() -> loop.register(efd, Interest.READABLE, e -> failure.complete(e.registrationFailure())));
        IOException e = failure.get(5, TimeUnit.SECONDS);
        assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
    }

    @Test
    void aPeriodicTimerRunsUntilCancelledAndCanCancelItself() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch three = new CountDownLatch(3);
        AtomicReference<Timer> self = new AtomicReference<>();
        Timer t = loop.scheduleAtFixedRate(Duration.ZERO, Duration.ofMillis(2), () -> {
            runs.incrementAndGet();
            three.countDown();
            if (runs.get() == 5) {
                assertTrue(self.get().cancel(), "a running periodic timer can cancel itself");
            }
        });
        self.set(t);
        assertTrue(t.isPeriodic());
        assertTrue(three.await(30, TimeUnit.SECONDS), "ran fewer than three times");
        // It stops at five: wait for the loop to pass a later timer, then check the count stayed.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (runs.get() < 5) {
            assertTrue(System.nanoTime() < deadline, "the timer stopped before cancelling itself");
            Thread.sleep(1);
        }
        CountDownLatch later = new CountDownLatch(1);
        loop.schedule(Duration.ofMillis(20), later::countDown);
        assertTrue(later.await(30, TimeUnit.SECONDS));
        assertEquals(5, runs.get(), "a cancelled periodic timer ran again");
        assertFalse(t.cancel(), "cancelled already");
        assertThrows(IllegalArgumentException.class, () -> loop.scheduleAtFixedRate(Duration.ZERO, Duration.ZERO, () -> {}));
    }

    @Test
    void aPeriodicTaskThatThrowsKeepsItsSchedule() throws Exception {
        CountDownLatch runs = new CountDownLatch(3);
        Timer t = loop.scheduleAtFixedRate(Duration.ofMillis(1), Duration.ofMillis(1), () -> {
            runs.countDown();
            throw new IllegalStateException("expected by the test");
        });
        assertTrue(runs.await(30, TimeUnit.SECONDS));
        assertTrue(t.cancel());
    }
}
