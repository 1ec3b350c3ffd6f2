package io.ffpoll.bench.report;

import io.ffpoll.bench.report.BarChart.Group;
import io.ffpoll.bench.report.JmhCsv.Row;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Writes {@code jmh.md} and its charts from {@code jmh.csv} (the timings) and
 * {@code jmh-syscalls.csv} (perfnorm's syscalls per operation), both written by
 * {@code bench/jmh --report}: {@code JmhReport DIR COMMAND}. Each section puts ffpoll beside its
 * opponent, states the ratio and whether the project's target for it is met.
 */
public final class JmhReport {
    private static final String SYSCALLS = ":raw_syscalls:sys_enter";

    private final List<Row> rows;
    private final List<Row> syscalls;
    private final Path dir;
    private final StringBuilder md = new StringBuilder();
    private final List<String> targets = new ArrayList<>();

    private JmhReport(Path dir) throws IOException {
        this.dir = dir;
        this.rows = JmhCsv.read(dir.resolve("jmh.csv"));
        this.syscalls = JmhCsv.read(dir.resolve("jmh-syscalls.csv"));
    }

    public static void main(String[] args) throws IOException {
        JmhReport r = new JmhReport(Path.of(args[0]));
        r.md.append("# JMH suite: ffpoll beside java.nio and its peers\n\n").append(Machine.describe(args[1])).append('\n');
        r.md.append("Server loops run on CPU 0 and clients on CPU 1 (sched_setaffinity) unless a row says otherwise. "
                + "Syscalls per operation are the kernel's count (perf, raw_syscalls:sys_enter) for the whole benchmark "
                + "JVM, client included, from a separate short run.\n\n");
        r.churn();
        r.pingPong();
        r.wakeup();
        r.parse();
        r.endToEnd();
        Files.writeString(r.dir.resolve("jmh.md"), r.md);
        ReadmeSection.replace(Path.of("README.md"), "jmh", r.dir, r.md.toString());
    }

    private void churn() throws IOException {
        md.append("## Interest churn\n\nToggle write interest on N registered sockets and poll, twice (µs per operation, lower is better).\n\n");
        md.append("| sockets | ffpoll µs | java.nio µs | java.nio / ffpoll | syscalls/op ffpoll | syscalls/op java.nio |\n|---:|---:|---:|---:|---:|---:|\n");
        List<Group> groups = new ArrayList<>();
        for (String n : List.of("1", "1000")) {
            Predicate<Row> at = r -> r.param("sockets").equals(n);
            double f = score("InterestChurnBenchmark.ffpoll", at);
            double j = score("InterestChurnBenchmark.nio", at);
            md.append(row(n, f, j, j / f, sys("InterestChurnBenchmark.ffpoll", at), sys("InterestChurnBenchmark.nio", at)));
            groups.add(new Group(n + " sockets", new double[] {f, j}));
            if (n.equals("1000")) {
                target("interest churn at 1,000 sockets >= 20x java.nio", j / f, j / f >= 20);
            }
        }
        chart("jmh-churn.svg", "Interest churn", "µs per operation (lower is better)", List.of("ffpoll", "java.nio"), groups);
    }

    private void pingPong() throws IOException {
        md.append("## Loopback ping-pong\n\nOne message out and its echo back on each of N connections through one server loop "
                + "(µs per operation, lower is better).\n\n");
        md.append("| connections × bytes | ffpoll µs | java.nio µs | java.nio / ffpoll | syscalls/op ffpoll | syscalls/op java.nio |\n"
                + "|---:|---:|---:|---:|---:|---:|\n");
        List<Group> groups = new ArrayList<>();
        for (String c : List.of("1", "64", "1024")) {
            for (String size : List.of("64", "16384")) {
                Predicate<Row> ff = r -> r.param("connections").equals(c) && r.param("size").equals(size) && r.param("server").equals("ffpoll");
                Predicate<Row> nio = r -> r.param("connections").equals(c) && r.param("size").equals(size) && r.param("server").equals("nio");
                double f = score("PingPongBenchmark.roundTrips", ff);
                double j = score("PingPongBenchmark.roundTrips", nio);
                md.append(row(c + " × " + size, f, j, j / f, sys("PingPongBenchmark.roundTrips", ff), sys("PingPongBenchmark.roundTrips", nio)));
                groups.add(new Group(c + " × " + size + " B", new double[] {f, j}));
            }
        }
        chart("jmh-pingpong.svg", "Loopback ping-pong", "µs per operation (lower is better)", List.of("ffpoll", "java.nio"), groups);
    }

    private void wakeup() throws IOException {
        md.append("## Cross-thread wakeup of an idle loop\n\nFrom handing a task to a loop blocked in its wait until the task runs "
                + "(µs, lower is better).\n\n");
        md.append("| CPUs | loop | p50 | p99 | p99.9 | syscalls/op |\n|---|---|---:|---:|---:|---:|\n");
        List<Group> groups = new ArrayList<>();
        for (String cpus : List.of("same", "different")) {
            double[] p999 = new double[2];
            int i = 0;
            for (String side : List.of("ffpoll", "nio")) {
                Predicate<Row> at = r -> r.param("cpus").equals(cpus) && r.param("loop").equals(side);
                double p50 = score("WakeupLatencyBenchmark.wakeAndRun:p0.50", at);
                double p99 = score("WakeupLatencyBenchmark.wakeAndRun:p0.99", at);
                p999[i++] = score("WakeupLatencyBenchmark.wakeAndRun:p0.999", at);
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", cpus, side.equals("nio") ? "java.nio" : side,
                        BarChart.number(p50), BarChart.number(p99), BarChart.number(p999[i - 1]),
                        BarChart.number(sys("WakeupLatencyBenchmark.wakeAndRun", at))));
                groups.add(new Group(cpus + " CPU, " + (side.equals("nio") ? "java.nio" : side), new double[] {p50, p99, p999[i - 1]}));
            }
            target("wakeup p99.9 <= 0.5x java.nio's (" + cpus + " CPU)", p999[0] / p999[1], p999[0] / p999[1] <= 0.5);
        }
        chart("jmh-wakeup.svg", "Wakeup latency of an idle loop", "µs (lower is better)", List.of("p50", "p99", "p99.9"), groups);
    }

    private void parse() throws IOException {
        md.append("## HTTP request parsing\n\nOne request head in one piece (ns per request, lower is better). Netty's decoder runs "
                + "in an EmbeddedChannel, as it would in a pipeline.\n\n");
        md.append("| request | http-lite ns | Netty ns | Netty / http-lite |\n|---|---:|---:|---:|\n");
        List<Group> groups = new ArrayList<>();
        for (String req : List.of("plaintext", "browser")) {
            Predicate<Row> at = r -> r.param("request").equals(req);
            double f = score("HttpParseBenchmark.ffpoll", at);
            double n = score("HttpParseBenchmark.netty", at);
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2fx |%n", req, BarChart.number(f), BarChart.number(n), n / f));
            groups.add(new Group(req, new double[] {f, n}));
            target("parsing the " + req + " request >= 2x Netty's decoder", n / f, n / f >= 2);
        }
        chart("jmh-parse.svg", "HTTP request parsing", "ns per request (lower is better)", List.of("http-lite", "Netty"), groups);
    }

    private void endToEnd() throws IOException {
        md.append("## End-to-end HTTP\n\nFour client threads, one keep-alive connection each, `GET /plaintext` "
                + "(requests/s, higher is better).\n\n");
        md.append("| server | requests/s | http-lite / it | syscalls/request |\n|---|---:|---:|---:|\n");
        double lite = score("HttpEndToEndBenchmark.request", r -> r.param("server").equals("http-lite"));
        List<Group> groups = new ArrayList<>();
        for (String s : List.of("http-lite", "jdk-httpserver", "virtual-threads")) {
            Predicate<Row> at = r -> r.param("server").equals(s);
            double v = score("HttpEndToEndBenchmark.request", at);
            md.append(String.format(Locale.ROOT, "| %s | %s | %.2fx | %s |%n", s, BarChart.number(v), lite / v,
                    BarChart.number(sys("HttpEndToEndBenchmark.request", at))));
            groups.add(new Group(s, new double[] {v}));
        }
        double jdk = score("HttpEndToEndBenchmark.request", r -> r.param("server").equals("jdk-httpserver"));
        double vt = score("HttpEndToEndBenchmark.request", r -> r.param("server").equals("virtual-threads"));
        target("http-lite end to end >= 3x the JDK HttpServer", lite / jdk, lite / jdk >= 3);
        target("http-lite end to end >= 1.5x the virtual-thread server", lite / vt, lite / vt >= 1.5);
        chart("jmh-http.svg", "End-to-end HTTP, 4 keep-alive clients", "requests/s (higher is better)", List.of("requests/s"), groups);
    }

    private double score(String benchmark, Predicate<Row> params) {
        return rows.stream().filter(r -> r.benchmark().equals(benchmark) && params.test(r))
                .mapToDouble(Row::score).findFirst().orElse(Double.NaN);
    }

    private double sys(String benchmark, Predicate<Row> params) {
        return syscalls.stream().filter(r -> r.benchmark().equals(benchmark + SYSCALLS) && params.test(r))
                .mapToDouble(Row::score).findFirst().orElse(Double.NaN);
    }

    private static String row(String label, double f, double j, double ratio, double sysF, double sysJ) {
        return String.format(Locale.ROOT, "| %s | %s | %s | %.2fx | %s | %s |%n", label, BarChart.number(f), BarChart.number(j),
                ratio, BarChart.number(sysF), BarChart.number(sysJ));
    }

    /** Kept until the section's table is complete, then written under it by {@link #chart}. */
    private void target(String what, double ratio, boolean met) {
        targets.add(String.format(Locale.ROOT, "Target: %s: **%.2fx, %s**.%n", what, ratio,
                Double.isNaN(ratio) ? "not measured" : met ? "met" : "not met"));
    }

    private void chart(String file, String title, String unit, List<String> series, List<Group> groups) throws IOException {
        Files.writeString(dir.resolve(file), BarChart.svg(title, unit, series, groups));
        for (String t : targets) {
            md.append('\n').append(t);
        }
        targets.clear();
        md.append("\n![").append(title).append("](").append(file).append(")\n\n");
    }
}
