package io.ffpoll.http.launcher;

import io.ffpoll.bindings.ErrnoName;
import io.ffpoll.bindings.Processes;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.Event;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One worker process of a {@link Supervisor}: how it is spawned with the socket and pipes at
 * fixed numbers, and its report that it serves, read on the supervisor's loop. Its fields
 * beyond the final ones belong to that loop's thread.
 */
final class Worker {
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    static final int LISTEN_FD = 3;
    static final int PARENT_FD = 4;
    static final int READY_FD = 5;
    static final int TLS_FD = 6;

    final int slot;
    final int generation;
    final long pid;
    final int failures; // consecutive quick deaths in this slot, before this start
    final long startedAt = System.nanoTime();
    /** Completes once the worker reports that it serves; fails if it ends before. */
    final CompletableFuture<Void> ready = new CompletableFuture<>();
    boolean reaped;

    private Worker(int slot, int generation, long pid, int failures) {
        this.slot = slot;
        this.generation = generation;
        this.pid = pid;
        this.failures = failures;
    }

    /**
     * Loop thread: spawns {@code command} with {@code --fd} and {@code --supervised}, the
     * listening socket at fd 3, {@code parentFd} at fd 4 and the write end of a new ready pipe
     * at fd 5, whose read end is then watched on {@code loop}; and HTTPS's listening socket, if
     * any, at fd 6 with {@code --tls-fd}. Without a plain socket ({@code listenFd} -1) the
     * worker is told {@code --port off}.
     */
    static Worker spawn(ChildProcesses children, EventLoop loop, List<String> command, int listenFd, int tlsFd,
                        int parentFd, int slot, int generation, int failures) throws IOException {
        Platform os = Platform.current();
        // The dup2s run in order, each overwriting its number: a socket inherited at a low
        // number (systemd passes fd 3, 4, ...) must be placed before that number is taken.
        // Only HTTPS's socket can sit where another goes first (at 3, plain HTTP's place).
        boolean tlsFirst = tlsFd == LISTEN_FD && listenFd >= 0;
        if (tlsFirst && listenFd == TLS_FD) {
            throw new IOException("cannot hand the workers plain HTTP's socket (fd " + listenFd + ") at fd " + LISTEN_FD
                    + " and HTTPS's (fd " + tlsFd + ") at fd " + TLS_FD + ": each is where the other goes");
        }
        int[] readyPipe = new int[2];
        int r = Processes.pipe(readyPipe);
        if (r < 0) {
            throw new IOException("pipe: " + os.describe(-r));
        }
        List<String> argv = new ArrayList<>(command);
        argv.addAll(listenFd >= 0 ? List.of("--fd", Integer.toString(LISTEN_FD)) : List.of("--port", "off"));
        if (tlsFd >= 0) {
            argv.addAll(List.of("--tls-fd", Integer.toString(TLS_FD)));
        }
        argv.addAll(List.of("--supervised", PARENT_FD + "," + READY_FD));
        List<int[]> placements = new ArrayList<>();
        if (tlsFirst) {
            placements.add(new int[] {tlsFd, TLS_FD});
        }
        if (listenFd >= 0) {
            placements.add(new int[] {listenFd, LISTEN_FD});
        }
        if (tlsFd >= 0 && !tlsFirst) {
            placements.add(new int[] {tlsFd, TLS_FD});
        }
        placements.add(new int[] {parentFd, PARENT_FD});
        placements.add(new int[] {readyPipe[1], READY_FD});
        Map<String, String> env = new HashMap<>(System.getenv());
        env.remove("LISTEN_FDS"); // the socket comes as --fd, not from systemd
        env.remove("LISTEN_PID");
        long pid;
        try {
            pid = children.spawn(argv.get(0), argv, env, placements.toArray(int[][]::new));
        } catch (RuntimeException | Error e) { // a bad argument, say: no -errno, and no child holds the pipe
            os.close(readyPipe[0]);
            os.close(readyPipe[1]);
            throw e;
        }
        os.close(readyPipe[1]);
        if (pid < 0) {
            os.close(readyPipe[0]);
            throw new IOException("posix_spawn " + argv.get(0) + ": " + os.describe((int) -pid));
        }
        Worker w = new Worker(slot, generation, pid, failures);
        w.awaitReport(loop, readyPipe[0]);
        return w;
    }

    /** The report: a byte on the ready pipe; end-of-file first means the worker ended before. */
    private void awaitReport(EventLoop loop, int fd) {
        Platform os = Platform.current();
        int r = os.makeNonBlockingCloexec(fd); // a spurious readiness must not block the loop in read
        if (r < 0) {
            os.close(fd);
            ready.completeExceptionally(new IOException("fcntl on worker " + pid + "'s pipe: " + os.describe(-r)));
            return;
        }
        loop.register(fd, Interest.READABLE, (Event e) -> {
            long n;
            try (Arena arena = Arena.ofConfined()) {
                n = os.read(fd, arena.allocate(1), 1);
            }
            if (n == -os.errno(ErrnoName.EAGAIN) || n == -os.errno(ErrnoName.EINTR)) {
                return; // spurious: nothing to read yet
            }
            if (n == 1) {
                ready.complete(null);
            } else {
                ready.completeExceptionally(new IOException("worker " + pid + " ended before it served"));
            }
            try {
                loop.deregisterAndClose(fd);
            } catch (IOException closing) {
                LOG.debug("closing worker {}'s ready pipe: {}", pid, closing.getMessage());
            }
        });
    }
}
