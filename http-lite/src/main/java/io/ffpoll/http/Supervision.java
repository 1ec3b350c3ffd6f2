package io.ffpoll.http;

import io.ffpoll.bindings.ErrnoName;
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

    /** SIGHUP starts a rolling restart, on its own thread (a signal handler must return at once). */
    @SuppressWarnings("restriction")
    static void onHangUp(Supervisor supervisor) {
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> Thread.ofPlatform().name("http-lite-rolling-restart").start(() -> {
            try {
                supervisor.rollingRestart();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
    }

    /**
     * A worker: reports on {@code readyFd} that it serves, and watches {@code parentFd} on a
     * loop of its own; end-of-file there means the supervisor is gone, however it died, and the
     * worker drains and exits as on SIGTERM.
     */
    static void worker(HttpServer server, int parentFd, int readyFd) throws IOException {
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
        LOG.debug("serving for the supervisor on {}", server.address());
    }
}
