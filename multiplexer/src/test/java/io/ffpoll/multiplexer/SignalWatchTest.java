package io.ffpoll.multiplexer;

import io.ffpoll.multiplexer.testing.Await;
import io.ffpoll.bindings.Processes;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import sun.misc.SignalHandler;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Signals sent to this very JVM and delivered to loop callbacks: SIGHUP, SIGINT, SIGTERM and
 * SIGCHLD (from child processes exiting); counted, on the loop thread, with the previous handler
 * back after close. A watch is installed before its signal is sent, so the JVM's own handler
 * (exit) never runs here.
 */
@SuppressWarnings("restriction")
class SignalWatchTest {
    private long fdsBefore;
    private EventLoop loop;

    @BeforeEach
    void startLoop() throws Exception {
        fdsBefore = Loopback.openFds();
        loop = EventLoop.start("signals");
    }

    @AfterEach
    void stopLoop() throws Exception {
        loop.close();
        // A child's pipes may still be in the JDK's hands (its process reaper drains and closes
        // them when the child exits, on a thread of its own): wait for them, boundedly.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Loopback.openFds() != fdsBefore && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(fdsBefore, Loopback.openFds(), "file descriptors leaked");
    }

    private static void kill(SignalWatch.Signal signal) {
        assertEquals(0, Processes.kill(ProcessHandle.current().pid(), new sun.misc.Signal(signal.name()).getNumber()));
    }

    /**
     * The handler the JVM has for {@code signal} now (swapped out and straight back in), by its
     * identity: sun.misc wraps the JVM's own handlers (the shutdown one is {@code Terminator}'s)
     * afresh on each call, and a wrapper's toString is the wrapped handler's, identity hash
     * included.
     */
    private static String handlerOf(SignalWatch.Signal signal) {
        sun.misc.Signal s = new sun.misc.Signal(signal.name());
        SignalHandler probe = x -> { };
        SignalHandler current = sun.misc.Signal.handle(s, probe);
        sun.misc.Signal.handle(s, current);
        return current.toString();
    }

    /** Counts its callbacks and the ones that ran off its loop's thread. */
    private static final class Counter implements SignalWatch.Handler {
        final AtomicInteger count = new AtomicInteger();
        final AtomicInteger offLoop = new AtomicInteger();

        @Override
        public void onSignal(SignalWatch watch, SignalWatch.Signal signal) {
            if (!watch.loop().inEventLoop()) {
                offLoop.incrementAndGet();
            }
            count.incrementAndGet();
        }
    }

    @Test
    void hangUpRunsOnTheLoopThreadAndTheJvmsHandlerComesBack() throws Exception {
        String original = handlerOf(SignalWatch.Signal.HUP);
        Counter counter = new Counter();
        SignalWatch watch = SignalWatch.start(loop, SignalWatch.Signal.HUP, counter);
        for (int i = 1; i <= 3; i++) {
            kill(SignalWatch.Signal.HUP);
            int expected = i;
            Await.until(() -> counter.count.get() == expected, "SIGHUP " + expected + " delivered");
        }
        assertEquals(0, counter.offLoop.get(), "a callback ran off the loop thread");
        watch.close();
        assertFalse(watch.isOpen());
        assertEquals(null, watch.closed().get(60, TimeUnit.SECONDS));
        assertEquals(original, handlerOf(SignalWatch.Signal.HUP), "the previous handler is not back");
        watch.close(); // idempotent
        assertEquals(3, counter.count.get());
    }

    /**
     * The application's own signals and WINCH (a new user could not watch SIGUSR1, nginx's log
     * reopening). Their previous handlers are the JVM's native ones, which sun.misc wraps afresh
     * at each look: the kind of handler is compared, and that it is no longer the library's.
     */
    @Test
    void theApplicationsOwnSignalsAndWinch() throws Exception {
        for (SignalWatch.Signal signal : new SignalWatch.Signal[] {
                SignalWatch.Signal.USR1, SignalWatch.Signal.USR2, SignalWatch.Signal.WINCH}) {
            String original = handlerOf(signal);
            String now = deliverOnceThenClose(signal);
            assertEquals(original.replaceAll("@[0-9a-f]+$", ""), now.replaceAll("@[0-9a-f]+$", ""),
                    "SIG" + signal + "'s previous kind of handler is not back");
        }
    }

