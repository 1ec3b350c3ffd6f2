package io.ffpoll.bench;

import io.ffpoll.multiplexer.internal.LoopCounters;
import io.ffpoll.multiplexer.observe.CallbackWatch;
import jdk.jfr.Recording;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What observing adds to a loop, piece by piece, in nanoseconds: the parts a request's CPU time
 * is too noisy on a shared machine to show (bench/observe-overhead multiplies them by the
 * iterations and callbacks per request it counts, and divides by the CPU per request).
 * <ul>
 * <li>{@code clock}: one {@code System.nanoTime()}, which the loop read once an iteration before
 *     the metrics, and still does;</li>
 * <li>{@code iteration}: what the loop does once an iteration for its metrics and the watch on its
 *     callbacks, with that clock read included: the clock before the poll, the publish, the wait's
 *     end, the counts, and the watch's start and end of an iteration;</li>
 * <li>{@code callback}: what one callback costs the watch (a check, or with a recording that
 *     enables the stall events, one clock read, the SlowHandler event's begin, and its end only
 *     near the threshold).</li>
 * </ul>
 * {@code recording}: {@code off}, or {@code jfr}: a recording of the JDK's default settings and
 * jfr/ffpoll.jfc, as bench/load-http's http-lite-jfr.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class ObserveCostBenchmark {
    @Param({"off", "jfr"})
    public String recording;

    private Recording jfr;
    private Path file;
    private final LoopCounters counters = new LoopCounters();
    private final long[] counts = counters.counts;
    private CallbackWatch watch;
    private long polledAt;
    private final Object callback = new Object();

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        if (recording.equals("jfr")) {
            jfr = new Recording(JfrSettings.defaultAndShipped());
            file = Files.createTempFile("observe-cost", ".jfr");
            jfr.setDestination(file);
            jfr.start();
        }
        watch = new CallbackWatch(Thread.currentThread(), "bench");
        polledAt = System.nanoTime();
        watch.iterationStarted(1, polledAt);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        watch.iterationEnded();
        watch.loopEnded();
        if (jfr != null) {
            jfr.close();
            Files.deleteIfExists(file);
        }
    }

    @Benchmark
    public long clock() {
        return System.nanoTime();
    }

    /** As LoopThread does around a poll that may wait, with a poll that returns at once. */
    @Benchmark
    public long iteration() {
        long pollStarted = System.nanoTime();
        counts[LoopCounters.BUSY_NANOS] += pollStarted - polledAt;
        counts[LoopCounters.POLL_STARTED] = pollStarted;
        counts[LoopCounters.IN_POLL] = 1;
        watch.iterationEnded();
        counters.publish();
        long now = counters.waitEnded(pollStarted);
        polledAt = now;
        counts[LoopCounters.ITERATIONS]++;
        counts[LoopCounters.EVENTS] += 1;
        watch.iterationStarted(1, now);
        return now;
    }

    /** As LoopThread does around each callback. */
    @Benchmark
    public boolean callback() {
        boolean timed = watch.timing();
        long started = timed ? watch.enter() : 0;
        if (timed) {
            watch.exit(started, callback, "event");
        }
        return timed;
    }
}
