package io.ffpoll.multiplexer.example.jobs;

import io.ffpoll.multiplexer.example.jobs.JobServer.Job;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job dispatch example: 20,000 small jobs through 2 worker processes, one of them frozen
 * (SIGSTOP) with a job outstanding and then killed (SIGKILL): every result arrives exactly
 * once and is right, the killed worker's job is queued again and the worker replaced, and jobs
 * leave cheapest first.
 */
class JobServerTest {
    private static final int JOBS = 20_000;
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(120);

    @Test
    void everyResultExactlyOnceInCostOrderWithAWorkerKilledMidRun() throws Exception {
        long fdsBefore = Loopback.openFds();
        Random random = new Random(42);
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            jobs.add(new Job(i, random.nextInt(10), random.nextLong()));
        }
        ConcurrentHashMap<Long, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        List<String> wrong = new ArrayList<>();
        List<Job> firstDispatches = new ArrayList<>(); // the loop thread's, read after it is closed
        List<Job> requeued = new ArrayList<>();
        List<Long> replacements = new ArrayList<>();
        AtomicInteger results = new AtomicInteger();
        JobServer.Observer observer = new JobServer.Observer() {
            final java.util.Set<Long> dispatched = new java.util.HashSet<>();

            @Override
            public void onResult(Job job, long result) {
                deliveries.computeIfAbsent(job.id(), k -> new AtomicInteger()).incrementAndGet();
                if (result != JobWorker.compute(job.cost(), job.payload())) {
                    wrong.add("job " + job.id());
                }
                results.incrementAndGet();
            }

            @Override
            public void onDispatch(Job job, long pid) {
                if (dispatched.add(job.id())) {
                    firstDispatches.add(job);
                }
            }

            @Override
            public void onRequeue(Job job, long pid) {
                requeued.add(job);
            }

            @Override
            public void onWorkerStarted(long pid, boolean replacement) {
                if (replacement) {
                    replacements.add(pid);
                }
            }
        };
        List<String> jvm = List.of(ProcessHandle.current().info().command().orElseThrow(), "-XX:+UseSerialGC", "-Xmx32m",
                "-cp", System.getProperty("java.class.path"));
        try (JobServer server = JobServer.start(2, jvm, observer)) {
            server.submitAll(jobs);
            await(() -> results.get() >= 2_000, results);
            long victim = server.workerPids().get(0);
            signal("STOP", victim);
            // The other worker goes on; the frozen one holds the job it was sent and cannot answer.
            int atFreeze = results.get();
            await(() -> results.get() >= atFreeze + 1_000, results);
            signal("KILL", victim);
            await(() -> results.get() >= JOBS, results);
        }

        assertEquals(JOBS, deliveries.size(), "jobs with a result");
        assertTrue(deliveries.values().stream().allMatch(n -> n.get() == 1), "a job's result was delivered twice");
        assertEquals(List.of(), wrong, "wrong results");
        assertEquals(JOBS, results.get());
        assertEquals(1, requeued.size(), "the killed worker's outstanding job went back in the queue");
        assertEquals(1, replacements.size(), "the killed worker was replaced");
        for (int i = 1; i < firstDispatches.size(); i++) {
            assertTrue(firstDispatches.get(i - 1).cost() <= firstDispatches.get(i).cost(),
                    "job " + firstDispatches.get(i).id() + " left before a cheaper one");
        }
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        while (Loopback.openFds() != fdsBefore) {
            assertTrue(System.nanoTime() < deadline, "descriptors: " + Loopback.openFds() + ", before: " + fdsBefore);
            Thread.sleep(10);
        }
    }

    private static void await(java.util.function.BooleanSupplier done, AtomicInteger results) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "only " + results.get() + " results");
            Thread.sleep(5);
        }
    }

    private static void signal(String name, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start().waitFor());
    }

}
