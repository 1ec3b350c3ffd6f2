package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.multiplexer.tls.TestCertificates;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Linker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What an idle server session holds in native memory: runs {@link OpenSslIdleMemory} in a
 * child JVM (with {@code MALLOC_ARENA_MAX=1}, so that glibc's mallinfo2 sees every allocation)
 * over 1,000 sessions that each moved 64 KiB both ways, and bounds what malloc takes back per
 * session when they are freed (the serial collector, whose own malloc traffic is least).
 * <ul>
 * <li>By default a server's TLS 1.3 session frees its {@code SSL} once the handshake is done
 *     and keeps only its keys, on the Java heap: next to nothing is malloc'd per session.
 * <li>With the {@code SSL} kept, it holds no record-sized buffer even after bulk data. Memory
 *     BIOs never shrink: kept, they would hold about 167 KB per session here; replaced once
 *     drained, about 14 KB remain (the SSL, its session and cipher contexts).
 * </ul>
 */
class OpenSslIdleMemoryTest {
    private static final Pattern EACH = Pattern.compile("malloc'd: (-?\\d+) bytes each");
    private static final long KEPT_BOUND = 40 * 1024;
    private static final long FREED_BOUND = 512;

    @Test
    void anIdleSessionWhoseSslWasFreedHoldsNextToNoNativeMemory() throws Exception {
        long each = measure(false);
        assertTrue(Math.abs(each) < FREED_BOUND, "malloc'd bytes per idle session: " + each);
    }

    @Test
    void anIdleSessionThatKeepsItsSslHoldsNoRecordSizedBuffers() throws Exception {
        long each = measure(true);
        assertTrue(each > 0 && each < KEPT_BOUND, "malloc'd bytes per idle session: " + each);
    }

    private static long measure(boolean keepSsl) throws Exception {
        assumeTrue(OpenSslTlsFactory.available(), "SKIPPED: libssl 3 does not load: " + OpenSslTlsFactory.unavailableReason());
        assumeTrue(TestCertificates.available(), "SKIPPED: " + TestCertificates.unavailableReason());
        assumeTrue(Linker.nativeLinker().defaultLookup().find("mallinfo2").isPresent(),
                "SKIPPED: no glibc mallinfo2 here to count malloc'd bytes");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-XX:+UseSerialGC", "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                OpenSslIdleMemory.class.getName(), "1000", "65536", keepSsl ? "keepSsl" : "freeSsl")).redirectErrorStream(true);
        pb.environment().put("MALLOC_ARENA_MAX", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the measurement did not finish:\n" + out);
        assertEquals(0, p.exitValue(), out);
        Matcher m = EACH.matcher(out);
        assertTrue(m.find(), out);
        assertTrue(out.contains("live SSL 0, SSL_CTX 0"), out);
        System.out.println(out);
        return Long.parseLong(m.group(1));
    }
}
