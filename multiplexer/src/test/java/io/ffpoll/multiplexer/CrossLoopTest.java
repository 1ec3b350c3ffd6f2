package io.ffpoll.multiplexer;

import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loops that call each other: no call made on a loop thread waits for a loop, so two loops
 * asking each other at once can never stop each other for good.
 */
class CrossLoopTest {

    @Test
    void twoLoopsClosingTheirGroupAtOnceBothEnd() throws Exception {
        long fds = Loopback.openFds();
        EventLoopGroup group = EventLoopGroup.start("cross", 2);
        CountDownLatch bothInside = new CountDownLatch(2);
        CompletableFuture<?>[] calls = new CompletableFuture<?>[2];
        for (int i = 0; i < 2; i++) {
            calls[i] = group.get(i).submit(() -> {
                bothInside.countDown();
                bothInside.await(); // both loops call close() at the same time
                group.close();
                return null;
            });
        }
        for (int i = 0; i < 2; i++) {
            assertTrue(group.get(i).awaitTermination(30, TimeUnit.SECONDS), "loop " + i + " never ended");
            calls[i].get(30, TimeUnit.SECONDS);
        }
        assertTrue(group.isClosed());
        assertEquals(null, group.closeAsync().get(30, TimeUnit.SECONDS), "closing again: done already");
        Loopback.awaitOpenFdsAtMost(fds, "file descriptors leaked");
    }

    @Test
    void aLoopClosingAnotherDoesNotWaitForIt() throws Exception {
        try (EventLoopGroup group = EventLoopGroup.start("cross", 2)) {
            EventLoop a = group.get(0);
            EventLoop b = group.get(1);
            CountDownLatch release = new CountDownLatch(1);
            b.execute(() -> {
                try {
                    release.await(); // b is busy: a close that waited for it would hold a
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            CompletableFuture<Void> closed = a.submit(() -> {
                b.close();
                return null;
            }).thenCompose(x -> b.closeAsync());
            assertEquals("done", a.submit(() -> "done").get(30, TimeUnit.SECONDS), "loop a went on serving");
            release.countDown();
            closed.get(30, TimeUnit.SECONDS);
            assertTrue(b.isClosed());
        }
    }

    @Test
    void onLoopRunsAtOnceOnItsOwnLoopAndIsRefusedByAClosedOne() throws Exception {
        EventLoop loop = EventLoop.start("on-loop");
        try {
            Thread here = loop.submit(() -> {
                CompletableFuture<Thread> f = loop.onLoop(Thread::currentThread);
                assertTrue(f.isDone(), "on its own loop the task ran at once");
                assertEquals(loop, EventLoop.current());
                return f.join();
            }).get(30, TimeUnit.SECONDS);
            assertEquals(here, loop.onLoop(Thread::currentThread).get(30, TimeUnit.SECONDS));
            assertEquals(null, EventLoop.current(), "the test thread is no loop's");
        } finally {
            loop.close();
        }
        CompletableFuture<String> refused = loop.onLoop(() -> "never");
        assertThrows(java.util.concurrent.ExecutionException.class, () -> refused.get(30, TimeUnit.SECONDS));
        assertTrue(refused.isCompletedExceptionally());
    }

    @Test
    void aTaskOfferedAfterTheLoopEndedIsRefusedEvenFromItsOwnThread() throws Exception {
        EventLoop loop = EventLoop.start("ending");
        CompletableFuture<Throwable> offered = loop.closeAsync().thenApply(x -> {
            // Here the termination's dependents run on the ended loop's own thread.
            assertEquals(null, EventLoop.current(), "an ended loop's thread is no loop's");
            try {
                loop.execute(() -> { });
                return null;
            } catch (java.util.concurrent.RejectedExecutionException refused) {
                return refused;
            }
        });
        assertTrue(offered.get(30, TimeUnit.SECONDS) instanceof java.util.concurrent.RejectedExecutionException,
                "a task accepted now would never run");
    }
}
