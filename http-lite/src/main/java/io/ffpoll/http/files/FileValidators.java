package io.ffpoll.http.files;

import io.ffpoll.http.Request;
import io.ffpoll.multiplexer.net.OpenFile;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Locale;

/**
 * A static file's validators and the request's preconditions and range, by RFC 9110: the
 * strong ETag and Last-Modified (8.8), the preconditions in their order of evaluation (13.2.2:
 * If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since), and one byte range with
 * If-Range (14). Several ranges are answered with the whole file (200), which 14.2 allows.
 */
final class FileValidators {
    /** What the preconditions say: go on, or answer at once with this status. */
    static final int PROCEED = 0;
    /** {@link #range} found the Range unsatisfiable: answer 416. */
    static final long[] UNSATISFIABLE = new long[0];

    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter RFC_850 = new DateTimeFormatterBuilder()
            .appendPattern("EEEE, dd-MMM-").appendValueReduced(ChronoField.YEAR, 2, 2, 1970)
            .appendPattern(" HH:mm:ss 'GMT'").toFormatter(Locale.US);
    private static final DateTimeFormatter ASCTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US);

    private FileValidators() {}

    /**
     * A strong entity tag from the file's modification time (to the nanosecond), size and
     * inode: any change of the file through a write or a replacement changes one of them.
     */
    static String etag(OpenFile f) {
        Instant m = f.lastModified();
        return "\"" + Long.toHexString(m.getEpochSecond()) + Integer.toHexString(m.getNano()) + "-"
                + Long.toHexString(f.size()) + "-" + Long.toHexString(f.inode()) + "\"";
    }

    static String httpDate(long epochSecond) {
        return IMF_FIXDATE.format(Instant.ofEpochSecond(epochSecond));
    }

    /** An HTTP-date in any of its three forms (RFC 9110 5.6.7), in epoch seconds; null if it is none. */
    static Long parseDate(String s) {
        String v = s.strip();
        for (DateTimeFormatter f : new DateTimeFormatter[] {IMF_FIXDATE, RFC_850, ASCTIME}) {
            try {
                return LocalDateTime.parse(v, f).toEpochSecond(ZoneOffset.UTC);
            } catch (DateTimeParseException notThisForm) {
                // the next form
            }
        }
        return null;
    }

    /**
     * The preconditions of a GET or HEAD on the file: {@link #PROCEED}, 412 or 304.
     * A date is compared at the second, as Last-Modified is sent.
     */
    static int preconditions(Request r, String etag, long modified) {
        String ifMatch = r.headerList("If-Match");
        if (ifMatch != null) {
            if (!listMatches(ifMatch, etag, false)) {
                return 412;
            }
        } else {
            Long since = date(r.headerList("If-Unmodified-Since")); // two lines: no date, ignored (13.1.4)
            if (since != null && modified > since) {
                return 412;
            }
        }
        String ifNoneMatch = r.headerList("If-None-Match");
        if (ifNoneMatch != null) {
            return listMatches(ifNoneMatch, etag, true) ? 304 : PROCEED;
        }
        Long since = date(r.headerList("If-Modified-Since"));
        return since != null && modified <= since ? 304 : PROCEED;
    }

    private static Long date(String header) {
        return header == null ? null : parseDate(header);
    }

    /**
     * Whether a field of entity tags ({@code *} or a comma-separated list) names {@code etag}:
     * by the weak comparison (If-None-Match) or the strong one (If-Match), 8.8.3.2.
     */
    static boolean listMatches(String field, String etag, boolean weak) {
        String f = field.strip();
        if (f.equals("*")) {
            return true;
        }
        for (String part : f.split(",")) {
            String tag = part.strip();
            if (tag.startsWith("W/")) {
                if (!weak) {
                    continue; // a weak tag never matches strongly
                }
                tag = tag.substring(2);
            }
            if (tag.equals(etag)) {
                return true;
            }
        }
        return false;
    }

    /** Whether an If-Range field lets the Range apply: a strong tag equal to the file's, or its exact date (13.1.5). */
    static boolean ifRangeHolds(String ifRange, String etag, long modified) {
        String v = ifRange.strip();
        if (v.startsWith("\"")) {
            return v.equals(etag);
        }
        if (v.startsWith("W/")) {
            return false;
        }
        Long d = parseDate(v);
        return d != null && d == modified;
    }

    /**
     * The one range a Range field asks of a file of {@code size} bytes: {first, count}; null
     * to ignore the field (not bytes, malformed, or several ranges: the whole file is sent);
     * {@link #UNSATISFIABLE} if it starts past the end.
     */
    static long[] range(String field, long size) {
        String v = field.strip();
        if (v.length() < 6 || !v.regionMatches(true, 0, "bytes=", 0, 6)) {
            return null;
        }
        // Empty list elements count for nothing (RFC 9110 5.6.1.2); several ranges are not served.
        String spec = null;
        for (String element : v.substring(6).split(",")) {
            if (!element.isBlank()) {
                if (spec != null) {
                    return null;
                }
                spec = element.strip();
            }
        }
        if (spec == null) {
            return null;
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        String a = spec.substring(0, dash).strip();
        String b = spec.substring(dash + 1).strip();
        if (a.isEmpty()) {
            long suffix = digits(b);
            if (suffix < 0) {
                return null;
            }
            if (suffix == 0 || size == 0) {
                return UNSATISFIABLE;
            }
            long n = Math.min(suffix, size);
            return new long[] {size - n, n};
        }
        long first = digits(a);
        long last = b.isEmpty() ? Long.MAX_VALUE : digits(b);
        if (first < 0 || last < 0 || last < first) {
            return null; // an invalid range-spec makes the field invalid (14.1.1): ignored
        }
        if (first >= size) {
            return UNSATISFIABLE;
        }
        long end = Math.min(last, size - 1);
        return new long[] {first, end - first + 1};
    }

    /** A run of ASCII digits as a number (saturating at Long.MAX_VALUE); -1 if it is not one. */
    private static long digits(String s) {
        if (s.isEmpty()) {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n > (Long.MAX_VALUE - 9) / 10 ? Long.MAX_VALUE : n * 10 + (c - '0');
        }
        return n;
    }
}
