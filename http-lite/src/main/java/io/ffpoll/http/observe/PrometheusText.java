package io.ffpoll.http.observe;

import io.ffpoll.multiplexer.LoopMetrics;

import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The loops' {@link LoopMetrics} in the Prometheus text exposition format, version 0.0.4: per
 * metric a {@code # HELP} and a {@code # TYPE} line, then one sample per loop, labelled with the
 * loop's index ({@code loop="0"}); counters end in {@code _total}, and times are in seconds.
 */
public final class PrometheusText {
    /** The Content-Type of the format (version 0.0.4). */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final double NANOS_PER_SECOND = 1e9;

    private PrometheusText() {}

    /**
     * Renders {@code loops}, and, if {@code requests} is not null, each loop's HTTP responses
     * ({@code requests[i]} for loop i), and the access log's dropped lines if not negative.
     */
    public static String render(List<LoopMetrics> loops, long[] requests, long accessLogDropped) {
        StringBuilder b = new StringBuilder(4096);
        counter(b, loops, "ffpoll_loop_iterations_total", "Event-loop iterations, one poll each.", m -> m.iterations());
        counter(b, loops, "ffpoll_loop_events_total", "Ready events dispatched to handlers.", m -> m.events());
        counter(b, loops, "ffpoll_loop_tasks_total", "Tasks run on the loop.", m -> m.tasksRun());
        counter(b, loops, "ffpoll_loop_timers_total", "Timer tasks run on the loop.", m -> m.timersFired());
        counter(b, loops, "ffpoll_loop_wakeups_total", "Wake signals other threads sent to the blocked loop.", m -> m.wakeups());
        counter(b, loops, "ffpoll_loop_busy_seconds_total", "Time spent outside waiting polls: handlers, timers, tasks, flushes.",
                m -> m.busyNanos() / NANOS_PER_SECOND);
        counter(b, loops, "ffpoll_loop_idle_seconds_total", "Time spent in polls that could wait.", m -> m.idleNanos() / NANOS_PER_SECOND);
        gauge(b, loops, "ffpoll_connections_open", "Connections open now.", m -> m.openConnections());
        counter(b, loops, "ffpoll_accepts_total", "Connections accepted.", m -> m.accepts());
        acceptErrors(b, loops);
        counter(b, loops, "ffpoll_received_bytes_total", "Bytes read from stream sockets.", m -> m.bytesIn());
        counter(b, loops, "ffpoll_sent_bytes_total", "Bytes stream sockets took.", m -> m.bytesOut());
        counter(b, loops, "ffpoll_datagrams_received_total", "Datagrams received.", m -> m.datagramsIn());
        counter(b, loops, "ffpoll_datagrams_sent_total", "Datagrams sent.", m -> m.datagramsOut());
        gauge(b, loops, "ffpoll_connections_paused", "Connections above their write queue's high watermark now.",
                m -> m.pausedConnections());
        counter(b, loops, "ffpoll_connection_pauses_total", "Times a connection became unwritable.", m -> m.pauses());
        gauge(b, loops, "ffpoll_buffers_in_use", "Pooled native buffers handed out now.", m -> m.buffersInUse());
        gauge(b, loops, "ffpoll_buffers_free", "Pooled native buffers kept free for reuse now.", m -> m.buffersFree());
        if (requests != null) {
            header(b, "ffpoll_http_requests_total", "HTTP responses written.", "counter");
            for (int i = 0; i < requests.length; i++) {
                sample(b, "ffpoll_http_requests_total", i, null, requests[i]);
            }
        }
        if (accessLogDropped >= 0) {
            header(b, "ffpoll_http_access_log_dropped_total", "Access log lines dropped because the writer fell behind.",
                    "counter");
            b.append("ffpoll_http_access_log_dropped_total ").append(accessLogDropped).append('\n');
        }
        return b.toString();
    }

    private static void counter(StringBuilder b, List<LoopMetrics> loops, String name, String help,
                                ToDoubleFunction<LoopMetrics> value) {
        family(b, loops, name, help, "counter", value);
    }

    private static void gauge(StringBuilder b, List<LoopMetrics> loops, String name, String help,
                              ToDoubleFunction<LoopMetrics> value) {
        family(b, loops, name, help, "gauge", value);
    }

    private static void family(StringBuilder b, List<LoopMetrics> loops, String name, String help, String type,
                               ToDoubleFunction<LoopMetrics> value) {
        header(b, name, help, type);
        for (int i = 0; i < loops.size(); i++) {
            sample(b, name, i, null, value.applyAsDouble(loops.get(i)));
        }
    }

    private static void acceptErrors(StringBuilder b, List<LoopMetrics> loops) {
        String name = "ffpoll_accept_errors_total";
        header(b, name, "Failed accept(2) calls, by errno.", "counter");
        for (int i = 0; i < loops.size(); i++) {
            for (Map.Entry<String, Long> e : loops.get(i).acceptErrors().entrySet()) {
                sample(b, name, i, e.getKey(), e.getValue());
            }
        }
    }

    private static void header(StringBuilder b, String name, String help, String type) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder b, String name, int loop, String errno, double value) {
        b.append(name).append("{loop=\"").append(loop).append('"');
        if (errno != null) {
            b.append(",errno=\"").append(escapeLabel(errno)).append('"');
        }
        b.append("} ");
        long whole = (long) value;
        if (whole == value && Math.abs(value) < 1e15) {
            b.append(whole); // integers as integers: "12", not "12.0"
        } else {
            b.append(Double.toString(value));
        }
        b.append('\n');
    }

    /** Label values escape backslash, double quote and newline (the format's three). */
    static String escapeLabel(String v) {
        StringBuilder b = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
