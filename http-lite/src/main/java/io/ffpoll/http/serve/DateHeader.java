package io.ffpoll.http.serve;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The {@code Date: ...\r\n} header line of one loop, formatted at most once per second
 * (RFC 9110 5.6.7 IMF-fixdate). The wall clock is read only when the loop's own clock says the
 * second may have changed: the line can be as old as the loop's iteration, as nginx's is.
 * Loop thread only.
 */
final class DateHeader {
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private long second = Long.MIN_VALUE;
    private byte[] line;
    private long checkAt; // on the nanoTime clock: when the wall clock's next second begins

    /** The line for the time {@code nanos} on the {@link System#nanoTime()} clock. */
    byte[] line(long nanos) {
        if (line == null || nanos - checkAt >= 0) {
            long millis = System.currentTimeMillis();
            long now = millis / 1000;
            if (now != second) {
                second = now;
                line = ("Date: " + IMF_FIXDATE.format(Instant.ofEpochSecond(now)) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            }
            checkAt = nanos + (1000 - millis % 1000) * 1_000_000L;
        }
        return line;
    }
}
