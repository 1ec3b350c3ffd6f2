package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A burst of waiting connections is accepted a bounded number per loop iteration, so the
 * loop's other events (a request on a connection it already has) are not held up behind the
 * whole burst: 2,000 connections reset at once held a probe's answer up 324 ms (bench/hostile)
 * while the listener accepted them all in one turn.
 */
class AcceptFairnessTest extends LoopTestBase {

    @Test
    void aBurstOfConnectionsIsAcceptedOverSeveralIterations() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        Listener listener = serve((fd, peer) -> {
            accepted.incrementAndGet();
            net.track(fd);
        });
        listener.suspendAccepting();
        final int burst = 300;
        for (int i = 0; i < burst; i++) {
            net.connect(address); // completed by the kernel, waiting in the backlog
        }
        long before = loop.stats().iterations();
        listener.resumeAccepting();
        awaitOnLoop(() -> accepted.get() == burst, "all " + burst + " connections accepted");
        long iterations = loop.stats().iterations() - before;
        assertTrue(iterations >= burst / Listener.ACCEPTS_PER_TURN,
                burst + " connections accepted in " + iterations + " iterations: one turn took them all");
    }
}
