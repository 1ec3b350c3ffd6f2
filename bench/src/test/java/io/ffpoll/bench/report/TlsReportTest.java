package io.ffpoll.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bench/compare-tls's report: rounds averaged, rows put beside nginx, targets judged both ways. */
class TlsReportTest {
    private static final String HEADER =
            "server\tkind\tround\tper_second\tserver_cpu_us\tclient_cpu_pct\tp99_ms\trss_mib\tcount\terrors\tresumed\ttls\n";

    private static Map<String, Map<String, TlsReport.Figures>> runs(Path dir, String... rows) throws IOException {
        Path tsv = dir.resolve("tls.tsv");
        Files.writeString(tsv, HEADER + String.join("\n", rows) + "\n");
        return TlsReport.read(tsv);
    }

    @Test
    void roundsAreAveragedAndCountsSummed(@TempDir Path dir) throws IOException {
        var f = runs(dir,
                "nginx\thandshake-ecdsa\t1\t1000\t400\t90\tNaN\t12.0\t10000\t1\t0\tTLSv1.3 TLS_AES_256_GCM_SHA384 x25519",
                "nginx\thandshake-ecdsa\t2\t3000\t200\t70\tNaN\t14.0\t30000\t2\t0\tTLSv1.2 other")
                .get("nginx").get("handshake-ecdsa");
        assertEquals(2000, f.rate());
        assertEquals(300, f.cpuMicros());
        assertEquals(80, f.clientCpu());
        assertEquals(40000, f.count());
        assertEquals(3, f.errors());
        assertEquals("TLSv1.3 TLS_AES_256_GCM_SHA384 x25519", f.tls(), "the first round's protocol and cipher");
    }

    @Test
    void targetsAreJudgedOnTheRateAndOnServerCpuAndMissingRowsAreSaid(@TempDir Path dir) throws IOException {
        // The OpenSSL engine's measured rate is capped by the client (1.5x the JDK engine's), while
        // its CPU per handshake is a quarter of it (4x per core).
        String md = TlsReport.report(runs(dir,
                "ffpoll-jdk\thandshake-ecdsa\t1\t1000\t800\t40\tNaN\t70\t10000\t0\t0\tt",
                "ffpoll-jdk\tkeep-alive\t1\t50000\t20\t100\t2.0\t70\t500000\t0\t0\twrk",
                "ffpoll-openssl\thandshake-ecdsa\t1\t1500\t200\t100\tNaN\t70\t15000\t0\t0\tt",
                "ffpoll-openssl\tkeep-alive\t1\t60000\t11\t100\t1.0\t70\t600000\t0\t0\twrk",
                "nginx\thandshake-ecdsa\t1\t2000\t250\t100\tNaN\t12\t20000\t0\t0\tt",
                "nginx\tkeep-alive\t1\t60000\t10\t100\t1.0\t12\t600000\t0\t0\twrk"), "Run.", "");
        assertTrue(md.contains("Target: OpenSSL engine ≥ 2x the JDK engine, new connections, ECDSA: measured 1,500 vs 1,000 "
                + "handshakes/s = 1.50x, **not met**; per server core 5,000 vs 1,250 = 4.00x, **met**."), md);
        assertTrue(md.contains("Target: OpenSSL engine ≥ 0.8x nginx, new connections, ECDSA: measured 1,500 vs 2,000 "
                + "handshakes/s = 0.75x, **not met**; per server core 5,000 vs 4,000 = 1.25x, **met**."), md);
        assertTrue(md.contains("Target: JDK engine ≥ Netty's JDK SslHandler, new connections, ECDSA: not measured (no netty-jdk row)."), md);
        assertTrue(md.contains("Target: OpenSSL engine ≥ 2x the JDK engine, new connections, RSA: not measured (no ffpoll-openssl row)."), md);
        assertTrue(md.contains("Target: ffpoll-openssl keep-alive CPU per request ≤ 1.2x nginx's: 11.0 µs vs 10.0 µs = 1.10x, **met**."), md);
        assertTrue(md.contains("Target: ffpoll-jdk keep-alive CPU per request ≤ 1.2x nginx's: 20.0 µs vs 10.0 µs = 2.00x, **not met**."), md);
        assertTrue(md.contains("| ffpoll-openssl | 1,500 | 200 | 5,000 | 0.75 | 0.80 | 100 | 0 | 0 | t |"), md);
        assertTrue(md.contains("| ffpoll-jdk | 50,000 | 2.00 | 20.0 | 0.83 | 2.00 | 100 | 70.0 | 0 |"), md);
    }
}
