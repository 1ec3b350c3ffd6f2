package io.ffpoll.http.parse;

import io.ffpoll.http.Request;
import io.ffpoll.http.internal.HttpAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The parser over a table of valid and invalid requests, each fed whole, one byte at a time,
 * and split in two at every position: the outcome must be the same every way, and each input
 * ends exactly at its segment's edge, so reading past it fails the test.
 */
class HttpParserTest {
    private static final int MAX_LINE = 256;
    private static final int MAX_HEAD = 1024;
    private static final long MAX_BODY = 4096;

    /** Expected outcome: a status (200 = a complete request of {@code length} bytes). */
    record Case(String name, String input, int status, int length, String check) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case ok(String name, String input) {
        return new Case(name, input, 200, input.length(), null);
    }

    private static Case ok(String name, String input, String check) {
        return new Case(name, input, 200, input.length(), check);
    }

    private static Case first(String name, String first, String rest, String check) {
        return new Case(name, first + rest, 200, first.length(), check);
    }

    private static Case bad(String name, int status, String input) {
        return new Case(name, input, status, -1, null);
    }

    static Stream<Case> cases() {
        String host = "Host: x\r\n";
        return Stream.of(
                ok("simple GET", "GET /plaintext HTTP/1.1\r\n" + host + "\r\n"),
                ok("empty lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\n" + host + "\r\n"),
                ok("HTTP/1.0 needs no Host", "GET / HTTP/1.0\r\n\r\n", "keepAlive=false"),
                ok("HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "keepAlive=true"),
                ok("Connection: close", "GET / HTTP/1.1\r\n" + host + "Connection: foo, close\r\n\r\n",
                        "keepAlive=false"),
                ok("Content-Length body", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello",
                        "body=hello"),
                ok("identical duplicate Content-Length", "POST /echo HTTP/1.1\r\n" + host
                        + "Content-Length: 2\r\nContent-Length: 2\r\n\r\nhi", "body=hi"),
                ok("chunked with extensions and trailers", "POST /echo HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n5;name=\"v\"\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
                        "body=hello world"),
                ok("chunked, case-insensitive and hex sizes", "POST /echo HTTP/1.1\r\n" + host
                        + "transfer-encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", "body=0123456789"),
                first("pipelined: the first request only", "GET /a HTTP/1.1\r\n" + host + "\r\n",
                        "GET /b HTTP/1.1\r\n" + host + "\r\n", "target=/a"),
                ok("tabs and obs-text in a value", "GET / HTTP/1.1\r\n" + host + "X-A: \tv\u00e9 w \t\r\n\r\n",
                        "header=X-A:v\u00e9 w"),
                ok("OPTIONS *", "OPTIONS * HTTP/1.1\r\n" + host + "\r\n"),
                ok("absolute-form target", "GET http://x/y?q=1 HTTP/1.1\r\n" + host + "\r\n"),
                ok("Expect: 100-continue", "PUT /echo HTTP/1.1\r\n" + host + "Expect: 100-continue\r\n"
                        + "Content-Length: 1\r\n\r\nz", "body=z"),
                bad("Content-Length with Transfer-Encoding", 400, "POST / HTTP/1.1\r\n" + host
                        + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                bad("differing Content-Length", 400, "POST / HTTP/1.1\r\n" + host
                        + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
                bad("Content-Length list", 400, "POST / HTTP/1.1\r\n" + host + "Content-Length: 5, 5\r\n\r\nhello"),
                bad("signed Content-Length", 400, "POST / HTTP/1.1\r\n" + host + "Content-Length: +5\r\n\r\nhello"),
                bad("hex Content-Length", 400, "POST / HTTP/1.1\r\n" + host + "Content-Length: 0x5\r\n\r\nhello"),
                bad("empty Content-Length", 400, "POST / HTTP/1.1\r\n" + host + "Content-Length:\r\n\r\n"),
                bad("overflowing Content-Length", 400, "POST / HTTP/1.1\r\n" + host
                        + "Content-Length: 99999999999999999999\r\n\r\n"),
                bad("Content-Length over the limit", 413, "POST / HTTP/1.1\r\n" + host + "Content-Length: 4097\r\n\r\n"),
                // Found by HttpParserFuzzTest: a Transfer-Encoding field with no coding at all
                // was ignored, so the request was framed by what followed.
                bad("empty Transfer-Encoding", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding:\r\nContent-Length: 0\r\n\r\n"),
                bad("Transfer-Encoding of empty list members", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: , ,\r\n\r\n"),
                bad("Transfer-Encoding without chunked", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: gzip\r\n\r\n"),
                bad("chunked not final", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked, gzip\r\n\r\n"),
                // RFC 9112 3.2.3, RFC 9110 9.3.6: CONNECT's authority-form is well formed, and no tunnel is served.
                bad("CONNECT in authority-form", 501, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
                bad("CONNECT to an IPv6 literal", 501, "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n"),
                // RFC 9112 3.2 / RFC 9110 7.1: a fragment is never sent; '#' is no byte of a target.
                bad("a fragment in the target", 400, "GET /hello/a#f HTTP/1.1\r\n" + host + "\r\n"),
                // ...but its head is checked first: Host (RFC 9112 3.2) and framing as any request's.
                bad("CONNECT without Host", 400, "CONNECT example.com:443 HTTP/1.1\r\n\r\n"),
                bad("CONNECT with two Hosts", 400, "CONNECT example.com:443 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
                bad("CONNECT with Content-Length and Transfer-Encoding", 400, "CONNECT example.com:443 HTTP/1.1\r\n"
                        + "Host: example.com:443\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                bad("CONNECT without a port", 400, "CONNECT example.com HTTP/1.1\r\n" + host + "\r\n"),
                bad("a method is case-sensitive: connect is not CONNECT", 400, "connect example.com:443 HTTP/1.1\r\n" + host + "\r\n"),
                bad("an authority for another method", 400, "GET example.com:443 HTTP/1.1\r\n" + host + "\r\n"),
                bad("an unsupported coding before chunked", 501, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
                bad("chunked twice", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                bad("Transfer-Encoding in HTTP/1.0", 400, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                bad("non-hex chunk size", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
                bad("negative chunk size", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"),
                bad("overflowing chunk size", 413, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\nx\r\n0\r\n\r\n"),
                bad("chunk size over the limit", 413, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n1001\r\n"),
                bad("chunk longer than its size", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n"),
                bad("bare LF after a chunk size", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"),
                bad("missing Host in HTTP/1.1", 400, "GET / HTTP/1.1\r\n\r\n"),
                bad("two Hosts", 400, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
                bad("space before the colon", 400, "GET / HTTP/1.1\r\n" + host + "X-A : v\r\n\r\n"),
                bad("obsolete line folding", 400, "GET / HTTP/1.1\r\n" + host + "X-A: v\r\n w\r\n\r\n"),
                bad("control character in a value", 400, "GET / HTTP/1.1\r\n" + host + "X-A: a\u0001b\r\n\r\n"),
                bad("bare LF inside the head", 400, "GET / HTTP/1.1\r\n" + host + "X-A: a\nX-B: b\r\n\r\n"),
                bad("bare CR inside a value", 400, "GET / HTTP/1.1\r\n" + host + "X-A: a\rb\r\n\r\n"),
                bad("empty header name", 400, "GET / HTTP/1.1\r\n" + host + ": v\r\n\r\n"),
                // Found by HttpParserFuzzTest: a request line past the limit that arrived in one
                // read, without its CRLF yet, was waited for instead of refused.
                bad("request line past the limit without its end", 414, "GET /" + "a".repeat(300)),
                // Found by HttpParserFuzzTest: in one read, a bad byte beyond the line limit gave
                // 400, a byte at a time 414: the limit must stop the scan where it lies.
                bad("a bad byte past the line limit", 414, "GET /" + "a".repeat(300) + "\u0000 HTTP/1.1\r\n"),
                bad("request line too long", 414, "GET /" + "a".repeat(300) + " HTTP/1.1\r\n" + host + "\r\n"),
                bad("head too large", 431, "GET / HTTP/1.1\r\n" + host + ("X-Pad: " + "p".repeat(100) + "\r\n").repeat(10)
                        + "\r\n"),
                bad("too many headers", 431, "GET / HTTP/1.1\r\n" + host + "A: b\r\n".repeat(RequestHead.MAX_HEADERS)
                        + "\r\n"),
                bad("HTTP/2.0", 505, "GET / HTTP/2.0\r\n" + host + "\r\n"),
                // RFC 9110 6.2: a higher minor version is read as the highest one implemented.
                ok("HTTP/1.2 is read as HTTP/1.1", "GET / HTTP/1.2\r\n" + host + "\r\n", "keepAlive=true"),
                bad("HTTP/1.9 needs a Host as 1.1 does", 400, "GET / HTTP/1.9\r\n\r\n"),
                bad("lower-case version", 400, "GET / http/1.1\r\n" + host + "\r\n"),
                bad("junk after the version", 400, "GET / HTTP/1.1x\r\n" + host + "\r\n"),
                bad("two spaces in the request line", 400, "GET  / HTTP/1.1\r\n" + host + "\r\n"),
                bad("separator in the method", 400, "GE(T / HTTP/1.1\r\n" + host + "\r\n"),
                bad("target that is not origin-form", 400, "GET index.html HTTP/1.1\r\n" + host + "\r\n"),
                bad("control character in the target", 400, "GET /a\u0001b HTTP/1.1\r\n" + host + "\r\n"),
                bad("TLS handshake bytes", 400, "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003\r\n\r\n"),
                // Host is uri-host [ ":" port ] (RFC 9112 3.2, RFC 3986 3.2.2)
                ok("Host with a port", "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"),
                ok("IPv6 literal Host", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"),
                ok("pct-encoded and sub-delims in a Host", "GET / HTTP/1.1\r\nHost: a%41b!$&'()*+,;=-._~\r\n\r\n"),
                ok("empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n"),
                bad("Host with a space", 400, "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
                bad("Host with userinfo", 400, "GET / HTTP/1.1\r\nHost: user@example.com\r\n\r\n"),
                bad("Host with a path", 400, "GET / HTTP/1.1\r\nHost: example.com/x\r\n\r\n"),
                bad("Host with a bad port", 400, "GET / HTTP/1.1\r\nHost: example.com:8o\r\n\r\n"),
                bad("unterminated IP literal in Host", 400, "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"),
                bad("bad pct-encoding in Host", 400, "GET / HTTP/1.1\r\nHost: a%4\r\n\r\n"),
                // chunk-size [ chunk-ext ] CRLF, chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] )
                ok("chunk-ext with BWS, a token and a quoted-string with a quoted-pair", "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n5 ; a = \"q\\\"x\" ;b;c=d\r\nhello\r\n0;z\r\n\r\n", "body=hello"),
                bad("chunk-ext without a name", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n"),
                bad("unterminated quoted chunk-ext", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n5;a=\"open\r\nhello\r\n0\r\n\r\n"),
                bad("junk after the chunk size", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n"),
                bad("whitespace after the chunk size without an extension", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"),
                bad("two values in a chunk-ext", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n5;a=b c\r\nhello\r\n0\r\n\r\n"),
                bad("control character in a chunk-ext", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n5;a\u0001\r\nhello\r\n0\r\n\r\n"),
                bad("trailer line without a colon", 400, "POST / HTTP/1.1\r\n" + host
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\nX-T\r\n\r\n"));
    }

    /** The outcome of parsing {@code b[0, end)} as a request: 200 with a length, -2 incomplete, or a status. */
    private record Outcome(int status, long length, String checked) {}

    /** One connection's parsing: a loop's parser (shared) and the connection's state. */
    private record Conn(RequestParser parser, ParseState state) {}

    private static Conn conn() {
        return new Conn(new RequestParser(MAX_LINE, MAX_HEAD, MAX_BODY), new ParseState());
    }

    private static Outcome parse(Conn c, MemorySegment b, long end, String check) {
        c.parser().beginDelivery();
        long n = c.parser().parse(b, 0, end, c.state());
        if (n == RequestParser.INCOMPLETE) {
            return new Outcome(-2, 0, null);
        }
        if (n == RequestParser.ERROR) {
            return new Outcome(c.state().errorStatus, -1, null);
        }
        Outcome o = new Outcome(200, n, check == null ? null : describe(HttpAccess.get().request(c.parser().head), check));
        c.state().reset();
        return o;
    }

    private static String describe(Request r, String check) {
        String key = check.substring(0, check.indexOf('='));
        return key + "=" + switch (key) {
            case "keepAlive" -> r.keepAlive();
            case "body" -> new String(r.body(), StandardCharsets.ISO_8859_1);
            case "target" -> r.target();
            case "header" -> r.headerName(1) + ":" + r.headerValue(1);
            default -> throw new AssertionError(key);
        };
    }

    /** A segment holding exactly {@code bytes[0, length)}: no slack to over-read into. */
    private static MemorySegment exact(byte[] bytes, int length) {
        byte[] copy = new byte[length];
        System.arraycopy(bytes, 0, copy, 0, length);
        return MemorySegment.ofArray(copy);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameOutcomeWholeByteByByteAndSplitAnywhere(Case c) {
        byte[] in = c.input().getBytes(StandardCharsets.ISO_8859_1);
        Outcome whole = parse(conn(), exact(in, in.length), in.length, c.check());
        assertEquals(c.status(), whole.status(), "whole: status");
        if (c.status() == 200) {
            assertEquals(c.length(), whole.length(), "whole: length");
            if (c.check() != null) {
                assertEquals(c.check(), whole.checked());
            }
        }
        // One byte at a time, on one connection's state (as bytes kept between reads): incomplete
        // until the same outcome, never another.
        Conn incremental = conn();
        Outcome first = null;
        for (int k = 1; k <= in.length && first == null; k++) {
            Outcome o = parse(incremental, exact(in, k), k, c.check());
            if (o.status() != -2) {
                first = o;
            }
        }
        assertNotNull(first, "byte by byte: never complete");
        assertEquals(whole, first, "byte by byte");
        // Split in two at every position: the first part alone is incomplete or already fails the
        // same way; with the rest it gives the whole outcome.
        for (int split = 1; split < in.length; split++) {
            Conn p = conn();
            Outcome part = parse(p, exact(in, split), split, c.check());
            Outcome then = part.status() == -2 ? parse(p, exact(in, in.length), in.length, c.check()) : part;
            assertEquals(whole, then, "split at " + split);
        }
    }

    @Test
    void aByteThatCannotBelongIsRejectedAtOnceWithoutWaitingForTheHeadToEnd() {
        for (String prefix : new String[] {"\u0016\u0003\u0001\u0002\u0000", "\u0085\u00ff\u0000x", "GET /a\u0001",
                "GET /a HTTP/1.1\n", "GET  /", "GET / HTTP/1.1\r\nHost: x\r\nBad Name", "GET / HTTP/1.1\r\n X",
                "GET / HTTP/1.1\r\nA: b\u0000", "GET / HTTP/1.1\r\nA: b\rc", "GET / HTTP/1.1\r\nA: b\r\n\n"}) {
            byte[] in = prefix.getBytes(StandardCharsets.ISO_8859_1);
            Outcome o = parse(conn(), exact(in, in.length), in.length, null);
            assertEquals(400, o.status(), "for " + prefix.replace("\r", "\\r").replace("\n", "\\n"));
        }
    }

    /** Feeds {@code in} to one connection's parser {@code piece} bytes at a time; returns {examined, copied}. */
    private static long[] workToParse(byte[] in, int piece, int maxHead, long maxBody) {
        RequestParser parser = new RequestParser(8192, maxHead, maxBody);
        ParseState state = new ParseState();
        long[] before = parser.work();
        long n = RequestParser.INCOMPLETE;
        for (int k = piece; n == RequestParser.INCOMPLETE; k = Math.min(in.length, k + piece)) {
            parser.beginDelivery();
            n = parser.parse(exact(in, k), 0, k, state);
        }
        assertEquals(in.length, n, "parse result");
        long[] after = parser.work();
        return new long[] {after[0] - before[0], after[1] - before[1]};
    }

    @Test
    void aHeadArrivingOneByteAtATimeIsExaminedAndCopiedALinearNumberOfTimes() {
        StringBuilder head = new StringBuilder("GET /slow HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; head.length() < 16_000; i++) {
            head.append("X-Field-").append(i).append(": ").append("v".repeat(200)).append("\r\n");
        }
        byte[] in = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        long[] work = workToParse(in, 1, 32 * 1024, 0);
        // Scanned once as it came, read once complete: at most three times the head in all.
        assertTrue(work[0] <= 3L * in.length, "examined " + work[0] + " bytes for a " + in.length + "-byte head");
        assertTrue(work[1] <= 2L * in.length, "copied " + work[1] + " bytes for a " + in.length + "-byte head");
    }

    @Test
    void aChunkedBodyArrivingInSmallPiecesIsDecodedOnce() {
        StringBuilder r = new StringBuilder("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 4000; i++) {
            r.append("8;n=\"v\"\r\n").append("abcdefgh").append("\r\n");
        }
        byte[] in = r.append("0\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        long[] work = workToParse(in, 7, 4096, 1 << 20);
        assertTrue(work[0] <= 3L * in.length, "examined " + work[0] + " bytes for " + in.length + " bytes on the wire");
        assertTrue(work[1] <= 2L * in.length, "copied " + work[1] + " bytes for " + in.length + " bytes on the wire");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void offsetsPointIntoTheBufferWithoutCopies(Case c) {
        if (c.status() != 200) {
            return;
        }
        byte[] in = c.input().getBytes(StandardCharsets.ISO_8859_1);
        MemorySegment b = exact(in, in.length);
        Conn conn = conn();
        RequestHead h = conn.parser().head;
        Request r = HttpAccess.get().request(h);
        String text = c.input();
        // Offsets into the very segment given, where the input has each part.
        conn.parser().beginDelivery();
        assertEquals(c.length(), conn.parser().parse(b, 0, in.length, conn.state()));
        assertSame(b, h.buffer, "the request refers to the segment it was parsed from");
        int method = text.indexOf(r.method(), text.indexOf(text.strip().charAt(0)));
        assertEquals(method, h.methodOffset);
        assertEquals(text.indexOf(' ', method) + 1, h.targetOffset);
        for (int i = 0; i < r.headerCount(); i++) {
            assertEquals(r.headerName(i), text.substring((int) h.nameOffset[i], (int) h.nameOffset[i] + h.nameLength[i]));
            assertEquals(r.headerValue(i), text.substring((int) h.valueOffset[i], (int) h.valueOffset[i] + h.valueLength[i]));
        }
        conn.state().reset();
        // No copies: once warm, parsing allocates nothing at all.
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) {
            conn.parser().beginDelivery();
            conn.parser().parse(b, 0, in.length, conn.state());
            conn.state().reset();
        }
        // A window can catch the JIT's own one-off allocations (a recompilation, an OSR entry:
        // 112 bytes once in CI); a parse that allocated would show in every window, 16 bytes
        // or more per parse. So the best of five windows of 1,000 parses must be zero.
        long allocated = Long.MAX_VALUE;
        for (int window = 0; window < 5 && allocated != 0; window++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 1000; i++) {
                conn.parser().beginDelivery();
                conn.parser().parse(b, 0, in.length, conn.state());
                conn.state().reset();
            }
            allocated = Math.min(allocated, threads.getCurrentThreadAllocatedBytes() - before);
        }
        assertEquals(0, allocated, "1,000 parses allocated " + allocated + " bytes, in the best of five windows");
    }
}
