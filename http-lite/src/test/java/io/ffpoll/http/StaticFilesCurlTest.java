package io.ffpoll.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher's {@code --static DIR} as curl sees it: a whole file, a range ({@code -r}),
 * If-Modified-Since ({@code -z}) and If-None-Match ({@code --etag-save}, {@code --etag-compare}).
 */
class StaticFilesCurlTest {
    private static final String CURL = "/usr/bin/curl";
    private static final Pattern LISTENING = Pattern.compile("listening on .*:(\\d+) ");
    @TempDir
    Path dir;
    private Process process;

    @BeforeAll
    static void curlIsThere() {
        Assumptions.assumeTrue(new File(CURL).canExecute(), "SKIPPED: " + CURL + " is not installed");
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private int launch(Path root, String... more) throws Exception {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.ffpoll.http.launcher.Main", "--port", "0", "--threads", "1", "--static", root.toString()));
        cmd.addAll(Arrays.asList(more));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        return Integer.parseInt(new ProcessLines(process).await(LISTENING));
    }

    private static Tool.Run curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(CURL, "-sS", "-w", "\\n%{http_code}"));
        cmd.addAll(Arrays.asList(args));
        Tool.Run r = Tool.run(cmd, "");
        assertEquals(0, r.exit(), r.all());
        return r;
    }

    @Test
    void curlGetsAFileARangeAndConditionalAnswers() throws Exception {
        Path root = Files.createDirectories(dir.resolve("www"));
        byte[] data = new byte[1 << 20];
        new Random(5).nextBytes(data);
        Files.write(root.resolve("data.bin"), data);
        Files.writeString(root.resolve("index.html"), "<h1>home</h1>\n");
        Files.setLastModifiedTime(root.resolve("index.html"), FileTime.from(Instant.parse("2025-01-02T03:04:05Z")));
        int port = launch(root);
        String base = "http://127.0.0.1:" + port;

        Path got = dir.resolve("got.bin");
        assertEquals("\n200", curl("-o", got.toString(), base + "/data.bin").out());
        assertArrayEquals(data, Files.readAllBytes(got));

        assertEquals("\n206", curl("-r", "100-199", "-o", got.toString(), base + "/data.bin").out());
        assertArrayEquals(Arrays.copyOfRange(data, 100, 200), Files.readAllBytes(got));

        assertEquals("<h1>home</h1>\n\n200", curl(base + "/").out(), "index.html for /");
        assertEquals("Hello, World!\n200", curl(base + "/plaintext").out(), "the built-in routes still answer");

        // -z DATE sends If-Modified-Since: not modified since then is 304, with no body.
        assertEquals("\n304", curl("-z", "Thu, 02 Jan 2025 03:04:05 GMT", base + "/index.html").out());
        assertEquals("<h1>home</h1>\n\n200", curl("-z", "Wed, 01 Jan 2025 00:00:00 GMT", base + "/index.html").out());

        Path etag = dir.resolve("etag.txt");
        curl("--etag-save", etag.toString(), "-o", got.toString(), base + "/index.html");
        String saved = Files.readString(etag, StandardCharsets.US_ASCII).strip();
        assertTrue(saved.startsWith("\""), "curl saved the ETag: " + saved);
        assertEquals("\n304", curl("--etag-compare", etag.toString(), base + "/index.html").out());
        Files.writeString(root.resolve("index.html"), "<h1>changed</h1>\n");
        assertEquals("<h1>changed</h1>\n\n200", curl("--etag-compare", etag.toString(), base + "/index.html").out(),
                "a changed file has another ETag");

        Tool.Run head = curl("-I", base + "/data.bin");
        assertTrue(head.out().contains("Content-Length: " + data.length), head.out());
        assertTrue(head.out().contains("Accept-Ranges: bytes"), head.out());
    }

    @Test
    void aStaticDirectoryThatIsNotThereExits2() throws Exception {
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.ffpoll.http.launcher.Main", "--port", "0", "--static", dir.resolve("nothing").toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("--static " + dir.resolve("nothing")), out);
    }

    @Test
    void gzipIsOnByDefaultAndTheLauncherTurnsItOffOrSetsItsLevel() throws Exception {
        Path root = Files.createDirectories(dir.resolve("text"));
        String text = "to be or not to be\n".repeat(500);
        Files.writeString(root.resolve("play.txt"), text);
        for (String[] option : new String[][] {{}, {"--gzip", "9"}, {"--gzip", "off"}}) {
            int port = launch(root, option);
            Tool.Run r = curl("--compressed", "-D", "-", "http://127.0.0.1:" + port + "/play.txt");
            boolean off = option.length > 0 && option[1].equals("off");
            assertEquals(!off, r.out().contains("Content-Encoding: gzip"), String.join(" ", option) + ": " + r.out());
            assertTrue(r.out().endsWith(text + "\n200"), "curl got the text back");
        }
    }
}
