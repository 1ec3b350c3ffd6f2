package io.ffpoll.http;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Under a recording, no ffpoll event class is first loaded by a request: loading one loads and
 * instruments JFR classes for tens of milliseconds, which a loop thread would spend inside the
 * request's callback (a stall that names the route with a stack of JFR's class loading). The
 * launcher runs in a JVM of its own, so that its classes load for the first time there, with
 * {@code jdk.ClassLoad} recorded.
 */
class EventClassesLoadEarlyTest {
    @TempDir
    Path dir;

    @Test
    void eventClassesLoadBeforeTheFirstRequest() throws Exception {
        Path recording = dir.resolve("classes.jfr");
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED",
                "-XX:StartFlightRecording:filename=" + recording + ",dumponexit=true,+jdk.ClassLoad#enabled=true",
                "-cp", System.getProperty("java.class.path"), "io.ffpoll.http.launcher.Main",
                "--port", "0", "--threads", "1")
                .redirectErrorStream(true).start();
        Instant firstRequest;
        try {
            ProcessLines lines = new ProcessLines(p);
            int port = Integer.parseInt(lines.await(Pattern.compile("listening on .*:(\\d+) ")));
            firstRequest = Instant.now();
            try (RawClient c = new RawClient(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                assertEquals(200, c.send("GET /plaintext HTTP/1.1\r\nHost: m\r\n\r\n").read().status());
            }
        } finally {
            p.destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher exited");
        }
        List<RecordedEvent> loads = RecordingFile.readAllEvents(recording).stream()
                .filter(e -> e.getEventType().getName().equals("jdk.ClassLoad"))
                .filter(e -> e.getClass("loadedClass").getName().matches("io\\.ffpoll\\..*\\.observe\\..*Event"))
                .toList();
        List<String> names = loads.stream().map(e -> e.getClass("loadedClass").getName()).sorted().toList();
        assertTrue(names.contains("io.ffpoll.http.observe.HttpRequestEvent"), names.toString());
        assertTrue(names.contains("io.ffpoll.multiplexer.observe.SlowHandlerEvent"), names.toString());
        for (RecordedEvent e : loads) {
            assertTrue(e.getStartTime().isBefore(firstRequest),
                    e.getClass("loadedClass").getName() + " loaded at " + e.getStartTime() + " on "
                            + e.getThread().getJavaName() + ", after the first request at " + firstRequest);
        }
    }
}