    /**
     * Watches {@code signal}, sends it once, checks it came once on the loop thread, closes the
     * watch, and returns the handler the JVM has then.
     */
    private String deliverOnceThenClose(SignalWatch.Signal signal) throws Exception {
        Counter counter = new Counter();
        SignalWatch watch = SignalWatch.start(loop, signal, counter);
        kill(signal);
        Await.until(() -> counter.count.get() == 1, "SIG" + signal + " delivered");
        watch.close();
        assertEquals(0, counter.offLoop.get());
        return handlerOf(signal);
    }

    @Test
    void interruptAndTerminateToo() throws Exception {
        for (SignalWatch.Signal signal : new SignalWatch.Signal[] {SignalWatch.Signal.INT, SignalWatch.Signal.TERM}) {
            String original = handlerOf(signal);
            assertEquals(original, deliverOnceThenClose(signal), "SIG" + signal + "'s previous handler is not back");
        }
    }

    @Test
    void severalWatchesOfOneSignalOnTwoLoopsEachGetIt() throws Exception {
        String original = handlerOf(SignalWatch.Signal.HUP);
        try (EventLoop other = EventLoop.start("signals-2")) {
            Counter a = new Counter();
            Counter b = new Counter();
            Counter c = new Counter();
            SignalWatch wa = SignalWatch.start(loop, SignalWatch.Signal.HUP, a);
            SignalWatch wb = SignalWatch.start(loop, SignalWatch.Signal.HUP, b);
            SignalWatch wc = SignalWatch.start(other, SignalWatch.Signal.HUP, c);
            kill(SignalWatch.Signal.HUP);
            Await.until(() -> a.count.get() == 1 && b.count.get() == 1 && c.count.get() == 1, "three watches told");
            wa.close();
            assertFalse(handlerOf(SignalWatch.Signal.HUP).equals(original), "restored while two watches were open");
            kill(SignalWatch.Signal.HUP);
            Await.until(() -> b.count.get() == 2 && c.count.get() == 2, "the two open watches told again");
            assertEquals(1, a.count.get(), "a closed watch was told");
            wb.close();
            wc.close();
            assertEquals(original, handlerOf(SignalWatch.Signal.HUP));
            assertEquals(0, a.offLoop.get() + b.offLoop.get() + c.offLoop.get());
        }
    }

    @Test
    void aCallbackThatThrowsClosesItsWatchNotTheLoop() throws Exception {
        String original = handlerOf(SignalWatch.Signal.HUP);
        IllegalStateException boom = new IllegalStateException("boom");
        AtomicInteger failingCalls = new AtomicInteger();
        SignalWatch failing = SignalWatch.start(loop, SignalWatch.Signal.HUP, (w, s) -> {
            failingCalls.incrementAndGet();
            throw boom;
        });
        Counter counter = new Counter();
        SignalWatch healthy = SignalWatch.start(loop, SignalWatch.Signal.HUP, counter);
        kill(SignalWatch.Signal.HUP);
        ExecutionException e = assertThrows(ExecutionException.class, () -> failing.closed().get(60, TimeUnit.SECONDS));
        assertSame(boom, e.getCause());
        assertFalse(failing.isOpen());
        Await.until(() -> counter.count.get() == 1, "the other watch told");
        kill(SignalWatch.Signal.HUP);
        Await.until(() -> counter.count.get() == 2, "the other watch told again");
        assertEquals(1, failingCalls.get());
        assertEquals(1, (int) loop.submit(() -> 1).get(60, TimeUnit.SECONDS), "the loop stopped");
        healthy.close();
        assertEquals(original, handlerOf(SignalWatch.Signal.HUP));
    }

