package io.ffpoll.bench.report;

import io.ffpoll.bench.report.BarChart.Group;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes {@code load.md} and its charts from {@code load.tsv}, the raw runs of
 * {@code bench/load-http}: {@code LoadReport DIR COMMAND}. Rounds are averaged per server and
 * mode; every server is also put beside nginx, and the CPU-per-request targets are checked.
 */
public final class LoadReport {
    private static final List<String> JAVA_PEERS = List.of("netty", "java.nio", "virtual-threads");

    /** The mean of one server's runs in one mode. */
    private record Figures(double rps, double p50, double p99, double syscalls, double cpuMicros, double rss, long requests, long errors) {}

    private LoadReport() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        String name = args.length > 2 ? args[2] : "load";
        Map<String, Map<String, Figures>> byServer = read(dir.resolve(name + ".tsv"));
        StringBuilder md = new StringBuilder("# Load report: /plaintext on one core\n\n").append(Machine.describe(args[1])).append('\n');
        md.append("Each server runs on CPU 0 alone, wrk on CPU 1; pipelined is 16 requests per write (bench/pipeline.lua); close (where run) sends Connection: close, a new connection per request. "
                + "CPU is the server process's user+system time over the measured seconds divided by the requests answered: "
                + "the fair figure when wrk saturates its own core. Syscalls are counted by perf over the server process "
                + "(JVM threads included) during the measured seconds, and its counting costs every server a little CPU per "
                + "syscall. wrk reports no p99 for some pipelined runs (n/a). RSS is the whole process.\n\n");
        for (String mode : List.of("keep-alive", "pipelined", "close")) {
            if (byServer.values().stream().noneMatch(modes -> modes.containsKey(mode))) {
                continue; // a mode this run left out (MODES=...)
            }
            Figures nginx = byServer.getOrDefault("nginx", Map.of()).get(mode);
            md.append("## ").append(mode).append("\n\n| server | req/s | p50 ms | p99 ms | syscalls/req | CPU µs/req | RSS MiB "
                    + "| req/s ÷ nginx | CPU/req ÷ nginx | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            byServer.forEach((server, modes) -> {
                Figures f = modes.get(mode);
                if (f != null) {
                    md.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %s | %s | %s | %.1f | %s | %s | %d |%n", server,
                            BarChart.number(f.rps()), f.p50(),
                            f.p99() > 0 ? String.format(Locale.ROOT, "%.2f", f.p99()) : "n/a", BarChart.number(f.syscalls()), BarChart.number(f.cpuMicros()),
                            f.rss(), nginx == null ? "n/a" : String.format(Locale.ROOT, "%.2f", f.rps() / nginx.rps()),
                            nginx == null ? "n/a" : String.format(Locale.ROOT, "%.2f", f.cpuMicros() / nginx.cpuMicros()), f.errors()));
                }
            });
            md.append('\n');
        }
        targets(md, byServer);
        for (String[] chart : new String[][] {
                {name + "-rps.svg", "Requests per second, one server core", "req/s (higher is better)", "rps"},
                {name + "-cpu.svg", "Server CPU time per request", "µs of CPU per request (lower is better)", "cpu"}}) {
            List<Group> groups = new ArrayList<>();
            byServer.forEach((server, modes) -> groups.add(new Group(server, new double[] {
                    value(modes.get("keep-alive"), chart[3]), value(modes.get("pipelined"), chart[3])})));
            Files.writeString(dir.resolve(chart[0]), BarChart.svg(chart[1], chart[2], List.of("keep-alive", "pipelined"), groups));
            md.append("![").append(chart[1]).append("](").append(chart[0]).append(")\n\n");
        }
        Files.writeString(dir.resolve(name + ".md"), md);
        ReadmeSection.replace(Path.of("README.md"), name, dir, md.toString());
    }

    private static void targets(StringBuilder md, Map<String, Map<String, Figures>> byServer) {
        Figures lite = byServer.getOrDefault("http-lite", Map.of()).get("keep-alive");
        Figures nginx = byServer.getOrDefault("nginx", Map.of()).get("keep-alive");
        if (lite != null && nginx != null) {
            md.append(String.format(Locale.ROOT, "Target: http-lite's CPU per request below nginx's, keep-alive: %.3f µs vs %.3f µs, **%s**.%n%n",
                    lite.cpuMicros(), nginx.cpuMicros(), lite.cpuMicros() < nginx.cpuMicros() ? "met" : "not met"));
        }
        for (String[] t : new String[][] {{"keep-alive", "0.93", "0.5"}, {"pipelined", "0.95", "0.05"}}) {
            Figures epoll = byServer.getOrDefault("http-lite", Map.of()).get(t[0]);
            Figures uring = byServer.getOrDefault("http-lite-io_uring", Map.of()).get(t[0]);
            if (epoll != null && uring != null) {
                double ratio = uring.cpuMicros() / epoll.cpuMicros();
                md.append(String.format(Locale.ROOT, "Target: http-lite's CPU per request on io_uring <= %s x on epoll, %s: "
                        + "%.3f µs vs %.3f µs = %.3f, **%s**.%n%n", t[1], t[0], uring.cpuMicros(), epoll.cpuMicros(), ratio,
                        ratio <= Double.parseDouble(t[1]) ? "met" : "not met"));
                md.append(String.format(Locale.ROOT, "Target: http-lite on io_uring makes <= %s syscalls per request, %s: "
                        + "%.3f, **%s**.%n%n", t[2], t[0], uring.syscalls(),
                        uring.syscalls() <= Double.parseDouble(t[2]) ? "met" : "not met"));
            }
        }
        // Issue 23: what the loops' metrics cost (against a build without them), and JFR on top.
        for (String[] t : new String[][] {{"http-lite-baseline", "http-lite", "1.005", "metrics on, JFR off"},
                {"http-lite", "http-lite-jfr", "1.02", "JFR recording (default + ffpoll.jfc)"}}) {
            for (String mode : List.of("keep-alive", "pipelined")) {
                Figures base = byServer.getOrDefault(t[0], Map.of()).get(mode);
                Figures with = byServer.getOrDefault(t[1], Map.of()).get(mode);
                if (base != null && with != null) {
                    double ratio = with.cpuMicros() / base.cpuMicros();
                    md.append(String.format(Locale.ROOT, "Target: %s costs <= %s x the CPU per request of %s, %s: "
                            + "%.3f µs vs %.3f µs = %.3f, **%s**.%n%n", t[3], t[2], t[0], mode, with.cpuMicros(),
                            base.cpuMicros(), ratio, ratio <= Double.parseDouble(t[2]) ? "met" : "not met"));
                }
            }
        }
        Figures litePipelined = byServer.getOrDefault("http-lite", Map.of()).get("pipelined");
        for (String peer : JAVA_PEERS) {
            Figures p = byServer.getOrDefault(peer, Map.of()).get("pipelined");
            if (litePipelined != null && p != null) {
                md.append(String.format(Locale.ROOT, "Target: http-lite's CPU per request below %s's, pipelined: %.3f µs vs %.3f µs, **%s**.%n%n",
                        peer, litePipelined.cpuMicros(), p.cpuMicros(), litePipelined.cpuMicros() < p.cpuMicros() ? "met" : "not met"));
            }
        }
    }

    private static double value(Figures f, String which) {
        return f == null ? Double.NaN : which.equals("rps") ? f.rps() : f.cpuMicros();
    }

    /** Server, then mode, in the order the runs came; each the mean of its rounds. */
    private static Map<String, Map<String, Figures>> read(Path tsv) throws IOException {
        Map<String, Map<String, List<String[]>>> runs = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(tsv);
        for (String line : lines.subList(1, lines.size())) {
            String[] c = line.split("\t");
            runs.computeIfAbsent(c[0], k -> new LinkedHashMap<>()).computeIfAbsent(c[1], k -> new ArrayList<>()).add(c);
        }
        Map<String, Map<String, Figures>> out = new LinkedHashMap<>();
        runs.forEach((server, modes) -> modes.forEach((mode, rows) -> out.computeIfAbsent(server, k -> new LinkedHashMap<>())
                .put(mode, new Figures(mean(rows, 3), mean(rows, 4), mean(rows, 5), mean(rows, 6), mean(rows, 7), mean(rows, 8),
                        (long) sum(rows, 9), (long) sum(rows, 10)))));
        return out;
    }

    private static double mean(List<String[]> rows, int column) {
        return sum(rows, column) / rows.size();
    }

    private static double sum(List<String[]> rows, int column) {
        double s = 0;
        for (String[] r : rows) {
            s += column < r.length ? Double.parseDouble(r[column]) : Double.NaN;
        }
        return s;
    }
}
