package io.ffpoll.http.serve;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The {@code Date: ...\r\n} header line of one loop, formatted at most once per second
 * (RFC 9110 5.6.7 IMF-fixdate). Loop thread only.
 */
final class DateHeader {
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private long second = Long.MIN_VALUE;
    private byte[] line;

    byte[] line() {
        long now = System.currentTimeMillis() / 1000;
        if (now != second) {
            second = now;
            line = ("Date: " + IMF_FIXDATE.format(Instant.ofEpochSecond(now)) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        }
        return line;
    }
}