    @Test
    void childProcessesExitingAreSigchldOnTheLoop() throws Exception {
        String original = handlerOf(SignalWatch.Signal.CHLD);
        Counter counter = new Counter();
        SignalWatch watch = SignalWatch.start(loop, SignalWatch.Signal.CHLD, counter);
        for (int i = 1; i <= 3; i++) {
            Process child = new ProcessBuilder("true").start();
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, child.exitValue());
            int expected = i;
            Await.until(() -> counter.count.get() >= expected, "SIGCHLD of child " + expected);
        }
        assertEquals(3, counter.count.get(), "one SIGCHLD per child, each awaited before the next");
        assertEquals(0, counter.offLoop.get());
        watch.close();
        assertEquals(original, handlerOf(SignalWatch.Signal.CHLD));
    }

    /**
     * The watch owns SIGTERM (SIGINT) while it is open: the JVM runs no shutdown hook and does
     * not exit; once it is closed, the JVM's own shutdown is back, hook and exit status
     * (128 + the signal's number) included. In a fresh JVM, which the second signal ends.
     */
    @Test
    void whileWatchedTheJvmDoesNotShutDownAndAfterCloseItDoes() throws Exception {
        // A job that a non-interactive shell starts in the background ignores SIGINT, and so
        // does every child it starts: there, the JVM takes no SIGINT after the watch either.
        List<String> signals = ignored(new sun.misc.Signal("INT").getNumber()) ? List.of("TERM") : List.of("TERM", "INT");
        for (String signal : signals) {
            String output = runProbe(ShutdownSignalProbe.class, signal);
            int number = new sun.misc.Signal(signal).getNumber();
            assertEquals(List.of("WATCHED 1", "CLOSED", "HOOK", "exit " + (128 + number)), List.of(output.split("\n")),
                    "SIG" + signal);
        }
    }

    /**
     * A SIGCHLD watch takes no child's exit status: the JDK's own reaper, which waits for each
     * process it started by its pid, still reports every exit code.
     */
    @Test
    void aSigchldWatchLeavesEachExitStatusToTheJdk() throws Exception {
        Counter counter = new Counter();
        SignalWatch watch = SignalWatch.start(loop, SignalWatch.Signal.CHLD, counter);
        try {
            for (int code = 3; code <= 5; code++) {
                Process child = new ProcessBuilder("sh", "-c", "exit " + code).start();
                assertTrue(child.waitFor(60, TimeUnit.SECONDS));
                assertEquals(code, child.exitValue());
                assertEquals(code, child.onExit().get(60, TimeUnit.SECONDS).exitValue());
                int expected = code - 2;
                Await.until(() -> counter.count.get() >= expected, "SIGCHLD of child " + expected);
            }
        } finally {
            watch.close();
        }
    }

    /** Starts {@code probe} in a fresh JVM; its output, then "exit N" with its exit status. */
    private static String runProbe(Class<?> probe, String... args) throws Exception {
        String javaBin = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new java.util.ArrayList<>(List.of(javaBin, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), probe.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String output;
        try (java.io.InputStream out = p.getInputStream()) {
            output = new String(out.readAllBytes());
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe did not finish: " + output);
        return output + "exit " + p.exitValue();
    }

    /**
     * In a fresh JVM, where the JDK's process support is not yet initialized when SIGCHLD is
     * watched: its initialization (at the first ProcessBuilder.start) sets SIGCHLD back to
     * SIG_DFL, which silently undid the watch before (0 of 3 delivered).
     */
    @Test
    void sigchldWatchedBeforeTheJvmsFirstProcessSurvivesIt() throws Exception {
        String javaBin = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(javaBin, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), SigchldProbe.class.getName())
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        String output;
        try (java.io.InputStream out = p.getInputStream()) {
            output = new String(out.readAllBytes());
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe did not finish");
        assertTrue(output.contains("RESULT sigchld=3"), output);
    }

    @Test
    void closingTheLoopClosesItsWatchesAndRestores() throws Exception {
        String original = handlerOf(SignalWatch.Signal.HUP);
        SignalWatch watch = SignalWatch.start(loop, SignalWatch.Signal.HUP, new Counter());
        loop.close();
        assertEquals(null, watch.closed().get(60, TimeUnit.SECONDS));
        assertFalse(watch.isOpen());
        assertEquals(original, handlerOf(SignalWatch.Signal.HUP));
        assertThrows(IllegalStateException.class, () -> SignalWatch.start(loop, SignalWatch.Signal.HUP, new Counter()));
        assertEquals(original, handlerOf(SignalWatch.Signal.HUP), "a refused start left a handler in");
    }

    /** SIGHUP ignored, as under nohup: watched all the same, and ignored again after. */
    @Test
    void anIgnoredHangUpIsWatchedAndIgnoredAgainAfter() throws Exception {
        String original = handlerOf(SignalWatch.Signal.HUP);
        boolean ignoredBefore = ignored(Processes.SIGHUP); // true when this JVM itself runs under nohup
        sun.misc.Signal hup = new sun.misc.Signal("HUP");
        SignalHandler jvms = sun.misc.Signal.handle(hup, SignalHandler.SIG_DFL); // the JVM's, to put back after
        sun.misc.Signal.handle(hup, jvms);
        assertTrue(Processes.signal(Processes.SIGHUP, Processes.SIG_IGN) >= 0);
        try {
            assertTrue(ignored(Processes.SIGHUP));
            Counter counter = new Counter();
            SignalWatch watch = SignalWatch.start(loop, SignalWatch.Signal.HUP, counter);
            assertFalse(ignored(Processes.SIGHUP), "still ignored while watched");
            kill(SignalWatch.Signal.HUP);
            Await.until(() -> counter.count.get() == 1, "the SIGHUP delivered");
            watch.close();
            assertTrue(ignored(Processes.SIGHUP), "not ignored again after the watch");
        } finally {
            // Back to the JVM's own handler, for the tests after this one.
            Processes.signal(Processes.SIGHUP, Processes.SIG_DFL);
            sun.misc.Signal.handle(hup, jvms);
        }
        assertEquals(ignoredBefore, ignored(Processes.SIGHUP), "the disposition this JVM started with");
        assertEquals(original, handlerOf(SignalWatch.Signal.HUP));
    }

    /**
     * startUnlessIgnored honours a SIG_IGN it finds, as the JVM does for its own shutdown
     * (SIGINT in a job a non-interactive shell started in the background, SIGHUP under nohup):
     * nothing is watched and the signal stays ignored, also for the JVM's table of handlers.
     */
    @Test
    void startUnlessIgnoredLeavesAnIgnoredSignalIgnored() throws Exception {
        String original = handlerOf(SignalWatch.Signal.HUP);
        sun.misc.Signal hup = new sun.misc.Signal("HUP");
        SignalHandler jvms = sun.misc.Signal.handle(hup, SignalHandler.SIG_DFL);
        sun.misc.Signal.handle(hup, jvms);
        assertTrue(Processes.signal(Processes.SIGHUP, Processes.SIG_IGN) >= 0);
        try {
            assertTrue(SignalWatch.startUnlessIgnored(loop, SignalWatch.Signal.HUP, new Counter()).isEmpty(),
                    "an ignored SIGHUP was watched");
            assertTrue(ignored(Processes.SIGHUP), "no longer ignored");
            assertSame(SignalHandler.SIG_IGN, sun.misc.Signal.handle(hup, SignalHandler.SIG_IGN), "the JVM's table");
            // A later start that takes it whatever it was still can.
            Counter counter = new Counter();
            SignalWatch watch = SignalWatch.start(loop, SignalWatch.Signal.HUP, counter);
            kill(SignalWatch.Signal.HUP);
            Await.until(() -> counter.count.get() == 1, "the SIGHUP delivered");
            watch.close();
            assertTrue(ignored(Processes.SIGHUP), "not ignored again after the watch");
        } finally {
            Processes.signal(Processes.SIGHUP, Processes.SIG_DFL);
            sun.misc.Signal.handle(hup, jvms);
        }
        assertEquals(original, handlerOf(SignalWatch.Signal.HUP));
    }

    /** A signal that is not ignored: startUnlessIgnored watches it as start does. */
    @Test
    void startUnlessIgnoredWatchesASignalThatIsNotIgnored() throws Exception {
        String original = handlerOf(SignalWatch.Signal.TERM);
        Counter counter = new Counter();
        SignalWatch watch = SignalWatch.startUnlessIgnored(loop, SignalWatch.Signal.TERM, counter).orElseThrow();
        kill(SignalWatch.Signal.TERM);
        Await.until(() -> counter.count.get() == 1, "SIGTERM delivered");
        watch.close();
        assertEquals(original, handlerOf(SignalWatch.Signal.TERM));
        assertEquals(0, counter.offLoop.get());
    }

    /** Whether this process ignores {@code signal} (Linux: SigIgn in /proc/self/status). */
    private static boolean ignored(int signal) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << (signal - 1))) != 0;
            }
        }
        throw new AssertionError("no SigIgn in /proc/self/status");
    }
}
