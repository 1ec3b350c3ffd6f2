package io.ffpoll.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes {@code tls.md} from {@code tls.tsv}, the raw runs of {@code bench/compare-tls}, and
 * prints it: {@code TlsReport DIR COMMAND [NOTE]}. Rounds are averaged per server and kind
 * (handshake-ecdsa, handshake-rsa, keep-alive); every server is put beside nginx, and the
 * targets of the TLS issue are checked for the rows that ran.
 */
public final class TlsReport {
    static final String FFPOLL_JDK = "ffpoll-jdk";
    static final String FFPOLL_OPENSSL = "ffpoll-openssl";
    static final String NETTY_JDK = "netty-jdk";
    static final String NGINX = "nginx";

    /** The mean of one server's runs of one kind; {@code tls} is the first run's protocol and cipher. */
    record Figures(double rate, double cpuMicros, double clientCpu, double p99, double rss, long count, long errors,
                   long resumed, String tls) {
        /** {@return what one server core would do at this CPU per operation} */
        double perCore() {
            return 1e6 / cpuMicros;
        }
    }

    private TlsReport() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        String md = report(read(dir.resolve("tls.tsv")), Machine.describe(args[1]), args.length > 2 ? args[2] : "");
        Files.writeString(dir.resolve("tls.md"), md);
        ReadmeSection.replace(Path.of("README.md"), "tls", dir, md);
        System.out.print(md);
    }

    static String report(Map<String, Map<String, Figures>> byServer, String machine, String note) {
        StringBuilder md = new StringBuilder("# TLS report: HTTPS /plaintext on one core\n\n").append(machine).append('\n');
        md.append("Each server runs on CPU 0 alone, the client on CPU 1, over 127.0.0.1; TLS 1.2 and 1.3 offered, "
                + "ALPN http/1.1, the same certificate and key for every server. New connections: bench/src/main/c/"
                + "tls_handshakes.c keeps a fixed number of connections in flight, each a full handshake (no session "
                + "is ever offered, so none is resumed: wrk and h2load resume on reconnect), one GET with "
                + "\"Connection: close\", the response read to the server's close. Keep-alive: wrk over HTTPS. CPU is the "
                + "server process's user+system time over the measured seconds (/proc/PID/stat) divided by the "
                + "connections or requests completed; \"per core\" is 10^6 / that, the rate one server core would reach "
                + "if the client kept up. Client CPU near 100 % means the client, not the server, set the rate: "
                + "compare the CPU columns then. RSS is the whole process.");
        if (!note.isBlank()) {
            md.append(' ').append(note.strip());
        }
        md.append("\n\n");
        for (String[] kind : new String[][] {{"handshake-ecdsa", "New connections, ECDSA P-256 certificate"},
                {"handshake-rsa", "New connections, RSA 2048 certificate"}}) {
            Figures nginx = byServer.getOrDefault(NGINX, Map.of()).get(kind[0]);
            md.append("## ").append(kind[1]).append("\n\n| server | handshakes/s | server CPU µs/handshake | per core | "
                    + "handshakes/s ÷ nginx | CPU ÷ nginx | client CPU % | errors | resumed | TLS |\n"
                    + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
            byServer.forEach((server, kinds) -> {
                Figures f = kinds.get(kind[0]);
                if (f != null) {
                    md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %.0f | %d | %d | %s |%n", server,
                            BarChart.number(f.rate()), BarChart.number(f.cpuMicros()), BarChart.number(f.perCore()),
                            ratio(f.rate(), nginx == null ? Double.NaN : nginx.rate()),
                            ratio(f.cpuMicros(), nginx == null ? Double.NaN : nginx.cpuMicros()),
                            f.clientCpu(), f.errors(), f.resumed(), f.tls()));
                }
            });
            md.append('\n');
        }
        Figures nginxKept = byServer.getOrDefault(NGINX, Map.of()).get("keep-alive");
        md.append("## Keep-alive requests\n\n| server | req/s | p99 ms | server CPU µs/req | req/s ÷ nginx | CPU/req ÷ nginx "
                + "| client CPU % | RSS MiB | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        byServer.forEach((server, kinds) -> {
            Figures f = kinds.get("keep-alive");
            if (f != null) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %s | %s | %s | %.0f | %.1f | %d |%n", server,
                        BarChart.number(f.rate()), f.p99(), BarChart.number(f.cpuMicros()),
                        ratio(f.rate(), nginxKept == null ? Double.NaN : nginxKept.rate()),
                        ratio(f.cpuMicros(), nginxKept == null ? Double.NaN : nginxKept.cpuMicros()),
                        f.clientCpu(), f.rss(), f.errors()));
            }
        });
        md.append('\n');
        targets(md, byServer);
        return md.toString();
    }

    private static String ratio(double a, double b) {
        return Double.isFinite(a / b) ? String.format(Locale.ROOT, "%.2f", a / b) : "n/a";
    }

    /** The targets, each stated for the rows that ran; a missing row is said, not guessed. */
    private static void targets(StringBuilder md, Map<String, Map<String, Figures>> byServer) {
        for (String kind : List.of("handshake-ecdsa", "handshake-rsa")) {
            String cert = kind.endsWith("ecdsa") ? "ECDSA" : "RSA";
            atLeast(md, "OpenSSL engine ≥ 2x the JDK engine, new connections, " + cert, byServer, FFPOLL_OPENSSL, FFPOLL_JDK, kind, 2.0);
            atLeast(md, "OpenSSL engine ≥ 0.8x nginx, new connections, " + cert, byServer, FFPOLL_OPENSSL, NGINX, kind, 0.8);
            atLeast(md, "JDK engine ≥ Netty's JDK SslHandler, new connections, " + cert, byServer, FFPOLL_JDK, NETTY_JDK, kind, 1.0);
        }
        for (String engine : List.of(FFPOLL_OPENSSL, FFPOLL_JDK)) {
            Figures f = byServer.getOrDefault(engine, Map.of()).get("keep-alive");
            Figures nginx = byServer.getOrDefault(NGINX, Map.of()).get("keep-alive");
            md.append("Target: ").append(engine).append(" keep-alive CPU per request ≤ 1.2x nginx's: ");
            if (f == null || nginx == null) {
                md.append("not measured (no ").append(f == null ? engine : NGINX).append(" row).\n\n");
            } else {
                double r = f.cpuMicros() / nginx.cpuMicros();
                md.append(String.format(Locale.ROOT, "%s µs vs %s µs = %.2fx, **%s**.%n%n", BarChart.number(f.cpuMicros()),
                        BarChart.number(nginx.cpuMicros()), r, r <= 1.2 ? "met" : "not met"));
            }
        }
        Figures jdk = byServer.getOrDefault(FFPOLL_JDK, Map.of()).get("keep-alive");
        Figures netty = byServer.getOrDefault(NETTY_JDK, Map.of()).get("keep-alive");
        md.append("Target: JDK engine ≥ Netty's JDK SslHandler, keep-alive CPU per request (lower is better): ");
        if (jdk == null || netty == null) {
            md.append("not measured (no ").append(jdk == null ? FFPOLL_JDK : NETTY_JDK).append(" row).\n\n");
        } else {
            md.append(String.format(Locale.ROOT, "%s µs vs %s µs, **%s**.%n%n", BarChart.number(jdk.cpuMicros()),
                    BarChart.number(netty.cpuMicros()), jdk.cpuMicros() <= netty.cpuMicros() ? "met" : "not met"));
        }
    }

    /**
     * One "a ≥ factor × b" target on new connections, judged twice: on the handshakes per second
     * measured, and on the server CPU per handshake (what each would do with the client out of
     * the way). They differ when the client's core is the limit.
     */
    private static void atLeast(StringBuilder md, String title, Map<String, Map<String, Figures>> byServer,
                                String a, String b, String kind, double factor) {
        Figures fa = byServer.getOrDefault(a, Map.of()).get(kind);
        Figures fb = byServer.getOrDefault(b, Map.of()).get(kind);
        md.append("Target: ").append(title).append(": ");
        if (fa == null || fb == null) {
            md.append("not measured (no ").append(fa == null ? a : b).append(" row).\n\n");
            return;
        }
        double measured = fa.rate() / fb.rate();
        double perCore = fa.perCore() / fb.perCore();
        md.append(String.format(Locale.ROOT, "measured %s vs %s handshakes/s = %.2fx, **%s**; per server core %s vs %s = %.2fx, **%s**.%n%n",
                BarChart.number(fa.rate()), BarChart.number(fb.rate()), measured, measured >= factor ? "met" : "not met",
                BarChart.number(fa.perCore()), BarChart.number(fb.perCore()), perCore, perCore >= factor ? "met" : "not met"));
    }

    /** Server, then kind, in the order the runs came; each the mean of its rounds. */
    static Map<String, Map<String, Figures>> read(Path tsv) throws IOException {
        Map<String, Map<String, List<String[]>>> runs = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(tsv);
        for (String line : lines.subList(1, lines.size())) {
            String[] c = line.split("\t");
            runs.computeIfAbsent(c[0], k -> new LinkedHashMap<>()).computeIfAbsent(c[1], k -> new ArrayList<>()).add(c);
        }
        Map<String, Map<String, Figures>> out = new LinkedHashMap<>();
        runs.forEach((server, kinds) -> kinds.forEach((kind, rows) -> out.computeIfAbsent(server, k -> new LinkedHashMap<>())
                .put(kind, new Figures(mean(rows, 3), mean(rows, 4), mean(rows, 5), mean(rows, 6), mean(rows, 7),
                        (long) sum(rows, 8), (long) sum(rows, 9), (long) sum(rows, 10), rows.getFirst()[11]))));
        return out;
    }

    private static double mean(List<String[]> rows, int column) {
        return sum(rows, column) / rows.size();
    }

    private static double sum(List<String[]> rows, int column) {
        double s = 0;
        for (String[] r : rows) {
            s += Double.parseDouble(r[column]);
        }
        return s;
    }
}
