package io.ffpoll.http.launcher;

import io.ffpoll.bindings.Processes;
import io.ffpoll.multiplexer.EventLoop;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The process calls a {@link Supervisor} makes, each returning its result or -errno as
 * {@link Processes} does, and its back-off pause: the system's ({@link #OS}), or a test's
 * stand-in that decides when children serve and exit and when a back-off ends.
 */
interface ChildProcesses {
    /** posix_spawn: the child's pid, or -errno. */
    long spawn(String path, List<String> argv, Map<String, String> env, int[][] placements);

    /** kill(2): 0, or -errno. */
    int kill(long pid, int signal);

    /** waitpid(2): reaps the child, returning its wait status; -EAGAIN with WNOHANG while it runs; or -errno. */
    int waitpid(long pid, int options);

    /** Runs {@code restart} on {@code loop} once a back-off pause of {@code millis} is over. */
    void backOff(EventLoop loop, long millis, Runnable restart);

    /** The system's calls, and the loop's timer for the pause. */
    ChildProcesses OS = new ChildProcesses() {
        @Override
        public long spawn(String path, List<String> argv, Map<String, String> env, int[][] placements) {
            return Processes.spawn(path, argv, env, placements);
        }

        @Override
        public int kill(long pid, int signal) {
            return Processes.kill(pid, signal);
        }

        @Override
        public int waitpid(long pid, int options) {
            return Processes.waitpid(pid, options);
        }

        @Override
        public void backOff(EventLoop loop, long millis, Runnable restart) {
            loop.schedule(Duration.ofMillis(millis), restart);
        }
    };
}
