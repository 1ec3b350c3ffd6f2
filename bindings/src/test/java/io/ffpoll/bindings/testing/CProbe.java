package io.ffpoll.bindings.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compiles one of native/'s probes with this machine's C compiler and headers, runs it, and
 * returns its lines ({@code sizeof X n}, {@code offsetof X.f n}, {@code const NAME n}) keyed by
 * their first two words. Skips the calling test where there is no compiler.
 */
public final class CProbe {
    private CProbe() {}

    /** native/, where the probes and the headers they include are. */
    public static Path nativeDir() {
        return Path.of(System.getProperty("ffpoll.native.dir", "../native"));
    }

    public static Map<String, Long> run(String source, String... ccArgs) throws Exception {
        Path file = nativeDir().resolve(source);
        assertTrue(Files.exists(file), "missing " + file.toAbsolutePath());
        String cc = compiler();
        Assumptions.assumeTrue(cc != null, "SKIPPED: no C compiler on PATH, so " + source + " cannot run");
        Path dir = Files.createTempDirectory("ffpoll-probe");
        Path exe = dir.resolve("probe");
        Map<String, Long> out = new LinkedHashMap<>();
        try {
            List<String> compile = new ArrayList<>(List.of(cc, "-Wall", "-Werror"));
            compile.addAll(List.of(ccArgs));
            compile.addAll(List.of("-o", exe.toString(), file.toString()));
            exec(compile);
            for (String line : exec(List.of(exe.toString())).split("\n")) {
                String[] parts = line.trim().split(" ");
                assertEquals(3, parts.length, "probe line: " + line);
                out.put(parts[0] + " " + parts[1], Long.parseLong(parts[2]));
            }
        } finally {
            Files.deleteIfExists(exe);
            Files.delete(dir);
        }
        return out;
    }

    private static String compiler() throws Exception {
        for (String cc : List.of("cc", "gcc", "clang")) {
            try {
                Process p = new ProcessBuilder(cc, "--version").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return cc;
                }
            } catch (IOException notInstalled) {
                // try the next name
            }
        }
        return null;
    }

    private static String exec(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + command);
        assertEquals(0, p.exitValue(), command + " failed:\n" + out);
        return out;
    }
}
