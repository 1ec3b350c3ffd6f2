package io.ffpoll.http;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A child process's output (stdout and stderr merged), line by line as it comes, signals to it, and its signal dispositions. */
public final class ProcessLines {
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    /**
     * Reads {@code p}'s output (start it with {@code redirectErrorStream(true)}) on a platform
     * thread of its own: a virtual one blocks in the pipe's read on a carrier, and with the
     * carriers taken (one per core, on a machine with both busy) it was never scheduled, so a
     * line the child printed was never seen.
     */
    public ProcessLines(Process p) {
        Thread.ofPlatform().daemon().name("process-lines-" + p.pid()).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    /**
     * The next output line matching {@code pattern} (its group 1, if any), waiting up to 90 s:
     * longer than the supervisor gives a new generation of worker JVMs to come up (60 s), which
     * on a loaded machine takes tens of seconds.
     */
    public String await(Pattern pattern) throws InterruptedException {
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            String l = lines.poll(100, TimeUnit.MILLISECONDS);
            if (l == null) {
                continue;
            }
            seen.append(l).append('\n');
            Matcher m = pattern.matcher(l);
            if (m.find()) {
                return m.groupCount() > 0 ? m.group(1) : l;
            }
        }
        throw new AssertionError("no line matching " + pattern + " in:\n" + seen);
    }

    /**
     * Sends signal {@code name} ("TERM", "HUP", "KILL") to {@code pid} with kill(1), as a process
     * manager does. (Process.destroy() did not deliver SIGTERM here.)
     */
    public static void signal(String name, long pid) throws IOException, InterruptedException {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start().waitFor(),
                "kill -" + name + " " + pid);
    }

    /** Whether {@code pid} has a handler for {@code signal} (its bit in SigCgt of /proc/pid/status). */
    public static boolean catches(long pid, int signal) throws IOException {
        return (signalSet(pid, "SigCgt:") & 1L << (signal - 1)) != 0;
    }

    /** Whether {@code pid} ignores {@code signal} (its bit in SigIgn of /proc/pid/status). */
    public static boolean ignores(long pid, int signal) throws IOException {
        return (signalSet(pid, "SigIgn:") & 1L << (signal - 1)) != 0;
    }

    private static long signalSet(long pid, String field) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith(field)) {
                return Long.parseUnsignedLong(l.substring(field.length()).trim(), 16);
            }
        }
        throw new AssertionError("no " + field + " for " + pid);
    }
}
