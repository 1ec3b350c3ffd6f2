package io.ffpoll.http.launcher;

import io.ffpoll.bindings.Processes;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rolling restart while a crashed worker's restart backs off (issue 19, defect 12): the
 * supervisor must not signal the crashed worker's pid, which it has reaped and the kernel may
 * have given to another process. First with a fake process table that hands the reaped pid to
 * the next worker at once, then with real processes.
 */
class SupervisorReapedPidTest {
    private static final int EXIT_1 = 1 << 8; // the wait status of exit(1)
    private static final Duration GRACE = Duration.ofSeconds(10);

    @Test
    void aRollingRestartDuringABackOffDoesNotSignalTheNewWorkerThatGotTheReapedPid() throws Exception {
        long fds = io.ffpoll.multiplexer.testing.Loopback.openFds();
        FakeChildren kernel = new FakeChildren();
        int[] socket = FakeChildren.socketStandIn();
        Supervisor supervisor = new Supervisor(socket[0], 1, List.of("/fake/worker"), GRACE, kernel);
        FakeChildren.Child fresh;
        try {
            supervisor.start();
            FakeChildren.Child first = kernel.child(1);
            kernel.exit(first, EXIT_1); // a crash: restarted at once
            FakeChildren.Child second = kernel.child(2);
            kernel.exit(second, EXIT_1); // a second crash within 10 s of its start: the restart backs off
            kernel.awaitPause();

            assertTrue(supervisor.rollingRestart().get(60, TimeUnit.SECONDS), "the new generation serves"); // SIGHUP
            fresh = kernel.child(3);
            assertEquals(second.pid, fresh.pid, "the kernel gave the reaped worker's pid to the new generation");
            assertEquals(List.of(), kernel.signals(fresh), "signals to the new worker during the rolling restart; calls: " + kernel.log());
            assertEquals(List.of(fresh.pid), supervisor.pids());

            kernel.endPause();
            // The backed-off restart runs on the supervisor's loop before what is asked of it after.
            assertEquals(List.of(fresh.pid), supervisor.pids(), "the backed-off restart replaced the new worker");
            assertEquals(3, kernel.spawned().size(), "the rolling restart replaced the crashed worker, the back-off did not again");
        } finally {
            kernel.endPause();
            supervisor.stop();
            FakeChildren.closeBoth(socket);
        }
        assertEquals(List.of(Processes.SIGTERM), kernel.signals(fresh), "stop drains the new worker");
        assertEquals(List.of("kill " + fresh.pid + " " + Processes.SIGTERM),
                kernel.log().stream().filter(l -> l.startsWith("kill")).toList(), "every signal sent");
        assertEquals(3, kernel.log().stream().filter(l -> l.startsWith("reap")).count(), "every child reaped: " + kernel.log());
        // stop() closed every pipe before it returned; "at most": other processes' pipes may close meanwhile.
        io.ffpoll.multiplexer.testing.Loopback.awaitOpenFdsAtMost(fds, "descriptors of this process");
    }

    @Test
    void withRealWorkersNoSignalGoesToAPidAfterItWasReaped() throws Exception {
        long fds = io.ffpoll.multiplexer.testing.Loopback.openFds();
        RecordingChildren kernel = new RecordingChildren();
        int[] socket = FakeChildren.socketStandIn();
        // A worker that reports on fd 5 that it serves, then waits for its supervisor's end of fd 4 to close.
        List<String> worker = List.of("/bin/sh", "-c", "printf r >&5; exec 5>&-; exec cat <&4 >/dev/null");
        Supervisor supervisor = new Supervisor(socket[0], 1, worker, GRACE, kernel);
        try {
            supervisor.start();
            // Each is ours and unreaped until its SIGKILL below: it only ends when killed.
            assertEquals(0, Processes.kill(kernel.awaitSpawned(1), Processes.SIGKILL));
            assertEquals(0, Processes.kill(kernel.awaitSpawned(2), Processes.SIGKILL));
            kernel.awaitPause();

            assertTrue(supervisor.rollingRestart().get(60, TimeUnit.SECONDS), "the new generation serves"); // SIGHUP
            assertEquals(List.of(kernel.awaitSpawned(3)), supervisor.pids());
            assertEquals(List.of(), kernel.afterReaping(), "signals sent to reaped pids; calls: " + kernel.log());

            kernel.endPause();
            assertEquals(List.of(kernel.awaitSpawned(3)), supervisor.pids(), "the backed-off restart replaced the new worker");
        } finally {
            kernel.endPause();
            supervisor.stop();
            FakeChildren.closeBoth(socket);
        }
        List<Long> pids = kernel.spawned();
        assertEquals(3, pids.size(), "spawns: " + kernel.log());
        assertEquals(Map.of(pids.get(0), "killed by signal 9", pids.get(1), "killed by signal 9", pids.get(2), "killed by signal 15"),
                kernel.reaped(), "every worker reaped, the last drained by stop");
        assertEquals(List.of(), kernel.afterReaping(), "signals sent to reaped pids; calls: " + kernel.log());
        // stop() closed every pipe before it returned; "at most": other processes' pipes may close meanwhile.
        io.ffpoll.multiplexer.testing.Loopback.awaitOpenFdsAtMost(fds, "descriptors of this process");
    }
}
