package io.ffpoll.http;

import java.nio.charset.StandardCharsets;

/** Status codes with their reason phrases and preencoded {@code HTTP/1.1 NNN Reason\r\n} lines. */
final class HttpStatus {
    private static final byte[][] LINES = new byte[600][];
    private static final String[] REASONS = new String[600];

    static {
        reason(100, "Continue");
        reason(200, "OK");
        reason(201, "Created");
        reason(204, "No Content");
        reason(301, "Moved Permanently");
        reason(302, "Found");
        reason(304, "Not Modified");
        reason(400, "Bad Request");
        reason(403, "Forbidden");
        reason(404, "Not Found");
        reason(405, "Method Not Allowed");
        reason(408, "Request Timeout");
        reason(413, "Content Too Large");
        reason(414, "URI Too Long");
        reason(417, "Expectation Failed");
        reason(431, "Request Header Fields Too Large");
        reason(500, "Internal Server Error");
        reason(501, "Not Implemented");
        reason(503, "Service Unavailable");
        reason(505, "HTTP Version Not Supported");
    }

    private HttpStatus() {}

    private static void reason(int code, String reason) {
        REASONS[code] = reason;
        LINES[code] = ("HTTP/1.1 " + code + " " + reason + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    static boolean isValid(int code) {
        return code >= 100 && code < 600;
    }

    static String reason(int code) {
        String r = REASONS[code];
        return r == null ? "Status " + code : r;
    }

    /** The status line; preencoded for known codes, built once for others. */
    static byte[] line(int code) {
        byte[] l = LINES[code];
        if (l == null) {
            l = ("HTTP/1.1 " + code + " " + reason(code) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            LINES[code] = l; // benign race: every thread builds the same bytes
        }
        return l;
    }
}
