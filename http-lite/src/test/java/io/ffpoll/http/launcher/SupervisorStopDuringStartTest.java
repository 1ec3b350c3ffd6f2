package io.ffpoll.http.launcher;

import io.ffpoll.http.ServerProcess;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stop signal while the supervisor waits for its first generation to serve: it stops the
 * starting workers at once and exits with the signal's status, rather than waiting out the
 * workers' time to come up.
 */
class SupervisorStopDuringStartTest {

    @Test
    void sigtermBeforeTheWorkersServeStopsThemAndTheSupervisorExits143() throws Exception {
        long worker;
        try (ServerProcess s = new ServerProcess(List.of(), NeverServingWorker.class,
                "--workers", "1", "--threads", "1", "--port", "0")) {
            worker = Long.parseLong(s.await(Pattern.compile("worker 0 started: pid (\\d+), generation 1")));
            s.await(Pattern.compile("worker waiting, never serving"));
            s.terminate();
            // Old behaviour: nothing until the workers' time to serve (60 s) is up, then "did not start".
            String next = s.await(Pattern.compile("(shutting down: draining the workers|the workers did not start)"));
            assertEquals("shutting down: draining the workers", next, "the SIGTERM is acted on before the start gives up");
            assertTrue(s.process.waitFor(60, TimeUnit.SECONDS), "the supervisor exits on SIGTERM");
            assertEquals(143, s.process.exitValue(), "128 + SIGTERM");
        }
        SupervisorTest.awaitGone(worker);
    }
}
