package io.ffpoll.http.parse;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzzing of the request parser (head scanner, fields, chunked decoder) with
 * Jazzer. In a normal build this replays the saved corpus (seeds and every input that once
 * failed) in HttpParserFuzzTestInputs; the build's fuzz run mutates from it for a bounded time.
 * Properties, for any bytes:
 * <ul>
 * <li>no exception escapes: a bad request is the parser's own error verdict (a status);</li>
 * <li>the verdicts (each pipelined request's length, then an error status or "incomplete") are
 *     the same whole, a byte at a time, and at random splits;</li>
 * <li>no accepted request has ambiguous framing (CL with TE, differing or malformed CL, TE not
 *     ending in chunked or in HTTP/1.0, obs-fold, bare CR or LF in the head);</li>
 * <li>the requests consumed plus the rest are exactly the input.</li>
 * </ul>
 */
class HttpParserFuzzTest {
    private static final int MAX_LINE = 256;
    private static final int MAX_HEAD = 1024;
    private static final long MAX_BODY = 4096;

    /** What a connection saw: the lengths of complete requests, then how it ended. */
    private record Verdicts(List<Integer> requests, int end) {
        static final int INCOMPLETE = -2;
    }

    /** Delivers {@code in} to one connection in pieces ending at {@code cuts}, as reads would. */
    private static Verdicts deliver(byte[] in, int[] cuts) {
        RequestParser parser = new RequestParser(MAX_LINE, MAX_HEAD, MAX_BODY);
        ParseState state = new ParseState();
        List<Integer> requests = new ArrayList<>();
        int start = 0; // where the unconsumed bytes begin: a new delivery's view starts there
        for (int cut : cuts) {
            MemorySegment view = MemorySegment.ofArray(Arrays.copyOfRange(in, start, cut));
            parser.beginDelivery();
            long pos = 0;
            while (pos < view.byteSize()) {
                long n = parser.parse(view, pos, view.byteSize(), state);
                if (n == RequestParser.ERROR) {
                    return new Verdicts(requests, state.errorStatus);
                }
                if (n == RequestParser.INCOMPLETE) {
                    break;
                }
                assertTrue(n > 0 && pos + n <= view.byteSize(), "consumed " + n + " of " + (view.byteSize() - pos));
                requests.add((int) n);
                pos += n;
                state.reset();
            }
            start += (int) pos;
        }
        return new Verdicts(requests, Verdicts.INCOMPLETE);
    }

    @FuzzTest(maxDuration = "45s")
    void parserVerdictsAreTheSameHoweverTheBytesArrive(byte[] in) {
        Verdicts whole = deliver(in, new int[] {in.length});
        int[] bytewise = new int[in.length];
        for (int i = 0; i < in.length; i++) {
            bytewise[i] = i + 1;
        }
        assertEquals(whole, deliver(in, bytewise), "a byte at a time");
        Random random = new Random(Arrays.hashCode(in));
        for (int round = 0; round < 3 && in.length > 1; round++) {
            int[] cuts = random.ints(1 + random.nextInt(Math.min(8, in.length)), 1, in.length).sorted().distinct().toArray();
            int[] all = Arrays.copyOf(cuts, cuts.length + 1);
            all[cuts.length] = in.length;
            assertEquals(whole, deliver(in, all), "split at " + Arrays.toString(cuts));
        }
        int consumed = 0;
        for (int length : whole.requests()) {
            checkUnambiguous(Arrays.copyOfRange(in, consumed, consumed + length));
            consumed += length;
        }
        assertTrue(consumed <= in.length, "consumed " + consumed + " of " + in.length);
        if (whole.end() != Verdicts.INCOMPLETE) {
            assertTrue(whole.end() >= 400 && whole.end() <= 505, "error status " + whole.end());
        }
    }

    /** An accepted request's head must not have framing two parsers could read differently. */
    private static void checkUnambiguous(byte[] request) {
        String text = new String(request, StandardCharsets.ISO_8859_1);
        int from = 0;
        while (text.startsWith("\r\n", from)) {
            from += 2; // empty lines before the request line (RFC 9112 2.2)
        }
        int headEnd = text.indexOf("\r\n\r\n", from);
        assertTrue(headEnd >= 0, "accepted without a complete head");
        String head = text.substring(from, headEnd + 2);
        String[] lines = head.split("\r\n", -1);
        for (String line : lines) {
            if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
                fail("accepted a bare CR or LF in the head: " + show(head));
            }
        }
        boolean http10 = lines[0].endsWith("HTTP/1.0");
        Set<String> lengths = new HashSet<>();
        List<String> codings = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue;
            }
            if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                fail("accepted obs-fold: " + show(head));
            }
            int colon = line.indexOf(':');
            assertTrue(colon > 0, "accepted a field line without a name: " + show(head));
            String name = line.substring(0, colon);
            if (!name.equals(name.strip())) {
                fail("accepted whitespace around a field name: " + show(head));
            }
            String value = line.substring(colon + 1).strip();
            switch (name.toLowerCase(Locale.ROOT)) {
                case "content-length" -> {
                    if (value.isEmpty() || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                        fail("accepted a malformed Content-Length: " + show(head));
                    }
                    lengths.add(value.replaceFirst("^0+(?=.)", ""));
                }
                case "transfer-encoding" -> {
                    for (String coding : value.split(",")) {
                        codings.add(coding.strip().toLowerCase(Locale.ROOT));
                    }
                }
                default -> { }
            }
        }
        if (lengths.size() > 1) {
            fail("accepted differing Content-Lengths: " + show(head));
        }
        if (!codings.isEmpty()) {
            if (!lengths.isEmpty()) {
                fail("accepted Content-Length with Transfer-Encoding: " + show(head));
            }
            if (http10) {
                fail("accepted Transfer-Encoding in HTTP/1.0: " + show(head));
            }
            if (!codings.get(codings.size() - 1).equals("chunked")) {
                fail("accepted a Transfer-Encoding not ending in chunked: " + show(head));
            }
        }
    }

    private static String show(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }
}
