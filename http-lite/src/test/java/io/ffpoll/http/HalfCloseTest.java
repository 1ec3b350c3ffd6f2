package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A client that sends its requests and then half-closes (FIN) gets an answer to every complete
 * request it sent, however far ahead of the server it was; an incomplete last one is dropped.
 */
class HalfCloseTest extends HttpTestBase {
    private static final String GET = "GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n";

    private static String sendAllThenFin(HttpServer server, String requests) throws Exception {
        try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(requests.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.shutdownOutput();
            try (InputStream in = s.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            }
        }
    }

    private static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void aCompleteRequestThenAPartialOneThenFinGetsItsResponse() throws Exception {
        HttpServer server = standard(1);
        String got = sendAllThenFin(server, GET + "GET /plain");
        assertEquals(1, count(got, "HTTP/1.1 200 OK\r\n"), got);
        assertEquals(1, count(got, "Hello, World!"), got);
    }

    @Test
    void fiveThousandPipelinedRequestsThenFinGetFiveThousandResponses() throws Exception {
        final int requests = 5_000;
        HttpServer server = standard(1);
        String got = sendAllThenFin(server, GET.repeat(requests));
        assertEquals(requests, count(got, "HTTP/1.1 200 OK\r\n"));
        assertEquals(requests, count(got, "Hello, World!"));
    }
}
