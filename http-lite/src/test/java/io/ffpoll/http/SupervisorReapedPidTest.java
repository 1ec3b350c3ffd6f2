package io.ffpoll.http;

import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.Processes;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        int[] socket = pipe(); // stands for the listening socket: the fake only passes it on
        Supervisor supervisor = new Supervisor(socket[0], 1, List.of("/fake/worker"), GRACE, kernel);
        FakeChildren.Child fresh;
        try {
            supervisor.start();
            FakeChildren.Child first = kernel.child(1);
            kernel.exit(first, EXIT_1); // a crash: restarted at once
            FakeChildren.Child second = kernel.child(2);
            kernel.exit(second, EXIT_1); // a second crash within 10 s of its start: the restart backs off
            Thread restarting = kernel.awaitPause();

            supervisor.rollingRestart(); // SIGHUP
            fresh = kernel.child(3);
            assertEquals(second.pid, fresh.pid, "the kernel gave the reaped worker's pid to the new generation");
            assertEquals(List.of(), kernel.signals(fresh), "signals to the new worker during the rolling restart; calls: " + kernel.log());
            assertEquals(List.of(fresh.pid), supervisor.pids());

            kernel.endPause();
            restarting.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(restarting.isAlive(), "the backed-off restart ended");
            assertEquals(3, kernel.spawned().size(), "the rolling restart replaced the crashed worker, the back-off did not again");
        } finally {
            kernel.endPause();
            supervisor.stop();
            closeBoth(socket);
        }
        assertEquals(List.of(Processes.SIGTERM), kernel.signals(fresh), "stop drains the new worker");
        assertEquals(List.of("kill " + fresh.pid + " " + Processes.SIGTERM),
                kernel.log().stream().filter(l -> l.startsWith("kill")).toList(), "every signal sent");
        assertEquals(3, kernel.log().stream().filter(l -> l.startsWith("reap")).count(), "every child reaped: " + kernel.log());
        // The supervisor's pipe readers close their ends on threads of their own, as they end.
        io.ffpoll.multiplexer.testing.Loopback.awaitOpenFdsAtMost(fds, "descriptors of this process");
    }

    @Test
    void withRealWorkersNoSignalGoesToAPidAfterItWasReaped() throws Exception {
        long fds = io.ffpoll.multiplexer.testing.Loopback.openFds();
        RecordingChildren kernel = new RecordingChildren();
        int[] socket = pipe();
        // A worker that reports on fd 5 that it serves, then waits for its supervisor's end of fd 4 to close.
        List<String> worker = List.of("/bin/sh", "-c", "printf r >&5; exec 5>&-; exec cat <&4 >/dev/null");
        Supervisor supervisor = new Supervisor(socket[0], 1, worker, GRACE, kernel);
        try {
            supervisor.start();
            // Each is ours and unreaped until its SIGKILL below: it only ends when killed.
            assertEquals(0, Processes.kill(kernel.awaitSpawned(1), Processes.SIGKILL));
            assertEquals(0, Processes.kill(kernel.awaitSpawned(2), Processes.SIGKILL));
            Thread restarting = kernel.awaitPause();

            supervisor.rollingRestart(); // SIGHUP
            assertEquals(List.of(kernel.awaitSpawned(3)), supervisor.pids());
            assertEquals(List.of(), kernel.afterReaping(), "signals sent to reaped pids; calls: " + kernel.log());

            kernel.endPause();
            restarting.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(restarting.isAlive(), "the backed-off restart ended");
        } finally {
            kernel.endPause();
            supervisor.stop();
            closeBoth(socket);
        }
        List<Long> pids = kernel.spawned();
        assertEquals(3, pids.size(), "spawns: " + kernel.log());
        assertEquals(Map.of(pids.get(0), "killed by signal 9", pids.get(1), "killed by signal 9", pids.get(2), "killed by signal 15"),
                kernel.reaped(), "every worker reaped, the last drained by stop");
        assertEquals(List.of(), kernel.afterReaping(), "signals sent to reaped pids; calls: " + kernel.log());
        // The supervisor's pipe readers close their ends on threads of their own, as they end.
        io.ffpoll.multiplexer.testing.Loopback.awaitOpenFdsAtMost(fds, "descriptors of this process");
    }

    private static int[] pipe() {
        int[] fds = new int[2];
        assertEquals(0, Processes.pipe(fds));
        return fds;
    }

    private static void closeBoth(int[] fds) {
        assertTrue(Platform.current().close(fds[0]) >= 0 & Platform.current().close(fds[1]) >= 0);
    }
}
