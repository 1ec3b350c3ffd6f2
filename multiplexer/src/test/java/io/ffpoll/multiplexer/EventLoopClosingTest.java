package io.ffpoll.multiplexer;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
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
 * end, a task that queues itself again at every run (a "continue later" slice of work)
 * cannot hold close() for ever, and nothing accepted is dropped.
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

    /**
     * A chain started while the loop closes its resources (a watch's closed() completes there)
     * runs in the generations after them: one of 64 runs whole; one that goes on for ever is
     * ended by the terminated loop's refusal, after about as many runs, and close() returns.
     */
    @Test
    void aChainQueuedWhileTheLoopClosesRunsItsGenerationsAndThenEnds() throws Exception {
        for (int length : new int[] {64, Integer.MAX_VALUE}) {
            EventLoop loop = EventLoop.start("closing");
            int[] fds = new int[2];
            assertEquals(0, io.ffpoll.bindings.Processes.pipe(fds));
            Slices slices = new Slices(loop, length);
            try {
                assertEquals(0, io.ffpoll.multiplexer.testing.Loopback.OS.setBlocking(fds[0], false));
                FdWatch watch = FdWatch.start(loop, fds[0], Interest.READABLE, (w, e) -> { }).get(30, TimeUnit.SECONDS);
                CompletableFuture<Void> queued = new CompletableFuture<>();
                watch.closed().whenComplete((v, t) -> {
                    loop.execute(slices); // on the loop, inside its closing
                    queued.complete(null);
                });
                loop.closeAsync().get(30, TimeUnit.SECONDS);
                assertTrue(queued.isDone(), "the chain was queued while the loop closed");
                if (length == 64) {
                    assertEquals(64, slices.ran.get(), "each task of the chain ran");
                } else {
                    assertTrue(slices.ran.get() > 64 && slices.ran.get() < 1000, slices.ran.get() + " runs");
                }
                assertThrows(RejectedExecutionException.class, () -> loop.execute(() -> { }));
            } finally {
                slices.stop.set(true);
                loop.awaitTermination(30, TimeUnit.SECONDS);
                io.ffpoll.multiplexer.testing.Loopback.OS.close(fds[0]);
                io.ffpoll.multiplexer.testing.Loopback.OS.close(fds[1]);
            }
        }
    }
}
