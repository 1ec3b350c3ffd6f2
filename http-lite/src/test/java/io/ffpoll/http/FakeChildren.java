package io.ffpoll.http;

import io.ffpoll.bindings.ErrnoName;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.Processes;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel's process table, faked for a Supervisor: no process runs. Pids are handed out
 * lowest first from {@value #FIRST_PID}, and a pid is given again as soon as it is reaped, as a
 * busy kernel may do; so a signal sent to a reaped pid reaches whichever child holds it now.
 * A child reports that it serves at once (its byte on the ready pipe), exits when the test says
 * or on SIGTERM or SIGKILL, and stays unreaped until the supervisor reaps it.
 */
final class FakeChildren extends ObservedChildren {
    static final long FIRST_PID = 100;
    private static final int ESRCH = 3; // on Linux, macOS and FreeBSD alike
    private static final int ECHILD = 10;

    /** One fake process. */
    static final class Child {
        final long pid;
        final List<Integer> signals = new ArrayList<>(); // guarded by the FakeChildren
        boolean exited;
        int status;

        Child(long pid) {
            this.pid = pid;
        }
    }

    private final Map<Long, Child> table = new HashMap<>(); // the unreaped children, by pid
    private final List<Child> children = new ArrayList<>();

    @Override
    public synchronized long spawn(String path, List<String> argv, Map<String, String> env, int[][] placements) {
        long pid = FIRST_PID;
        while (table.containsKey(pid)) {
            pid++;
        }
        Child c = new Child(pid);
        table.put(pid, c);
        children.add(c);
        for (int[] p : placements) {
            if (p[1] == Supervisor.READY_FD) {
                reportReady(p[0]);
            }
        }
        spawned(pid);
        return pid;
    }

    @Override
    public synchronized int kill(long pid, int signal) {
        signalled(pid, signal);
        Child c = table.get(pid);
        if (c == null) {
            return -ESRCH;
        }
        c.signals.add(signal);
        if (!c.exited && (signal == Processes.SIGTERM || signal == Processes.SIGKILL)) {
            exit(c, signal); // the wait status of a death by that signal
        }
        return 0;
    }

    @Override
    public synchronized int waitid(long pid) {
        Child c = table.get(pid);
        if (c == null) {
            return -ECHILD;
        }
        while (!c.exited) {
            if (!pause()) {
                return -Platform.current().errno(ErrnoName.EINTR);
            }
        }
        return 0; // exited, and left unreaped
    }

    @Override
    public synchronized int waitpid(long pid, int options) {
        Child c = table.get(pid);
        if (c == null) {
            return -ECHILD;
        }
        while (!c.exited) {
            if ((options & Processes.WNOHANG) != 0) {
                return -Platform.current().errno(ErrnoName.EAGAIN);
            }
            if (!pause()) {
                return -Platform.current().errno(ErrnoName.EINTR);
            }
        }
        table.remove(pid);
        reaped(pid, c.status);
        return c.status;
    }

    /** The test's side: {@code c} exits with wait status {@code status} ({@code 1 << 8}: exit 1). */
    synchronized void exit(Child c, int status) {
        c.exited = true;
        c.status = status;
        notifyAll();
    }

    /** The {@code n}th child spawned (from 1), once it is. */
    synchronized Child child(int n) throws InterruptedException {
        awaitSpawned(n);
        return children.get(n - 1);
    }

    synchronized List<Integer> signals(Child c) {
        return List.copyOf(c.signals);
    }

    // Waits on this monitor for a change; false if interrupted (EINTR for the caller).
    private boolean pause() {
        try {
            wait();
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    private static void reportReady(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            long n = Platform.current().write(fd, arena.allocate(1), 1);
            if (n != 1) {
                throw new AssertionError("writing the ready byte: " + n);
            }
        }
    }
}
