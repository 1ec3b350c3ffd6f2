package io.ffpoll.http.launcher;

import io.ffpoll.bindings.Processes;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rolling restarts asked for while one is under way (SIGHUPs in a row), on a fake process
 * table: they wait for it, and however many they are, make one more generation after it.
 */
class SupervisorRollingRestartTest {
    private static final Duration GRACE = Duration.ofSeconds(10);

    @Test
    void restartsAskedForDuringOneMakeOneMoreGenerationAfterIt() throws Exception {
        long fds = Loopback.openFds();
        FakeChildren kernel = new FakeChildren();
        int[] socket = FakeChildren.socketStandIn();
        Supervisor supervisor = new Supervisor(socket[0], 1, List.of("/fake/worker"), GRACE, kernel);
        try {
            supervisor.start();
            // The first restart's spawn waits until the two after it are asked for.
            kernel.holdSpawns();
            CompletableFuture<Boolean> first = supervisor.rollingRestart();
            CompletableFuture<Boolean> second = supervisor.rollingRestart();
            CompletableFuture<Boolean> third = supervisor.rollingRestart();
            kernel.releaseSpawns();
            assertTrue(first.get(60, TimeUnit.SECONDS), "generation 2 serves");
            assertTrue(second.get(60, TimeUnit.SECONDS), "generation 3 serves");
            assertTrue(third.get(60, TimeUnit.SECONDS), "generation 3 serves");
            assertEquals(List.of(kernel.child(3).pid), supervisor.pids(), "calls: " + kernel.log());
            assertEquals(3, kernel.spawned().size(), "one generation after the first restart, not two: " + kernel.log());
            for (int n = 1; n <= 2; n++) {
                assertEquals(List.of(Processes.SIGTERM), kernel.signals(kernel.child(n)), "generation " + n + " drained");
            }
        } finally {
            kernel.releaseSpawns();
            supervisor.stop();
            FakeChildren.closeBoth(socket);
        }
        assertEquals(3, kernel.log().stream().filter(l -> l.startsWith("reap")).count(), "every child reaped: " + kernel.log());
        Loopback.awaitOpenFdsAtMost(fds, "descriptors of this process");
    }
}
