package io.ffpoll.http;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher as a module, as a user runs it ({@code java --module-path ... -m io.ffpoll.http/...}),
 * with {@code --access-log -} and a recording started on the command line that enables the
 * {@code ffpoll.HttpRequest} event: JFR registers and records the event although its package
 * is not exported, and the log's lines reach standard output. The modules are the compiled
 * http-lite and the multiplexer, bindings and slf4j jars the tests run with.
 */
class ObservedLauncherModuleTest {
    @TempDir
    Path dir;

    private static String modulePath() {
        List<String> path = new ArrayList<>(List.of(Path.of("target", "classes").toAbsolutePath().toString()));
        // Jars from the repository, or the modules' classes directories when the reactor ran
        // no package phase (mvn test).
        String classes = File.separator + "target" + File.separator + "classes";
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> (e.endsWith(".jar") && !e.endsWith("-tests.jar")) || e.endsWith(classes))
                .filter(e -> e.contains("ffpoll-multiplexer") || e.contains("ffpoll-bindings")
                        || e.endsWith(File.separator + "multiplexer" + classes) || e.endsWith(File.separator + "bindings" + classes)
                        || e.contains("slf4j-api") || e.contains("slf4j-simple"))
                .forEach(path::add);
        return String.join(File.pathSeparator, path);
    }

    @Test
    void theEventIsRecordedAndTheLogWrittenOnTheModulePath() throws Exception {
        Path recording = dir.resolve("launcher.jfr");
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=io.ffpoll.bindings",
                "-XX:StartFlightRecording:filename=" + recording + ",dumponexit=true,+ffpoll.HttpRequest#enabled=true",
                "--module-path", modulePath(), "-m", "io.ffpoll.http/io.ffpoll.http.launcher.Main",
                "--port", "0", "--threads", "1", "--access-log", "-")
                .redirectErrorStream(true).start();
        try {
            ProcessLines lines = new ProcessLines(p);
            int port = Integer.parseInt(lines.await(Pattern.compile("listening on .*:(\\d+) ")));
            try (RawClient c = new RawClient(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                assertEquals("Hello, World!", c.send("GET /plaintext HTTP/1.1\r\nHost: m\r\n\r\n").read().text());
                assertEquals(404, c.send("GET /nope HTTP/1.1\r\nHost: m\r\n\r\n").read().status());
            }
            lines.await(Pattern.compile("^127\\.0\\.0\\.1 - - \\[.*] \"GET /plaintext HTTP/1\\.1\" 200 13$"));
            lines.await(Pattern.compile("^127\\.0\\.0\\.1 - - \\[.*] \"GET /nope HTTP/1\\.1\" 404 10$"));
        } finally {
            p.destroy(); // SIGTERM: the launcher drains and exits, and the JVM dumps the recording
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher exited");
        }
        assertTrue(Files.size(recording) > 0);
        List<String> events = RecordingFile.readAllEvents(recording).stream()
                .filter(e -> e.getEventType().getName().equals("ffpoll.HttpRequest"))
                .sorted(Comparator.comparing(RecordedEvent::getEndTime))
                .map(e -> e.getString("method") + " " + e.getString("path") + " " + e.getInt("status") + " " + e.getLong("bytes"))
                .toList();
        assertEquals(List.of("GET /plaintext 200 13", "GET /nope 404 10"), events);
    }
}
