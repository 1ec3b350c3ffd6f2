package io.ffpoll.http;

import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code ffpoll.HttpRequest} JFR event: off unless a recording enables it; then one per
 * response, with the method, the route's pattern (the path where no route matched), the status
 * and the body's bytes, as {@code RecordingFile} reads them back.
 */
class HttpRequestEventTest extends HttpTestBase {
    static final String NAME = "ffpoll.HttpRequest";

    private HttpServer server() throws java.io.IOException {
        return start(builder().threads(1)
                .route("GET", "/users/{id}", r -> Response.text(200, "user " + r.pathParameter("id") + "\n"))
                .route("GET", "/hello", r -> Response.text(200, "hello\n"))
                .blockingRoute("POST", "/echo", r -> Response.of(201, "application/octet-stream", r.body())));
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\n" + HOST + "\r\n";
    }

    @Test
    void aRecordingThatEnablesItGetsOneEventPerResponse(@TempDir Path dir) throws Exception {
        HttpServer s = server();
        Path file = dir.resolve("requests.jfr");
        try (RawClient c = new RawClient(s.address()); Recording recording = new Recording()) {
            assertEquals(200, c.send(get("/hello?before")).read().status()); // no recording has it on: no event
            recording.enable(NAME);
            recording.start();
            assertEquals("user 1\n", c.send(get("/users/1")).read().text());
            assertEquals("user 22\n", c.send(get("/users/22?x=y")).read().text());
            assertEquals(200, c.send("HEAD /hello HTTP/1.1\r\n" + HOST + "\r\n").read(true).status());
            assertEquals(404, c.send(get("/nowhere?q=1")).read().status());
            assertEquals("abcd", c.send("POST /echo HTTP/1.1\r\n" + HOST + "Content-Length: 4\r\n\r\nabcd").read().text());
            recording.stop();
            assertEquals(200, c.send(get("/hello?after")).read().status());
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals(NAME))
                .sorted(Comparator.comparing(RecordedEvent::getEndTime))
                .toList();
        assertEquals(List.of(
                "GET /users/{id} 200 7",
                "GET /users/{id} 200 8",
                "HEAD /hello 200 0",
                "GET /nowhere 404 10",
                "POST /echo 201 4"), events.stream().map(e -> e.getString("method") + " " + e.getString("path") + " "
                + e.getInt("status") + " " + e.getLong("bytes")).toList());
        for (RecordedEvent e : events) {
            assertFalse(e.getDuration().isNegative(), e.toString());
            assertTrue(e.getStackTrace() == null, "no stack trace: " + e);
        }
        EventType type = FlightRecorder.getFlightRecorder().getEventTypes().stream()
                .filter(t -> t.getName().equals(NAME)).findFirst().orElseThrow();
        assertEquals(List.of("ffpoll", "HTTP"), type.getCategoryNames());
        assertEquals("HTTP Request", type.getLabel());
        assertFalse(type.isEnabled(), "off by default");
    }
}
