package io.ffpoll.http;

import io.ffpoll.http.observe.AccessLogWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * An access log: one line per response, written by a thread of its own, never by a loop.
 * Give it to {@link HttpServer.Builder#accessLog}; the server closes it when it stops, after
 * its last response, so that once {@link HttpServer#shutdown} returns every line is written.
 *
 * <p>A line is logged when a response ends: a fixed body once it is queued on the connection,
 * a streamed one once its last piece is (or when the connection ends before, with the bytes
 * sent so far). Responses the server makes itself are logged too (400, 404, 405, 408, 413, 431,
 * 501, 503 ...; a request that could not be parsed shows {@code -} for its request line), and
 * a WebSocket handshake's 101. A response whose connection closed before it could be written
 * is not. Lines of one connection are in the order of its responses.
 *
 * <p>Never blocking: the loops hand records to the writer through a queue of bounded
 * {@code capacity}; while it is full, lines are dropped and counted ({@link #dropped()}), and
 * logged (slf4j, at most once a minute, and at close). The writer flushes whenever the queue
 * runs empty. What the loops pay with the log off is one null check per response; with it on,
 * two clock reads and two small objects per request.
 *
 * <p>Formats, with the time the response ended:
 * <ul>
 * <li>{@link Format#CLF}, the Common Log Format:
 *     {@code 127.0.0.1 - - [06/Dec/2026:22:16:25 +0000] "GET /users/7?full=1 HTTP/1.1" 200 13},
 *     the date in the JVM's default time zone, the last figure the body's bytes (0 when none).
 *     Bytes of the request line outside printable ASCII, and {@code "} and {@code \}, are
 *     written {@code \xHH}, as nginx does, so a client cannot forge a line.</li>
 * <li>{@link Format#JSON}, one object per line:
 *     {@code {"time":"2026-12-06T22:16:25.123Z","remote":"127.0.0.1","method":"GET","path":"/users/7?full=1",
 *     "protocol":"HTTP/1.1","status":200,"bytes":13,"duration_us":84,"route":"/users/{id}"}}:
 *     {@code path} is the target as sent (decoded as UTF-8), {@code duration_us} runs from the
 *     request's head parsed to the response's end, {@code route} is the matched route's pattern;
 *     unknown values are {@code null}.</li>
 * </ul>
 */
public final class AccessLog implements AutoCloseable {
    /** The line format. */
    public enum Format {
        /** The Common Log Format ({@code host ident authuser [date] "request" status bytes}). */
        CLF,
        /** JSON lines: one object per response. */
        JSON
    }

    /** Records that may wait for the writer unless a capacity is given: a burst of 65,536 responses. */
    public static final int DEFAULT_CAPACITY = 65536;

    final AccessLogWriter writer;
    private final Format format;

    private AccessLog(AccessLogWriter writer, Format format) {
        this.writer = writer;
        this.format = format;
    }

    /**
     * A log appended to {@code file}, created if need be; the log closes it.
     *
     * @param file   the file
     * @param format the line format
     * @return the log, its writer started
     * @throws IOException if the file cannot be opened for appending
     */
    public static AccessLog open(Path file, Format format) throws IOException {
        Objects.requireNonNull(format, "format");
        OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
        return new AccessLog(new AccessLogWriter(out, true, format == Format.JSON, DEFAULT_CAPACITY, file.toString()), format);
    }

    /**
     * A log written to {@code out}, which it flushes but does not close (standard output, a
     * pipe the caller owns).
     *
     * @param out      where lines go
     * @param format   the line format
     * @param capacity lines that may wait for the writer, at least 1; beyond, they are dropped
     * @return the log, its writer started
     */
    public static AccessLog of(OutputStream out, Format format, int capacity) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(format, "format");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        return new AccessLog(new AccessLogWriter(out, false, format == Format.JSON, capacity,
                out == System.out ? "standard output" : out.getClass().getName()), format);
    }

    /** {@return the line format} */
    public Format format() {
        return format;
    }

    /**
     * Lines not written: dropped while the writer was behind and its queue full, offered after
     * {@link #close()}, or lost to a write that failed. Any thread.
     *
     * @return how many so far
     */
    public long dropped() {
        return writer.dropped();
    }

    /**
     * Writes the lines queued, flushes, closes the file if the log opened it, and ends the
     * writer thread, waiting for all that; lines offered afterwards are dropped. Not on a loop
     * thread (it may wait for a slow disk): a server closes its log itself, without waiting on
     * a loop.
     */
    @Override
    public void close() {
        writer.closeAsync().join();
    }
}
