package io.ffpoll.http.launcher;


import java.util.List;
import java.util.Map;

/** The system's process calls ({@link ChildProcesses#OS}), each recorded as it is made. */
final class RecordingChildren extends ObservedChildren {
    private final ChildProcesses os = ChildProcesses.OS;

    @Override
    public long spawn(String path, List<String> argv, Map<String, String> env, int[][] placements) {
        long pid = os.spawn(path, argv, env, placements);
        if (pid > 0) {
            spawned(pid);
        }
        return pid;
    }

    @Override
    public int kill(long pid, int signal) {
        signalled(pid, signal); // before the call: that is when the pid is chosen
        return os.kill(pid, signal);
    }

    @Override
    public int waitpid(long pid, int options) {
        int status = os.waitpid(pid, options);
        if (status >= 0) {
            reaped(pid, status);
        }
        return status;
    }
}
