package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The launcher (io.ffpoll.http.launcher.Main) in a child JVM with the launcher script's default JVM
 * options, as an operator runs it: its port, pid, RSS and descriptors.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on .*:(\\d+) ");
    public final Process process;
    private final ProcessLines output;
    public final InetSocketAddress address;

    public ServerProcess(String... args) throws IOException, InterruptedException {
        this(List.of(), args);
    }

    /**
     * The launcher run by {@code prefix}, a program that execs the rest of its command line (as
     * {@code nohup} does), so that the child's pid is still the launcher's.
     */
    public ServerProcess(List<String> prefix, String... args) throws IOException, InterruptedException {
        this(prefix, Main.class, args);
    }

    /** {@code mainClass} (on the test class path) in place of the launcher's own. */
    public ServerProcess(List<String> prefix, Class<?> mainClass, String... args) throws IOException, InterruptedException {
        // The JVM options the launcher script (http-lite/http-lite) uses by default.
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-XX:+UseSerialGC", "-Xms8m", "-Xmx64m", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), mainClass.getName()));
        cmd.addAll(List.of(args));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        output = new ProcessLines(process);
        address = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(await(LISTENING)));
    }

    /** The next output line matching {@code pattern} (its group 1, if any), waiting up to 30 s. */
    public String await(Pattern pattern) throws InterruptedException {
        return output.await(pattern);
    }

    /** The child's resident set in bytes (VmRSS). */
    public long rss() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new AssertionError("no VmRSS for " + process.pid());
    }

    /** The child's open descriptors. */
    public long fds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/" + process.pid() + "/fd"))) {
            return s.count();
        }
    }

    /** Sends SIGTERM, as a process manager does. */
    public void terminate() throws IOException, InterruptedException {
        ProcessLines.signal("TERM", process.pid());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }
}
