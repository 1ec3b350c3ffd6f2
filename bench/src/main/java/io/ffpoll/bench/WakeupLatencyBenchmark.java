package io.ffpoll.bench;

import io.ffpoll.multiplexer.EventLoop;
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

import java.io.IOException;
import java.nio.channels.Selector;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Cross-thread wakeup latency of an idle loop: from handing a task to a loop blocked in its
 * wait until the task runs on the loop's thread. ffpoll: {@code EventLoop.execute}. java.nio:
 * the usual pattern, a concurrent queue plus {@code Selector.wakeup()}, the loop draining the
 * queue after each select. Sampled (p50, p99, p99.9 in JMH's output), with the loop and the
 * caller on one CPU ({@code cpus = same}: the wakeup must preempt or wait for the caller) or on
 * two (on one, the caller yields while it waits). Before each sample the caller pauses 200 us (outside the measurement) so the loop is
 * back in its wait.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class WakeupLatencyBenchmark {
    @Param({"ffpoll", "nio"})
    public String loop;

    @Param({"same", "different"})
    public String cpus;

    private EventLoop eventLoop;
    private Selector selector;
    private Thread nioThread;
    private final ConcurrentLinkedQueue<Runnable> nioTasks = new ConcurrentLinkedQueue<>();
    private boolean sameCpu;
    private volatile boolean running = true;
    private volatile long ran;
    private final Runnable task = () -> ran++;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        int loopCpu = 0;
        sameCpu = cpus.equals("same");
        int callerCpu = sameCpu ? 0 : 1;
        if (loop.equals("ffpoll")) {
            eventLoop = EventLoop.start("wakeup");
            eventLoop.submit(() -> Affinity.pin(loopCpu)).get();
        } else {
            selector = Selector.open();
            nioThread = Thread.ofPlatform().name("nio-wakeup").start(() -> {
                Affinity.pin(loopCpu);
                try {
                    while (running) {
                        selector.select();
                        selector.selectedKeys().clear();
                        Runnable r;
                        while ((r = nioTasks.poll()) != null) {
                            r.run();
                        }
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        Affinity.pin(callerCpu);
    }

    @Setup(Level.Invocation)
    public void letTheLoopIdle() {
        LockSupport.parkNanos(200_000);
    }

    @Benchmark
    public long wakeAndRun() {
        long before = ran;
        if (eventLoop != null) {
            eventLoop.execute(task);
        } else {
            nioTasks.add(task);
            selector.wakeup();
        }
        while (ran == before) {
            // On one CPU a spinning caller would hold the loop off until the scheduler preempts it.
            if (sameCpu) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
        return ran;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (eventLoop != null) {
            eventLoop.close();
        } else {
            running = false;
            selector.wakeup();
            nioThread.join();
            selector.close();
        }
        Affinity.unpin();
    }
}
