package io.ffpoll.http.observe;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Turns a {@link RequestRecord} into one access-log line, in the Common Log Format or as a JSON
 * object. The bytes of the request come from the client, who must not be able to forge a line:
 * in CLF every byte outside printable ASCII, and {@code "} and {@code \}, becomes {@code \xHH}
 * (as nginx escapes); in JSON strings are escaped as RFC 8259 says, and the target is decoded as
 * UTF-8 (a byte sequence that is not UTF-8 becomes U+FFFD). The target cannot hold a control
 * byte (the parser refuses one), but the escaping does not count on that. One writer thread
 * uses an instance: it caches the last second's date.
 */
final class AccessLogFormat {
    private static final DateTimeFormatter CLF_DATE = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT);
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", Locale.ROOT);
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final boolean json;
    private final ZoneId zone;
    private long dateSecond = Long.MIN_VALUE;
    private String date;

    AccessLogFormat(boolean json, ZoneId zone) {
        this.json = json;
        this.zone = zone;
    }

    /** Appends {@code r}'s line, with its newline, to {@code out}. */
    void append(RequestRecord r, StringBuilder out) {
        if (json) {
            json(r, out);
        } else {
            clf(r, out);
        }
        out.append('\n');
    }

    private void clf(RequestRecord r, StringBuilder out) {
        out.append(host(r.remote)).append(" - - [").append(clfDate(r.endMillis)).append("] \"");
        if (r.line == null) {
            out.append('-');
        } else {
            escapeClf(r.line, 0, r.methodLength, out);
            out.append(' ');
            escapeClf(r.line, r.methodLength, r.line.length - r.methodLength, out);
            out.append(' ').append(r.protocol());
        }
        out.append("\" ").append(r.status).append(' ').append(r.bytes);
    }

    private void json(RequestRecord r, StringBuilder out) {
        out.append("{\"time\":\"").append(ISO.format(Instant.ofEpochMilli(r.endMillis).atZone(zone)));
        out.append("\",\"remote\":");
        string(r.remote == null ? null : host(r.remote), out);
        out.append(",\"method\":");
        string(r.line == null ? null : new String(r.line, 0, r.methodLength, StandardCharsets.US_ASCII), out);
        out.append(",\"path\":");
        string(r.line == null ? null : new String(r.line, r.methodLength, r.line.length - r.methodLength, StandardCharsets.UTF_8), out);
        out.append(",\"protocol\":");
        string(r.line == null ? null : r.protocol(), out);
        out.append(",\"status\":").append(r.status);
        out.append(",\"bytes\":").append(r.bytes);
        out.append(",\"duration_us\":").append(r.durationNanos / 1000);
        out.append(",\"route\":");
        string(r.route, out);
        out.append('}');
    }

    private static String host(InetSocketAddress a) {
        return a == null ? "-" : a.getAddress().getHostAddress();
    }

    private String clfDate(long millis) {
        long second = Math.floorDiv(millis, 1000);
        if (second != dateSecond) {
            dateSecond = second;
            date = CLF_DATE.format(Instant.ofEpochSecond(second).atZone(zone));
        }
        return date;
    }

    /** nginx's escaping of a request line: {@code "}, {@code \}, controls, DEL and non-ASCII as \xHH. */
    static void escapeClf(byte[] b, int from, int length, StringBuilder out) {
        for (int i = from; i < from + length; i++) {
            int c = b[i] & 0xFF;
            if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
                out.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xF]);
            } else {
                out.append((char) c);
            }
        }
    }

    /** A JSON string (RFC 8259 7), or null; non-ASCII stays as it is, to be written as UTF-8. */
    static void string(String s, StringBuilder out) {
        if (s == null) {
            out.append("null");
            return;
        }
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    // Controls, and DEL and the line separators that some readers take for ends of lines.
                    if (c < 0x20 || c == 0x7F || c == 0x2028 || c == 0x2029) {
                        out.append("\\u").append(HEX[c >> 12]).append(HEX[c >> 8 & 0xF]).append(HEX[c >> 4 & 0xF])
                                .append(HEX[c & 0xF]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
