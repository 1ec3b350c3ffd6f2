package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A loop's connections share parse states between requests: one that a malformed head left in
 * an error must not reach the next request, on this connection or any other of the loop.
 */
class ParseStateReuseTest extends HttpTestBase {

    private static String head(int fields) {
        return "GET / HTTP/1.1\r\n" + HOST + "X-F: v\r\n".repeat(fields - 1) + "\r\n";
    }

    private static int status(InetSocketAddress at, String request) throws Exception {
        try (RawClient c = new RawClient(at)) {
            return c.send(request).read().status();
        }
    }

    @Test
    void aHeadRefusedForItsFieldsLeavesNothingToTheNextRequests() throws Exception {
        HttpServer server = start(builder().threads(1).route("GET", "/", r -> Response.text(200, "ok\n")));
        InetSocketAddress at = server.address();
        assertEquals(200, status(at, head(100)), "100 fields are allowed");
        // Each refused in one read: 101 fields, then a bad field name after 60 good ones.
        assertEquals(431, status(at, head(101)));
        assertEquals(200, status(at, head(100)), "a request after the 431");
        assertEquals(400, status(at, "GET / HTTP/1.1\r\n" + HOST + "X-F: v\r\n".repeat(59) + "Bad Name: v\r\n\r\n"));
        for (int i = 0; i < 3; i++) {
            assertEquals(200, status(at, head(100)), "request " + i + " after the 400");
        }
    }
}
