package io.ffpoll.multiplexer.net;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unix socket paths are encoded as the JDK encodes them, in the platform's file-name encoding
 * (sun.jnu.encoding, which the locale sets), so that ffpoll and the JDK's Unix channels meet on
 * the same non-ASCII path. Where that encoding is UTF-8 (almost everywhere) any encoding would
 * look right; the probe runs in a child JVM under an ISO-8859-1 locale, compiled with
 * localedef(1) into a temporary directory (LOCPATH), where "été" is 3 bytes for the JDK and 5
 * in UTF-8.
 */
class UnixPathEncodingTest {
    @TempDir
    Path dir;

    /** An ISO-8859-1 locale in {@code dir}, or the test is skipped (no localedef or no locale sources). */
    private Path latin1Locale() throws IOException, InterruptedException {
        Path locales = Files.createDirectory(dir.resolve("locales"));
        Process p;
        try {
            p = new ProcessBuilder("localedef", "-i", "en_US", "-f", "ISO-8859-1",
                    locales.resolve("en_US.ISO-8859-1").toString())
                    .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException noLocaledef) {
            Assumptions.abort("no localedef to make an ISO-8859-1 locale: " + noLocaledef.getMessage());
            throw noLocaledef;
        }
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "localedef did not finish");
        // localedef exits 1 for warnings while still writing the locale; what counts is the result.
        Assumptions.assumeTrue(Files.exists(locales.resolve("en_US.ISO-8859-1").resolve("LC_CTYPE")),
                "localedef made no ISO-8859-1 locale (exit " + p.exitValue() + "): " + output);
        return locales;
    }

    /** Runs the probe in a JVM under the ISO-8859-1 locale of {@code locales}; its {@code key=value} lines. */
    private List<String> probe(Path locales, String fileEncoding, String... args) throws Exception {
        Path sockets = Files.createTempDirectory(dir, "s");
        String javaBin = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new java.util.ArrayList<>(List.of(javaBin, "--enable-native-access=ALL-UNNAMED"));
        if (fileEncoding != null) {
            command.add("-Dfile.encoding=" + fileEncoding);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), UnixPathEncodingProbe.class.getName(),
                sockets.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("LOCPATH", locales.toString());
        pb.environment().put("LC_ALL", "en_US.ISO-8859-1");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe did not finish");
        assertEquals(0, p.exitValue(), output);
        List<String> lines = output.lines().filter(l -> l.contains("=")).toList();
        assertEquals("jnu=ISO-8859-1", lines.getFirst(), "the child's file-name encoding: " + output);
        return lines;
    }

    @Test
    void aNonAsciiPathBoundByEitherIsReachedByTheOtherUnderALatin1Locale() throws Exception {
        Path locales = latin1Locale();
        List<String> ffpollBound = List.of("jnu=ISO-8859-1", "fileTheJdkSees=true", "listenerAddress=true",
                "jdkToFfpoll=echoed", "removedOnClose=true");
        // The JDK's default since 18: file.encoding UTF-8 whatever the locale.
        assertEquals(ffpollBound, probe(locales, null, "ffpoll-bound-only"));
        // file.encoding as the locale has it (what the JDK's own bind of a non-ASCII path needs).
        List<String> both = new java.util.ArrayList<>(ffpollBound);
        both.add("ffpollToJdk(UnixDomainSocketAddress)=connected, peer path same");
        both.add("ffpollToJdk(UnixAddress)=connected, peer path same");
        assertEquals(both, probe(locales, "COMPAT"));
    }
}
