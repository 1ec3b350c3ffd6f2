package io.ffpoll.multiplexer;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a closing loop does with tasks that its tasks queue: a finite chain still runs to its
 * end, and a task that queues itself again at every run (a "continue later" slice of work)
 * cannot hold close() forever.
 */
class EventLoopClosingTest {

    /** Runs, then queues itself again, until {@link #stop} or its count of runs is reached. */
    private static final class Slices implements Runnable {
        final EventLoop loop;
        final int runs;
        final AtomicInteger ran = new AtomicInteger();
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch first = new CountDownLatch(1);

        Slices(EventLoop loop, int runs) {
            this.loop = loop;
            this.runs = runs;
        }

        @Override
        public void run() {
            first.countDown();
            if (ran.incrementAndGet() < runs && !stop.get()) {
                loop.execute(this);
            }
        }
    }

    @Test
    void aTaskThatQueuesItselfForeverDoesNotHoldClose() throws Exception {
        EventLoop loop = EventLoop.start("closing");
        Slices slices = new Slices(loop, Integer.MAX_VALUE);
        try {
            loop.execute(slices);
            assertTrue(slices.first.await(30, TimeUnit.SECONDS));
            loop.closeAsync().get(30, TimeUnit.SECONDS);
            assertTrue(loop.awaitTermination(0, TimeUnit.SECONDS));
            assertThrows(RejectedExecutionException.class, () -> loop.execute(() -> { }));
        } finally {
            slices.stop.set(true); // on failure: let the loop end
            loop.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aChainOfTasksQueuedWhileClosingRunsToItsEnd() throws Exception {
        EventLoop loop = EventLoop.start("closing");
        Slices slices = new Slices(loop, 12);
        CountDownLatch hold = new CountDownLatch(1);
        loop.execute(() -> {
            try {
                hold.await(); // the close is asked for while this runs: the chain starts after it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        loop.execute(slices);
        loop.closeAsync();
        hold.countDown();
        loop.closeAsync().get(30, TimeUnit.SECONDS);
        assertEquals(12, slices.ran.get(), "each task of the chain ran");
    }
}
