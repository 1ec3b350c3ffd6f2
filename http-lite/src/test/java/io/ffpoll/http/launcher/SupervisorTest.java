package io.ffpoll.http.launcher;

import io.ffpoll.http.ProcessLines;
import io.ffpoll.http.RawClient;
import io.ffpoll.http.ServerProcess;
import org.junit.jupiter.api.Test;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code http-lite --workers 2}, the supervisor and its worker processes, as an operator runs
 * them: both workers serve the one socket; a worker killed with SIGKILL is replaced while the
 * other keeps answering; a supervisor killed with SIGKILL leaves no worker behind; SIGHUP
 * replaces every worker under load without a refused connect or a failed or cut response, also
 * when the supervisor was started by nohup with SIGHUP ignored; workers ignore SIGHUP.
 */
class SupervisorTest {
    private static final Pattern PIDS = Pattern.compile("workers serving: pids \\[(\\d+), (\\d+)\\]");
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int SIGHUP = 1;

    @Test
    void bothWorkersServeAndAKilledOneIsReplacedWhileTheOtherAnswers() throws Exception {
        Set<Long> workers = new HashSet<>();
        try (ServerProcess s = new ServerProcess("--workers", "2", "--threads", "1", "--port", "0")) {
            List<Long> pids = workerPids(s);
            workers.addAll(pids);
            assertEquals(Set.copyOf(pids), servingPids(s.address, Set.copyOf(pids)), "both workers answer");
            assertTrue(ProcessLines.catches(s.process.pid(), SIGHUP), "the supervisor handles SIGHUP");
            for (long pid : pids) {
                assertTrue(ProcessLines.ignores(pid, SIGHUP), "worker " + pid + " ignores SIGHUP, which is its supervisor's");
            }

            long victim = pids.get(0);
            ProcessHandle.of(victim).orElseThrow().destroyForcibly();
            awaitGone(victim);
            // Every request is answered at once (pidOf asserts a 200): by the survivor, or by the
            // replacement, which may already serve, as it is started at once.
            List<Long> answered = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                answered.add(pidOf(s.address));
            }
            long replacement = Long.parseLong(s.await(Pattern.compile("worker 0 started: pid (\\d+), generation 1")));
            workers.add(replacement);
            assertNotEquals(victim, replacement);
            for (long pid : answered) {
                assertTrue(pid == pids.get(1) || pid == replacement,
                        "answered by " + pid + ", not the survivor " + pids.get(1) + " or the replacement " + replacement);
            }
            assertEquals(Set.of(replacement, pids.get(1)), servingPids(s.address, Set.of(replacement, pids.get(1))),
                    "the replacement serves beside the survivor");

            s.terminate();
            assertTrue(s.process.waitFor(60, TimeUnit.SECONDS), "the supervisor exits on SIGTERM");
            assertEquals(143, s.process.exitValue(), "128 + SIGTERM, as the JVM's own shutdown exits");
        }
        for (long pid : workers) {
            awaitGone(pid);
        }
    }

    /**
     * A supervisor whose parent started it with SIGCHLD blocked (the mask is inherited across
     * exec; HotSpot unblocks only the signals it uses itself) gets no SIGCHLD at all, and still
     * reaps and replaces a killed worker.
     */
    @Test
    void aSupervisorStartedWithSigchldBlockedStillReplacesAKilledWorker() throws Exception {
        List<Long> all = new ArrayList<>();
        try (ServerProcess s = new ServerProcess(List.of("env", "--block-signal=CHLD"), "--workers", "2", "--threads", "1", "--port", "0")) {
            List<Long> pids = workerPids(s);
            all.addAll(pids);
            ProcessHandle.of(pids.get(0)).orElseThrow().destroyForcibly();
            s.await(Pattern.compile("worker 0 \\(pid " + pids.get(0) + "\\) exited: killed by signal 9; restarting it"));
            long replacement = Long.parseLong(s.await(Pattern.compile("worker 0 started: pid (\\d+), generation 1")));
            all.add(replacement);
            assertEquals(Set.of(replacement, pids.get(1)), servingPids(s.address, Set.of(replacement, pids.get(1))),
                    "the replacement serves beside the survivor");
            s.terminate();
            assertTrue(s.process.waitFor(60, TimeUnit.SECONDS), "the supervisor exits on SIGTERM");
            assertEquals(143, s.process.exitValue());
        }
        for (long pid : all) {
            awaitGone(pid);
        }
    }

    /**
     * SIGINT (Ctrl-C) drains every worker as SIGTERM does, and the supervisor exits with 130.
     * Started with SIGINT at its default, whatever this JVM has (a background job ignores it).
     */
    @Test
    void sigintDrainsEveryWorkerAndTheSupervisorExits130() throws Exception {
        List<Long> pids;
        try (ServerProcess s = new ServerProcess(List.of("env", "--default-signal=INT"), "--workers", "2", "--threads", "1", "--port", "0")) {
            pids = workerPids(s);
            assertTrue(ProcessLines.catches(s.process.pid(), 2), "the supervisor handles SIGINT");
            ProcessLines.signal("INT", s.process.pid());
            s.await(Pattern.compile("shutting down: draining the workers"));
            for (int i = 0; i < 2; i++) {
                s.await(Pattern.compile("worker \\d \\(pid \\d+, generation 1\\) exited: exit 143"));
            }
            assertTrue(s.process.waitFor(60, TimeUnit.SECONDS), "the supervisor exits on SIGINT");
            assertEquals(130, s.process.exitValue(), "128 + SIGINT");
        }
        for (long pid : pids) {
            awaitGone(pid);
        }
    }

    @Test
    void aSupervisorStartedWithSighupIgnoredStillRestartsOnItAndEveryWorkerLeavesItToTheSupervisor() throws Exception {
        // nohup(1) starts its program with SIGHUP ignored, and exec keeps an ignored signal ignored.
        List<Long> all = new ArrayList<>();
        try (ServerProcess s = new ServerProcess(List.of("nohup"), "--workers", "2", "--threads", "1", "--port", "0")) {
            List<Long> old = workerPids(s);
            all.addAll(old);
            assertTrue(ProcessLines.catches(s.process.pid(), SIGHUP), "the supervisor handles SIGHUP although it started ignored");
            ProcessLines.signal("HUP", s.process.pid());
            List<Long> fresh = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                fresh.add(Long.parseLong(s.await(Pattern.compile("worker \\d started: pid (\\d+), generation 2"))));
            }
            s.await(Pattern.compile("rolling restart: generation 2 serves"));
            all.addAll(fresh);
            for (long pid : fresh) {
                assertTrue(ProcessLines.ignores(pid, SIGHUP), "worker " + pid + " ignores SIGHUP, which is its supervisor's");
            }
            for (long pid : old) {
                awaitGone(pid);
            }
            assertEquals(Set.copyOf(fresh), servingPids(s.address, Set.copyOf(fresh)), "the new generation serves");
            s.terminate();
            assertTrue(s.process.waitFor(60, TimeUnit.SECONDS), "the supervisor exits on SIGTERM");
        }
        for (long pid : all) {
            awaitGone(pid);
        }
    }

    @Test
    void badWorkerOptionsGetAClearErrorAndTheUsage() {
        for (String[] args : List.of(new String[] {"--workers", "0"}, new String[] {"--workers", "two"},
                new String[] {"--supervised", "4"}, new String[] {"--workers"})) {
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            assertEquals(null, Main.parse(args, new java.io.PrintStream(err, true)), String.join(" ", args));
            String text = err.toString();
            assertTrue(text.startsWith("http-lite: ") && text.contains("usage: http-lite"), text);
        }
    }

    @Test
    void aSupervisorKilledWithSigkillLeavesNoWorkerBehind() throws Exception {
        List<Long> pids;
        try (ServerProcess s = new ServerProcess("--workers", "2", "--threads", "1", "--port", "0")) {
            pids = workerPids(s);
            s.process.destroyForcibly();
            assertTrue(s.process.waitFor(60, TimeUnit.SECONDS));
        }
        for (long pid : pids) {
            awaitGone(pid);
        }
    }

    @Test
    void sighupReplacesEveryWorkerUnderLoadWithoutARefusedConnectOrAFailedResponse() throws Exception {
        Set<Long> all = new HashSet<>();
        try (ServerProcess s = new ServerProcess("--workers", "2", "--threads", "1", "--port", "0")) {
            List<Long> old = workerPids(s);
            all.addAll(old);
            Load load = new Load(s.address);
            List<Thread> clients = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                boolean keepAlive = i % 2 == 0;
                clients.add(Thread.ofPlatform().name("client-" + i).start(() -> load.run(keepAlive)));
            }
            load.awaitResponses(200);
            ProcessLines.signal("HUP", s.process.pid());
            s.await(Pattern.compile("rolling restart: generation 2 serves"));
            for (long pid : old) {
                awaitGone(pid);
            }
            load.recording = true;
            long after = load.responses.get();
            load.awaitResponses(after + 200);
            Set<Long> servedLately = new HashSet<>(load.lately);
            load.stop.set(true);
            for (Thread t : clients) {
                t.join();
            }
            all.addAll(load.pids.keySet());

            assertEquals(List.of(), load.failures, "failed or cut responses");
            assertEquals(0, load.refused.get(), "refused connects");
            assertFalse(servedLately.isEmpty());
            for (long pid : servedLately) {
                assertFalse(old.contains(pid), "after the restart every answer comes from a new worker, not " + pid);
            }
            assertTrue(load.pids.keySet().containsAll(old), "the old workers served before the restart");
            s.terminate();
            assertTrue(s.process.waitFor(60, TimeUnit.SECONDS));
        }
        for (long pid : all) {
            awaitGone(pid);
        }
    }

    /** Clients asking GET /pid: keep-alive ones reuse their connection, the others connect per request. */
    private static final class Load {
        final InetSocketAddress address;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong responses = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong retries = new AtomicLong();
        final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        final ConcurrentHashMap<Long, Boolean> pids = new ConcurrentHashMap<>();
        final Set<Long> lately = ConcurrentHashMap.newKeySet();
        volatile boolean recording;

        Load(InetSocketAddress address) {
            this.address = address;
        }

        void run(boolean keepAlive) {
            Socket socket = null;
            InputStream in = null;
            boolean reused = false;
            while (!stop.get()) {
                boolean answering = false;
                try {
                    if (socket == null) {
                        socket = new Socket();
                        socket.connect(address, 30_000);
                        socket.setSoTimeout(30_000);
                        in = new BufferedInputStream(socket.getInputStream());
                        reused = false;
                    }
                    socket.getOutputStream().write("GET /pid HTTP/1.1\r\nHost: t\r\n\r\n".getBytes());
                    in.mark(1);
                    if (in.read() == -1) {
                        throw new SocketException("closed before the response");
                    }
                    in.reset();
                    answering = true;
                    RawClient.Response r = new RawClient(socket, in).read();
                    if (r.status() != 200) {
                        failures.add("status " + r.status());
                    }
                    long pid = Long.parseLong(r.text());
                    pids.put(pid, true);
                    if (recording) {
                        lately.add(pid);
                    }
                    responses.incrementAndGet();
                    reused = true;
                    if (!keepAlive || "close".equalsIgnoreCase(r.header("connection"))) {
                        socket.close();
                        socket = null;
                    }
                } catch (ConnectException e) {
                    refused.incrementAndGet();
                    failures.add("connect: " + e);
                    socket = null;
                } catch (IOException | RuntimeException e) {
                    // RFC 9112, 9.3.1: a reused connection closed before any response byte may
                    // be retried; anything else is a failure.
                    if (reused && !answering && e instanceof SocketException) {
                        retries.incrementAndGet();
                    } else {
                        failures.add((reused ? "reused" : "new") + " connection: " + e);
                    }
                    close(socket);
                    socket = null;
                }
            }
            close(socket);
        }

        void awaitResponses(long n) throws InterruptedException {
            long deadline = System.nanoTime() + DEADLINE_NANOS;
            while (responses.get() < n) {
                assertTrue(System.nanoTime() < deadline, "only " + responses.get() + " responses; failures " + failures);
                assertTrue(failures.isEmpty(), "failures: " + failures);
                Thread.sleep(10);
            }
        }

        private static void close(Socket s) {
            try {
                if (s != null) {
                    s.close();
                }
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static List<Long> workerPids(ServerProcess s) throws InterruptedException {
        var m = PIDS.matcher(s.await(Pattern.compile("(workers serving: pids .*)")));
        assertTrue(m.find());
        return List.of(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
    }

    /** Asks GET /pid on new connections until every one of {@code expected} has answered. */
    private static Set<Long> servingPids(InetSocketAddress address, Set<Long> expected) throws IOException {
        Set<Long> seen = new HashSet<>();
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        while (!seen.containsAll(expected) && System.nanoTime() < deadline) {
            seen.add(pidOf(address));
        }
        return seen;
    }

    private static long pidOf(InetSocketAddress address) throws IOException {
        try (RawClient c = new RawClient(address)) {
            RawClient.Response r = c.send("GET /pid HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").read();
            assertEquals(200, r.status());
            return Long.parseLong(r.text());
        }
    }

    /** Waits until {@code pid} has exited (a zombie counts as exited: its parent reaps it). */
    static void awaitGone(long pid) throws Exception {
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        while (alive(pid)) {
            assertTrue(System.nanoTime() < deadline, "process " + pid + " is still running");
            Thread.sleep(20);
        }
    }

    private static boolean alive(long pid) throws IOException {
        Path stat = Path.of("/proc/" + pid + "/stat");
        try {
            String s = Files.readString(stat);
            return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
        } catch (java.nio.file.NoSuchFileException gone) {
            return false;
        } catch (IOException reaped) {
            // Reaped between the open and the read: procfs then fails the read with ESRCH.
            if (Files.exists(stat.getParent())) {
                throw reaped;
            }
            return false;
        }
    }

}
