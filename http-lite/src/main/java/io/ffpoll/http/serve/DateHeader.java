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
            // Up to 2 ms early, never late: millis is truncated (the second may begin up to
            // 1 ms sooner than it says), and NTP may slew the wall clock against nanoTime by up
            // to 0.5 ms a second. An early check only reads the clock again.
            checkAt = nanos + (998 - millis % 1000) * 1_000_000L;
        }
        return line;
    }
}
