package io.ffpoll.multiplexer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Run in a fresh JVM by {@link SignalWatchTest}: watches SIGCHLD before this JVM has started any
 * process (the JDK resets SIGCHLD's disposition when its process support is first initialized),
 * then starts three children, each awaited; prints how many SIGCHLDs the loop saw.
 */
public final class SigchldProbe {
    private SigchldProbe() {}

    public static void main(String[] args) throws Exception {
        AtomicInteger seen = new AtomicInteger();
        try (EventLoop loop = EventLoop.start("sigchld-probe")) {
            SignalWatch watch = SignalWatch.start(loop, SignalWatch.Signal.CHLD, (w, s) -> seen.incrementAndGet());
            for (int i = 1; i <= 3; i++) {
                Process child = new ProcessBuilder("true").start();
                child.waitFor(60, TimeUnit.SECONDS);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (seen.get() < i && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
            }
            watch.close();
        }
        System.out.println("RESULT sigchld=" + seen.get());
    }
}
