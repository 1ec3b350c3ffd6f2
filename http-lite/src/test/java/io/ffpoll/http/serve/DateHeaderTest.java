package io.ffpoll.http.serve;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Date line: IMF-fixdate, read from the wall clock only when the loop's clock says a second may have passed. */
class DateHeaderTest {
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private static long parse(byte[] line) {
        String s = new String(line, StandardCharsets.US_ASCII);
        assertTrue(s.startsWith("Date: ") && s.endsWith("\r\n"), s);
        return ZonedDateTime.parse(s.substring(6, s.length() - 2), IMF_FIXDATE).toEpochSecond();
    }

    @Test
    void theLineIsTheWallClocksSecondAndIsReusedWithinIt() {
        DateHeader date = new DateHeader();
        long before = System.currentTimeMillis() / 1000;
        long nanos = System.nanoTime();
        byte[] first = date.line(nanos);
        long after = System.currentTimeMillis() / 1000;
        long second = parse(first);
        assertTrue(second >= before && second <= after, second + " not in [" + before + ", " + after + "]");
        // The same iteration's clock: the very same line, with no new formatting.
        assertSame(first, date.line(nanos));
    }

    @Test
    void aLaterIterationInALaterSecondGetsThatSecond() throws InterruptedException {
        DateHeader date = new DateHeader();
        long first = parse(date.line(System.nanoTime()));
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.currentTimeMillis() / 1000 == first) { // the event: the wall clock's next second
            assertTrue(System.nanoTime() < deadline, "the wall clock did not move in 30 s");
            Thread.sleep(10);
        }
        long wall = System.currentTimeMillis() / 1000;
        byte[] later = date.line(System.nanoTime());
        assertNotEquals(first, parse(later));
        assertTrue(parse(later) >= wall, parse(later) + " is before " + wall);
    }
}
