package io.ffpoll.multiplexer;

import io.ffpoll.bindings.Processes;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Run in a fresh JVM by {@link SignalWatchTest}, with one argument, TERM or INT: sends that
 * signal to itself once while a watch has it (the JVM must neither run its shutdown hook nor
 * exit), then again after the watch closed (the JVM's own shutdown must be back: the hook runs
 * and the JVM exits with 128 + the signal's number). Prints a line at each step.
 */
public final class ShutdownSignalProbe {
    private ShutdownSignalProbe() {}

    public static void main(String[] args) throws Exception {
        SignalWatch.Signal signal = SignalWatch.Signal.valueOf(args[0]);
        int number = new sun.misc.Signal(signal.name()).getNumber();
        long self = ProcessHandle.current().pid();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("HOOK")));
        AtomicInteger seen = new AtomicInteger();
        try (EventLoop loop = EventLoop.start("shutdown-signal-probe")) {
            SignalWatch watch = SignalWatch.start(loop, signal, (w, s) -> seen.incrementAndGet());
            check(Processes.kill(self, number));
            awaitOrExit(() -> seen.get() == 1, "the watched signal");
            System.out.println("WATCHED " + seen.get());
            watch.close();
        }
        System.out.println("CLOSED");
        check(Processes.kill(self, number));
        awaitOrExit(() -> false, "the JVM's shutdown");
    }

    private static void check(int r) {
        if (r != 0) {
            System.out.println("kill: " + r);
            System.exit(4);
        }
    }

    /** Waits for {@code done} for up to 60 s, then says so and exits with 3. */
    private static void awaitOrExit(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                System.out.println("TIMED OUT waiting for " + what);
                System.exit(3);
            }
            Thread.sleep(1);
        }
    }
}
