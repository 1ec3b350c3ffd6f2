package io.ffpoll.http.launcher;

import io.ffpoll.bindings.ErrnoName;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.Event;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.SignalWatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;

/**
 * The launcher's processes and signals: what stops it, how a supervisor is told SIGHUP and
 * starts a worker, and what a worker does.
 */
final class Supervision {
    private static final Logger LOG = LoggerFactory.getLogger(Supervision.class);
    // Options the supervisor sets for its workers itself (the sockets), or keeps (--workers).
    // The --tls-cert, --tls-key and --tls-engine options go on: each worker reads the files.
    private static final Set<String> SUPERVISOR_ONLY = Set.of("--workers", "--fd", "--host", "--port", "--supervised",
            "--tls-port", "--tls-fd");

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
     * How the launcher learns to stop: SIGTERM, SIGINT and, with {@code hangUpStops}, SIGHUP,
     * as callbacks on {@code loop}, each of which passes {@code stop} the exit status the JVM's
     * own shutdown would have given: 128 + the signal's number. Each is watched unless the
     * process ignores it, as the JVM's own shutdown does: a job that a non-interactive shell
     * starts in the background ignores SIGINT, and one that {@code nohup} starts ignores SIGHUP.
     * Not a shutdown hook: the launcher drains on its main thread, then exits, rather than
     * inside the JVM's exit beside its other hooks; and the supervised worker's other way to
     * stop (its supervisor gone) completes the same future instead of calling System.exit from
     * a thread of its own. Under {@code -Xrs} the JVM takes no handler for these signals: there
     * they end the process at once, as they always did.
     */
    static void stopSignals(EventLoop loop, boolean hangUpStops, IntConsumer stop) {
        List<SignalWatch.Signal> signals = hangUpStops
                ? List.of(SignalWatch.Signal.TERM, SignalWatch.Signal.INT, SignalWatch.Signal.HUP)
                : List.of(SignalWatch.Signal.TERM, SignalWatch.Signal.INT);
        for (SignalWatch.Signal signal : signals) {
            try {
                SignalWatch.startUnlessIgnored(loop, signal, (watch, s) -> stop.accept(128 + number(s)));
            } catch (IllegalStateException refused) {
                LOG.warn("SIG{} ends this process without draining: {}", signal, refused.getMessage());
            }
        }
    }

    /** The signal's number: the same on Linux, macOS and FreeBSD for these. */
    private static int number(SignalWatch.Signal signal) {
        return switch (signal) {
            case HUP -> 1;
            case INT -> 2;
            case TERM -> 15;
            case CHLD, USR1, USR2, WINCH -> throw new IllegalArgumentException("SIG" + signal + " does not stop the launcher");
        };
    }

    /**
     * SIGHUP starts a rolling restart, on the supervisor's loop, even when the supervisor was
     * started with SIGHUP ignored, as {@code nohup} starts it: an operator's SIGHUP means a
     * restart here whatever started the process, as it means a reload to nginx. (To take an
     * ignored SIGHUP, {@link SignalWatch#start} sets it back to the default first: a SIGHUP in
     * that moment ends the supervisor, as one before its watch always has; its workers then
     * drain, as they watch its pipe.)
     */
    static void onHangUp(Supervisor supervisor) {
        SignalWatch.Handler restart = (watch, signal) -> supervisor.rollingRestart();
        try {
            if (SignalWatch.startUnlessIgnored(supervisor.loop(), SignalWatch.Signal.HUP, restart).isEmpty()) {
                SignalWatch.start(supervisor.loop(), SignalWatch.Signal.HUP, restart);
                LOG.info("SIGHUP was ignored when the supervisor started (nohup?); it still starts a rolling restart");
            }
        } catch (IllegalStateException refused) {
            LOG.warn("SIGHUP does not restart the workers: {}", refused.getMessage());
        }
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
     * A worker: reports on {@code readyFd} that it serves, and watches {@code parentFd} on
     * {@code loop}; end-of-file there means the supervisor is gone, however it died, and the
     * worker drains and exits as on SIGTERM, but with status 0: {@code stop} completes with it.
     */
    static void worker(EventLoop loop, int parentFd, int readyFd, CompletableFuture<Integer> stop) throws IOException {
        Platform os = Platform.current();
        int r = os.makeNonBlockingCloexec(parentFd);
        if (r < 0) {
            throw new IOException("fcntl on the parent pipe (fd " + parentFd + "): " + os.describe(-r));
        }
        loop.execute(() -> loop.register(parentFd, Interest.READABLE, (Event e) -> {
            try (Arena arena = Arena.ofConfined()) {
                long n = os.read(parentFd, arena.allocate(1), 1);
                if (n == -os.errno(ErrnoName.EAGAIN) || n == -os.errno(ErrnoName.EINTR)) {
                    return; // spurious: nothing to read yet
                }
                LOG.info("the supervisor is gone; draining");
                loop.deregister(parentFd);
                stop.complete(0);
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
    }
}
