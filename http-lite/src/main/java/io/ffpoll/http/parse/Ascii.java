package io.ffpoll.http.parse;

/** Case-insensitive ASCII comparisons and list splitting over byte arrays, for the parsers. */
final class Ascii {
    private Ascii() {}

    /** {@code c} with A-Z folded to a-z; every other value as it is. */
    static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    /** Whether {@code a[from, from + length)} equals {@code s}, ignoring ASCII case on both sides. */
    static boolean equalsIgnoreCase(byte[] a, int from, int length, String s) {
        if (length != s.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (lower(a[from + i] & 0xFF) != lower(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    static boolean startsWithIgnoreCase(byte[] a, int from, int to, String prefix) {
        return to - from >= prefix.length() && equalsIgnoreCase(a, from, prefix.length(), prefix);
    }

    /** Receives one list member's bounds. */
    interface MemberVisitor {
        void member(int from, int to);
    }

    /** Visits the comma-separated members of {@code a[from, to)}, trimmed; empty ones are skipped (RFC 9110 5.6.1). */
    static void forEachListMember(byte[] a, int from, int to, MemberVisitor visitor) {
        int p = from;
        while (p < to) {
            while (p < to && (a[p] == ' ' || a[p] == '\t' || a[p] == ',')) {
                p++;
            }
            int s = p;
            while (p < to && a[p] != ',') {
                p++;
            }
            int e = p;
            while (e > s && (a[e - 1] == ' ' || a[e - 1] == '\t')) {
                e--;
            }
            if (e > s) {
                visitor.member(s, e);
            }
        }
    }
}
