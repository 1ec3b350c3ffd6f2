package io.ffpoll.http;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A quick route that blocks its loop (the mistake JFR is there to find): the loop's
 * ffpoll.SlowHandler and ffpoll.LoopStall events name the route, and their stack, sampled while
 * it ran, names the handler's own method.
 */
class SlowRouteEventTest extends HttpTestBase {
    @TempDir
    Path dir;

    private static Response sleepOnTheLoop(Request r) throws InterruptedException {
        Thread.sleep(50);
        return Response.text(200, "late\n");
    }

    @Test
    void aQuickRouteThatSleepsIsNamedWithItsStack() throws Exception {
        HttpServer server = start(builder().threads(1).route("GET", "/slow/{n}", SlowRouteEventTest::sleepOnTheLoop));
        try (Recording recording = new Recording()) {
            recording.enable("ffpoll.SlowHandler").withThreshold(Duration.ofMillis(20));
            recording.enable("ffpoll.LoopStall").withThreshold(Duration.ofMillis(20));
            recording.start();
            try (RawClient c = new RawClient(server.address())) {
                assertEquals("late\n", c.send("GET /slow/1 HTTP/1.1\r\n" + HOST + "\r\n").read().text());
            }
            // The response leaves before the iteration that sent it ends, and with it the stall.
            server.onLoop(0, () -> null);
            server.onLoop(0, () -> null);
            recording.stop();
            Path file = dir.resolve("slow.jfr");
            recording.dump(file);
            List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                    // A file holds every event any running recording enables: only these two types.
                    .filter(e -> List.of("ffpoll.SlowHandler", "ffpoll.LoopStall").contains(e.getEventType().getName())
                            && e.getString("callback").contains("route GET /slow/{n}"))
                    .toList();
            assertEquals(List.of("ffpoll.SlowHandler", "ffpoll.LoopStall"),
                    events.stream().map(e -> e.getEventType().getName()).toList(), events.toString());
            for (RecordedEvent e : events) {
                assertTrue(e.getString("stack").contains("SlowRouteEventTest.sleepOnTheLoop"), e.getString("stack"));
                assertEquals("event", e.getString("kind"));
            }
        }
    }
}
