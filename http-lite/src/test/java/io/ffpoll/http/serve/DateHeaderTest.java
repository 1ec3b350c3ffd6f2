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

    /**
     * Right after the wall clock's second changes, the next iteration's line names the new
     * second: the check of the loop's clock may come early, never late. The wait spins, so that
     * it reads the line within a few microseconds of the change, five times.
     */
    @Test
    void aLaterIterationInALaterSecondGetsThatSecond() {
        DateHeader date = new DateHeader();
        for (int i = 0; i < 5; i++) {
            long first = parse(date.line(System.nanoTime()));
            long deadline = System.nanoTime() + 30_000_000_000L;
            long wall;
            while ((wall = System.currentTimeMillis() / 1000) == first) { // the event: the wall clock's next second
                assertTrue(System.nanoTime() < deadline, "the wall clock did not move in 30 s");
                Thread.onSpinWait();
            }
            byte[] later = date.line(System.nanoTime());
            assertNotEquals(first, parse(later), "round " + i);
            assertTrue(parse(later) >= wall, parse(later) + " is before " + wall);
        }
    }
}
