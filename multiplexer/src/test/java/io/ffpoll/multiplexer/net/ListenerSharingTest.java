package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.uring.IoUringBackend;
import io.ffpoll.multiplexer.testing.LoopTestBase;
import io.ffpoll.multiplexer.testing.LoopThreads;
import io.ffpoll.bindings.Errors;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loops that accept on duplicates of one listening socket (an inherited socket served by each
 * loop): on epoll a connection wakes one loop, not all (on io_uring each, so that none keeps a
 * connection from another that is free), and a loop whose listener closed is not woken.
 */
class ListenerSharingTest extends LoopTestBase {

    @Test
    void aConnectionWakesOneLoopAndAClosedSharedListenerWakesNone() throws Exception {
        try (EventLoop other = EventLoop.start("other")) {
            int dup = Errors.check(Loopback.OS.duplicate(listenFd), "fcntl(F_DUPFD_CLOEXEC)");
            AtomicInteger acceptedHere = new AtomicInteger();
            AtomicInteger acceptedThere = new AtomicInteger();
            Listener here = sharedCounting(loop, listenFd, acceptedHere);
            listenerOwnsListenFd();
            sharedCounting(other, dup, acceptedThere);
            int hereTid = LoopThreads.tid(loop);
            int thereTid = LoopThreads.tid(other);
            final int n = 40;
            LoopThreads.awaitBlocked(hereTid);
            LoopThreads.awaitBlocked(thereTid);
            long wakeups = LoopThreads.voluntarySwitches(hereTid) + LoopThreads.voluntarySwitches(thereTid);
            for (int i = 0; i < n; i++) {
                int accepted = acceptedHere.get() + acceptedThere.get();
                net.close(net.connect(address));
                await(() -> acceptedHere.get() + acceptedThere.get() == accepted + 1, "connection " + i + " accepted");
                LoopThreads.awaitBlocked(hereTid);
                LoopThreads.awaitBlocked(thereTid);
            }
            wakeups = LoopThreads.voluntarySwitches(hereTid) + LoopThreads.voluntarySwitches(thereTid) - wakeups;
            // On epoll, one wakeup per connection where each woke both loops before (about 2n).
            // io_uring wakes every loop: see aBusyLoopDoesNotKeepTheConnectionsTheOtherCouldAccept.
            int loopsWoken = LoopAccess.get().backend(loop) instanceof IoUringBackend ? 2 : 1;
            assertTrue(wakeups <= loopsWoken * n + n / 4, n + " connections woke the loops " + wakeups + " times");

            here.closeAsync().get(30, TimeUnit.SECONDS);
            LoopThreads.awaitBlocked(hereTid);
            long hereBefore = LoopThreads.voluntarySwitches(hereTid);
            int acceptedBefore = acceptedThere.get();
            for (int i = 0; i < 20; i++) {
                net.close(net.connect(address));
            }
            await(() -> acceptedThere.get() == acceptedBefore + 20, "the other loop accepts them all");
            LoopThreads.awaitBlocked(hereTid);
            assertEquals(hereBefore, LoopThreads.voluntarySwitches(hereTid),
                    "a loop whose listener closed was woken by its connections");
        }
    }

    /**
     * Two loops (or processes) on one socket: the one registered first is woken first
     * (EPOLLEXCLUSIVE wakes one waiter of the socket's queue, in order). When it stops
     * accepting, the other must get the connections: a suspended listener leaves the wake set,
     * and comes back to it when resumed.
     */
    @Test
    void aSuspendedSharedListenerLeavesTheWakeSetSoTheOtherLoopAccepts() throws Exception {
        try (EventLoop other = EventLoop.start("other")) {
            int dup = Errors.check(Loopback.OS.duplicate(listenFd), "fcntl(F_DUPFD_CLOEXEC)");
            AtomicInteger acceptedHere = new AtomicInteger();
            AtomicInteger acceptedThere = new AtomicInteger();
            Listener here = sharedCounting(loop, listenFd, acceptedHere);
            listenerOwnsListenFd();
            iterate(loop); // its registration reached the kernel first
            Listener there = sharedCounting(other, dup, acceptedThere);
            iterate(other);

            here.suspendAccepting(); // as at a connection limit
            iterate(loop);
            connectAndAwait(acceptedThere, "the loop still accepting");
            assertEquals(0, acceptedHere.get());

            here.resumeAccepting(); // back in the set, behind the other now
            iterate(loop);
            there.suspendAccepting();
            iterate(other);
            connectAndAwait(acceptedHere, "the resumed loop");
            assertEquals(3, acceptedThere.get());
        }
    }

    /**
     * A connection to a shared socket goes to a loop that can take it. One loop is busy (a task
     * holds it) when connections come: the other accepts them meanwhile, as epoll's exclusive
     * wakeup passes over an epoll nobody waits on. A wakeup the busy loop's io_uring poll kept
     * would hold them until it is free, or for good if it closed its listener first (as an old
     * generation of workers does in a rolling restart).
     */
    @Test
    void aBusyLoopDoesNotKeepTheConnectionsTheOtherCouldAccept() throws Exception {
        try (EventLoop other = EventLoop.start("other")) {
            int dup = Errors.check(Loopback.OS.duplicate(listenFd), "fcntl(F_DUPFD_CLOEXEC)");
            AtomicInteger acceptedHere = new AtomicInteger();
            AtomicInteger acceptedThere = new AtomicInteger();
            Listener here = sharedCounting(loop, listenFd, acceptedHere);
            listenerOwnsListenFd();
            iterate(loop); // registered first: the first its socket wakes
            sharedCounting(other, dup, acceptedThere);
            iterate(other);

            CountDownLatch free = new CountDownLatch(1);
            CountDownLatch busy = new CountDownLatch(1);
            loop.execute(() -> {
                busy.countDown();
                try {
                    free.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                assertTrue(busy.await(30, TimeUnit.SECONDS));
                connectAndAwait(acceptedThere, "the loop that is free, while the other is busy");
            } finally {
                free.countDown();
            }
            assertEquals(0, acceptedHere.get());
            here.closeAsync().get(30, TimeUnit.SECONDS);
        }
    }

    /** A shared listener on {@code on} that counts what it accepts, and closes it. */
    private static Listener sharedCounting(EventLoop on, int fd, AtomicInteger accepted) throws Exception {
        return Listener.startShared(on, fd, (c, peer) -> {
            accepted.incrementAndGet();
            Loopback.OS.close(c);
        }).get(30, TimeUnit.SECONDS);
    }

    /** Runs two iterations of {@code loop}: what was queued for it ran, and its next poll applied it. */
    private static void iterate(EventLoop loop) throws Exception {
        loop.submit(() -> null).get(30, TimeUnit.SECONDS);
        loop.submit(() -> null).get(30, TimeUnit.SECONDS);
        LoopThreads.awaitBlocked(LoopThreads.tid(loop));
    }

    private void connectAndAwait(AtomicInteger accepted, String who) throws Exception {
        int before = accepted.get();
        for (int i = 1; i <= 3; i++) {
            net.close(net.connect(address));
            int expected = before + i;
            await(() -> accepted.get() == expected, "connection " + i + " accepted by " + who);
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(1);
        }
    }
}
