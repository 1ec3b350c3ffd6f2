package io.ffpoll.http;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The launcher (io.ffpoll.http.Main) in a child JVM with the launcher script's default JVM
 * options, as an operator runs it: its port, pid, RSS and descriptors.
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on .*:(\\d+) ");
    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final InetSocketAddress address;

    ServerProcess(String... args) throws IOException, InterruptedException {
        // The JVM options the launcher script (http-lite/http-lite) uses by default.
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-XX:+UseSerialGC", "-Xms8m", "-Xmx64m", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "io.ffpoll.http.Main"));
        cmd.addAll(List.of(args));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        address = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(await(LISTENING)));
    }

    /** The first output line matching {@code pattern} (its group 1, if any), waiting up to 30 s. */
    String await(Pattern pattern) throws InterruptedException {
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
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

    /** The child's resident set in bytes (VmRSS). */
    long rss() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new AssertionError("no VmRSS for " + process.pid());
    }

    /** The child's open descriptors. */
    long fds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/" + process.pid() + "/fd"))) {
            return s.count();
        }
    }

    /** Sends SIGTERM, as a process manager does. */
    void terminate() throws IOException, InterruptedException {
        if (new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start().waitFor() != 0) {
            throw new AssertionError("kill -TERM failed");
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }
}
