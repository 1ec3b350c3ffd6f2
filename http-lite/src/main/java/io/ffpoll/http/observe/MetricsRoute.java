package io.ffpoll.http.observe;

import io.ffpoll.http.HttpHandler;
import io.ffpoll.http.Request;
import io.ffpoll.http.Response;
import io.ffpoll.multiplexer.LoopMetrics;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The handler of a server's metrics path: its loops' metrics in the Prometheus text format. A
 * quick route: reading the metrics never waits for a loop. It is made with the routes, before
 * the server it reports on exists; the server binds it when it starts.
 */
public final class MetricsRoute implements HttpHandler {
    private volatile Supplier<List<LoopMetrics>> loops;
    private volatile Supplier<long[]> requests;
    private volatile LongSupplier accessLogDropped;

    /** Binds the route to its server's figures; {@code accessLogDropped} negative without an access log. */
    public void bind(Supplier<List<LoopMetrics>> loops, Supplier<long[]> requests, LongSupplier accessLogDropped) {
        this.loops = loops;
        this.requests = requests;
        this.accessLogDropped = accessLogDropped;
    }

    @Override
    public Response handle(Request request) {
        Supplier<List<LoopMetrics>> l = loops;
        if (l == null) {
            return Response.text(503, "metrics are not bound to a running server\n");
        }
        String text = PrometheusText.render(l.get(), requests.get(), accessLogDropped.getAsLong());
        return Response.of(200, PrometheusText.CONTENT_TYPE, text.getBytes(StandardCharsets.UTF_8));
    }
}
