package io.ffpoll.http.launcher;

import io.ffpoll.bindings.Processes;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ctrl-C: SIGINT reaches the supervisor and every worker at once, and the workers drain on
 * their own. One that exits before the launcher's main thread asks the supervisor to stop is
 * draining, not crashing: the supervisor does not restart it. On a fake process table, where
 * the order is the test's.
 */
class SupervisorInterruptTest {
    private static final int EXIT_130 = 130 << 8; // the wait status of exit(130): a worker drained on SIGINT
    private static final Duration GRACE = Duration.ofSeconds(10);

    @Test
    void aWorkerThatExitsOnTheSameCtrlCIsNotRestartedAndTheStatusIs130() throws Exception {
        long fds = Loopback.openFds();
        FakeChildren kernel = new FakeChildren();
        int[] socket = FakeChildren.socketStandIn();
        Supervisor supervisor = new Supervisor(socket[0], 2, List.of("/fake/worker"), GRACE, kernel);
        try {
            assertTrue(supervisor.start(), "the workers serve");
            FakeChildren.Child first = kernel.child(1);
            // One loop task: the worker has exited (its SIGCHLD is handled in a later task), and
            // the supervisor's SIGINT callback runs, as the launcher wires it; nothing else yet.
            supervisor.loop().submit(() -> {
                kernel.exit(first, EXIT_130);
                supervisor.stopSignalled(130);
                return null;
            }).join();
            kernel.awaitReaped(1);
            supervisor.loop().submit(() -> null).join(); // whatever the reaping's task did, it did
            assertEquals(2, kernel.spawned().size(), "no worker spawned after the SIGINT; calls: " + kernel.log());
        } finally {
            supervisor.stop();
            FakeChildren.closeBoth(socket);
        }
        assertEquals(130, supervisor.stopSignal().getNow(-1), "128 + SIGINT");
        assertEquals(2, kernel.spawned().size(), "calls: " + kernel.log());
        assertEquals(2, kernel.log().stream().filter(l -> l.startsWith("reap")).count(), "every child reaped: " + kernel.log());
        assertEquals(List.of(Processes.SIGTERM), kernel.signals(kernel.child(2)), "the other worker drained");
        assertFalse(kernel.log().contains("back-off"), "calls: " + kernel.log());
        Loopback.awaitOpenFdsAtMost(fds, "descriptors of this process");
    }
}
