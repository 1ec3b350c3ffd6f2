package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        // Accepts per loop iteration, counted where they happen: iterations the test's own
        // checks cause accept nothing and do not count.
        Map<Long, Integer> perIteration = new TreeMap<>();
        Listener listener = serve((fd, peer) -> {
            accepted.incrementAndGet();
            perIteration.merge(loop.stats().iterations(), 1, Integer::sum);
            net.track(fd);
        });
        listener.suspendAccepting();
        final int burst = 300;
        for (int i = 0; i < burst; i++) {
            net.connect(address); // completed by the kernel, waiting in the backlog
        }
        listener.resumeAccepting();
        awaitOnLoop(() -> accepted.get() == burst, "all " + burst + " connections accepted");
        Map<Long, Integer> turns = onLoop(() -> new TreeMap<>(perIteration));
        assertEquals(burst, turns.values().stream().mapToInt(Integer::intValue).sum());
        assertTrue(turns.values().stream().allMatch(n -> n <= Listener.ACCEPTS_PER_TURN),
                "more than " + Listener.ACCEPTS_PER_TURN + " accepts in one iteration: " + turns);
        assertTrue(turns.size() >= (burst + Listener.ACCEPTS_PER_TURN - 1) / Listener.ACCEPTS_PER_TURN,
                burst + " connections accepted in " + turns.size() + " iterations: " + turns);
    }
}
