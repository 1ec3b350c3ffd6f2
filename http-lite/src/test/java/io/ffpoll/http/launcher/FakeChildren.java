package io.ffpoll.http.launcher;

import io.ffpoll.bindings.ErrnoName;
import io.ffpoll.bindings.Processes;
import io.ffpoll.bindings.platform.Platform;

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
 * or on SIGTERM or SIGKILL (and this JVM gets a real SIGCHLD), and stays unreaped until the
 * supervisor reaps it.
 */
final class FakeChildren extends ObservedChildren {
    static final long FIRST_PID = 100;
    private static final int ESRCH = 3; // on Linux, macOS and FreeBSD alike
    private static final int ECHILD = 10;
    @SuppressWarnings("restriction")
    private static final int SIGCHLD = new sun.misc.Signal("CHLD").getNumber(); // 17 on Linux, 20 on the BSDs

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
    private boolean spawnsHeld;

    @Override
    public synchronized long spawn(String path, List<String> argv, Map<String, String> env, int[][] placements) {
        while (spawnsHeld) {
            try {
                wait();
            } catch (InterruptedException e) {
                throw new AssertionError("interrupted while a spawn was held", e);
            }
        }
        long pid = FIRST_PID;
        while (table.containsKey(pid)) {
            pid++;
        }
        Child c = new Child(pid);
        table.put(pid, c);
        children.add(c);
        for (int[] p : placements) {
            if (p[1] == Worker.READY_FD) {
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
    public synchronized int waitpid(long pid, int options) {
        if ((options & Processes.WNOHANG) == 0) {
            throw new AssertionError("a supervisor on a loop must not wait for a child: waitpid without WNOHANG");
        }
        Child c = table.get(pid);
        if (c == null) {
            return -ECHILD;
        }
        if (!c.exited) {
            return -Platform.current().errno(ErrnoName.EAGAIN);
        }
        table.remove(pid);
        reaped(pid, c.status);
        return c.status;
    }

    /** The test's side: {@code c} exits with wait status {@code status} ({@code 1 << 8}: exit 1). */
    synchronized void exit(Child c, int status) {
        c.exited = true;
        c.status = status;
        // As the kernel tells a parent: a real SIGCHLD to this JVM, which the supervisor watches.
        if (Processes.kill(ProcessHandle.current().pid(), SIGCHLD) != 0) {
            throw new AssertionError("kill SIGCHLD");
        }
    }

    /** Holds every spawn (the caller waits in it) until {@link #releaseSpawns}. */
    synchronized void holdSpawns() {
        spawnsHeld = true;
    }

    synchronized void releaseSpawns() {
        spawnsHeld = false;
        notifyAll();
    }

    /** A pipe that stands for the listening socket: the fake only passes it on. */
    static int[] socketStandIn() {
        int[] fds = new int[2];
        if (Processes.pipe(fds) != 0) {
            throw new AssertionError("pipe");
        }
        return fds;
    }

    /** Closes both ends of {@code fds}, checking that both closed. */
    static void closeBoth(int[] fds) {
        if (Platform.current().close(fds[0]) < 0 | Platform.current().close(fds[1]) < 0) {
            throw new AssertionError("close");
        }
    }

    /** The {@code n}th child spawned (from 1), once it is. */
    synchronized Child child(int n) throws InterruptedException {
        awaitSpawned(n);
        return children.get(n - 1);
    }

    synchronized List<Integer> signals(Child c) {
        return List.copyOf(c.signals);
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
