package io.ffpoll.http;

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
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** The launcher's two sides of {@code --workers}: how a supervisor is told SIGHUP and starts a worker, and what a worker does. */
final class Supervision {
    private static final Logger LOG = LoggerFactory.getLogger(Supervision.class);
    // Options the supervisor sets for its workers itself (the socket), or keeps (--workers).
    private static final Set<String> SUPERVISOR_ONLY = Set.of("--workers", "--fd", "--host", "--port", "--supervised");

    private Supervision() {}

    /**
     * This JVM's own command line with {@code args} (main's arguments, its tail) less the
     * options that only concern the supervisor: the worker runs the same JVM with the same
     * options and the same program.
     */
    static List<String> workerCommand(String[] args) {
        ProcessHandle.Info info = ProcessHandle.current().info();
        String java = info.command().orElseThrow(() -> new IllegalStateException("--workers: this JVM's executable is unknown"));
        String[] all = info.arguments().orElseThrow(() -> new IllegalStateException("--workers: this JVM's arguments are unknown"));
        int jvmPart = all.length - args.length;
        if (jvmPart < 0 || !Arrays.equals(all, jvmPart, all.length, args, 0, args.length)) {
            throw new IllegalStateException("--workers: cannot find the program's arguments in " + Arrays.toString(all));
        }
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(Arrays.asList(all).subList(0, jvmPart));
        for (int i = 0; i < args.length; i++) {
            if (SUPERVISOR_ONLY.contains(args[i])) {
                i++; // and its value
            } else {
                command.add(args[i]);
            }
        }
        return command;
    }

    /**
     * SIGHUP starts a rolling restart, on its own thread (a signal handler must return at once),
     * even when the supervisor was started with SIGHUP ignored, as {@code nohup} starts it: an
     * operator's SIGHUP means a restart here whatever started the process, as it means a reload to
     * nginx. The JVM installs no handler for a shutdown signal it finds ignored, and says so only
     * by returning SIG_IGN; so the disposition goes back to the default and the handler in again.
     * A SIGHUP in the moment between the two ends the supervisor, as one before its handler was
     * in always has; its workers then drain (they watch its pipe).
     */
    @SuppressWarnings("restriction")
    static void onHangUp(Supervisor supervisor) throws IOException {
        sun.misc.Signal hup = new sun.misc.Signal("HUP");
        sun.misc.SignalHandler restart = signal -> Thread.ofPlatform().name("http-lite-rolling-restart").start(() -> {
            try {
                supervisor.rollingRestart();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        if (sun.misc.Signal.handle(hup, restart) != sun.misc.SignalHandler.SIG_IGN) {
            return;
        }
        long r = Processes.signal(Processes.SIGHUP, Processes.SIG_DFL);
        if (r < 0) {
            throw new IOException("signal(SIGHUP, SIG_DFL): " + Platform.current().describe((int) -r));
        }
        sun.misc.Signal.handle(hup, restart);
        LOG.info("SIGHUP was ignored when the supervisor started (nohup?); it still starts a rolling restart");
    }

    /**
     * A worker ignores SIGHUP: restarts are its supervisor's. One sent to the whole process group
     * (a terminal hanging up) then replaces each worker once, by the supervisor's rolling restart,
     * and does not also stop every worker in the middle of it. nginx's workers ignore it too.
     */
    @SuppressWarnings("restriction")
    static void ignoreHangUp() {
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sun.misc.SignalHandler.SIG_IGN);
    }

    /**
     * A worker: reports on {@code readyFd} that it serves, and watches {@code parentFd} on a
     * loop of its own; end-of-file there means the supervisor is gone, however it died, and the
     * worker drains and exits as on SIGTERM.
     */
    static void worker(HttpServer server, int parentFd, int readyFd) throws IOException {
        ignoreHangUp(); // before the ready report: a serving worker always ignores it
        Platform os = Platform.current();
        EventLoop watcher = EventLoop.start("http-lite-parent");
        int r = os.makeNonBlockingCloexec(parentFd);
        if (r < 0) {
            throw new IOException("fcntl on the parent pipe (fd " + parentFd + "): " + os.describe(-r));
        }
        watcher.execute(() -> watcher.register(parentFd, Interest.READABLE, (Event e) -> {
            try (Arena arena = Arena.ofConfined()) {
                long n = os.read(parentFd, arena.allocate(1), 1);
                if (n == -os.errno(ErrnoName.EAGAIN) || n == -os.errno(ErrnoName.EINTR)) {
                    return; // spurious: nothing to read yet
                }
                LOG.info("the supervisor is gone; draining");
                watcher.deregister(parentFd);
                Thread.ofPlatform().name("http-lite-orphaned").start(() -> System.exit(0));
            }
        }));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(1);
            one.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1);
            long n = os.write(readyFd, one, 1);
            os.close(readyFd);
            if (n != 1) {
                throw new IOException("reporting to the supervisor (fd " + readyFd + "): " + os.describe((int) -n));
            }
        }
        LOG.debug("serving for the supervisor on {}", server.localAddress());
    }
}
