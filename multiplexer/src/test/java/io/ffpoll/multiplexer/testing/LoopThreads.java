package io.ffpoll.multiplexer.testing;

import io.ffpoll.multiplexer.EventLoop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Test helper: whether a loop thread is blocked in the kernel's epoll wait, read from
 * /proc/self/task/TID (its wait channel), so tests wait for that state instead of sleeping.
 */
public final class LoopThreads {
    private LoopThreads() {}

    /**
     * The kernel thread id of {@code loop}'s thread. The test is skipped where there is no
     * /proc to read a thread's state from (the BSDs): it needs Linux's.
     */
    public static int tid(EventLoop loop) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/task")),
                "a thread's wait state is read from Linux's /proc");
        return loop.submit(Cpus::gettid).get(30, TimeUnit.SECONDS);
    }

    /**
     * Runs a task on {@code loop} that holds its thread until the returned latch is counted
     * down, and returns once the task holds it: what arrives meanwhile waits for one poll.
     */
    public static java.util.concurrent.CountDownLatch hold(EventLoop loop) throws InterruptedException {
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        loop.execute(() -> {
            held.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        org.junit.jupiter.api.Assertions.assertTrue(held.await(30, TimeUnit.SECONDS), "the loop never ran the holding task");
        return release;
    }

    /** {@code loop}'s thread, to count the syscalls it makes ({@code Syscalls.count(name, thread)}). */
    public static Thread thread(EventLoop loop) throws Exception {
        return loop.submit(Thread::currentThread).get(30, TimeUnit.SECONDS);
    }

    /**
     * Whether thread {@code tid} of this process sleeps in epoll_wait (or io_uring_enter's wait,
     * or, on the rump kernel, in its kevent) now.
     */
    public static boolean blockedInEpoll(int tid) {
        try {
            Path task = Path.of("/proc/self/task/" + tid);
            String wchan = Files.readString(task.resolve("wchan"));
            String stat = Files.readString(task.resolve("stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            // A rump kernel's kevent sleeps on a condition variable of its hypercall layer: a futex.
            boolean rumpWait = wchan.contains("futex") && io.ffpoll.bindings.testing.rump.Rump.active();
            return state == 'S' && (wchan.contains("epoll") || wchan.contains("io_cqring") || wchan.contains("io_uring")
                    || rumpWait);
        } catch (NoSuchFileException gone) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * How many times thread {@code tid} went to sleep so far. Each wakeup in the kernel counts,
     * also one after which epoll_wait found nothing to return and slept on.
     */
    public static long voluntarySwitches(int tid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/task/" + tid + "/status"))) {
                if (line.startsWith("voluntary_ctxt_switches:")) {
                    return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
            }
            throw new AssertionError("no voluntary_ctxt_switches for thread " + tid);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits (up to 30 s) until thread {@code tid} is blocked in epoll_wait; skipped without /proc. */
    public static void awaitBlocked(int tid) throws InterruptedException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/task")),
                "a thread's wait state is read from Linux's /proc");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!blockedInEpoll(tid)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("thread " + tid + " never blocked in epoll_wait");
            }
            Thread.sleep(1);
        }
    }
}
