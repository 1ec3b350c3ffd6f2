package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import io.ffpoll.multiplexer.LoopMetrics;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's loop metrics count exactly the traffic the test sent, and its metrics route
 * serves them in the Prometheus text format with the same figures.
 */
class MetricsRouteTest extends HttpTestBase {
    private static final byte[] REQUEST = ("GET /plaintext HTTP/1.1\r\n" + HOST + "Connection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    /** One request on a connection of its own; returns the bytes of the response, read to the close. */
    private static int oneRequest(InetSocketAddress address) throws Exception {
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(REQUEST);
            InputStream in = s.getInputStream();
            byte[] response = in.readAllBytes();
            assertTrue(new String(response, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200 "));
            return response.length;
        }
    }

    @Test
    void theMetricsCountTheTrafficExactlyAndTheRouteServesTheSameFigures() throws Exception {
        HttpServer server = start(Main.withBuiltInRoutes(builder()).threads(2).metrics("/metrics"));
        int requests = 12;
        long sent = 0;
        for (int i = 0; i < requests; i++) {
            sent += oneRequest(server.address());
        }
        long out = sent;
        await(() -> server.metrics().openConnections() == 0 && server.metrics().bytesOut() == out,
                "the responses and closes counted");
        LoopMetrics m = server.metrics();
        assertEquals(requests, m.accepts());
        assertEquals((long) requests * REQUEST.length, m.bytesIn());
        assertEquals(sent, m.bytesOut());
        assertEquals(Map.of(), m.acceptErrors());
        assertEquals(2, server.loopMetrics().size());
        assertEquals(m.accepts(), server.loopMetrics().get(0).accepts() + server.loopMetrics().get(1).accepts());

        RawClient.Response scrape;
        try (RawClient c = new RawClient(server.address())) {
            scrape = c.send("GET /metrics HTTP/1.1\r\n" + HOST + "\r\n").read();
        }
        assertEquals(200, scrape.status());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", scrape.header("content-type"));
        Map<String, Double> samples = PrometheusFormat.parse(scrape.text());
        // Each loop's figures are those it published at the end of its last iteration: the
        // scrape's own request, read in the iteration that answers it, is not in them yet.
        assertEquals(requests, PrometheusFormat.sum(samples, "ffpoll_http_requests_total"));
        assertEquals((double) requests * REQUEST.length, PrometheusFormat.sum(samples, "ffpoll_received_bytes_total"));
        assertEquals((double) sent, PrometheusFormat.sum(samples, "ffpoll_sent_bytes_total"));
        assertEquals(requests + 1, PrometheusFormat.sum(samples, "ffpoll_accepts_total"), "the scrape's connection too");
        assertTrue(samples.containsKey("ffpoll_loop_iterations_total{loop=\"0\"}"), samples.keySet().toString());
        assertTrue(samples.containsKey("ffpoll_loop_iterations_total{loop=\"1\"}"));
        assertTrue(samples.get("ffpoll_loop_busy_seconds_total{loop=\"0\"}") > 0);

        try (RawClient c = new RawClient(server.address())) {
            RawClient.Response head = c.send("HEAD /metrics HTTP/1.1\r\n" + HOST + "\r\n").read(true);
            assertEquals(200, head.status());
            assertEquals(0, head.body().length);
        }
    }

    @Test
    void withAnAccessLogItsDroppedLinesAreAMetric() throws Exception {
        java.io.ByteArrayOutputStream lines = new java.io.ByteArrayOutputStream();
        HttpServer server = start(Main.withBuiltInRoutes(builder()).threads(1).metrics("/metrics")
                .accessLog(AccessLog.of(lines, AccessLog.Format.CLF, 16)));
        oneRequest(server.address());
        RawClient.Response scrape;
        try (RawClient c = new RawClient(server.address())) {
            scrape = c.send("GET /metrics HTTP/1.1\r\n" + HOST + "\r\n").read();
        }
        Map<String, Double> samples = PrometheusFormat.parse(scrape.text());
        assertEquals(0.0, samples.get("ffpoll_http_access_log_dropped_total"), scrape.text());
    }

    @Test
    void aMetricsPathIsARouteLikeAnother() {
        assertThrows(IllegalArgumentException.class, () -> builder().metrics("metrics"), "a path starts with /");
        assertThrows(IllegalArgumentException.class, () -> builder().route("GET", "/m", r -> Response.text(200, ""))
                .metrics("/m"), "one GET route per path");
    }
}
