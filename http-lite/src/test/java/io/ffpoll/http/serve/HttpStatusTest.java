package io.ffpoll.http.serve;

import io.ffpoll.http.Response;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Reason phrases of the IANA status code registry, and the status line of an unregistered code. */
class HttpStatusTest {
    @Test
    void registeredCodesHaveTheirReasonPhrases() {
        assertEquals("Unprocessable Content", HttpStatus.reason(422));
        assertEquals("Too Many Requests", HttpStatus.reason(429));
        assertEquals("Unavailable For Legal Reasons", HttpStatus.reason(451));
        assertEquals("Content Too Large", HttpStatus.reason(413));
        assertEquals("Permanent Redirect", HttpStatus.reason(308));
        assertEquals("Network Authentication Required", HttpStatus.reason(511));
        int registered = 0;
        for (int code = 100; code < 600; code++) {
            if (!HttpStatus.reason(code).isEmpty()) {
                registered++;
            }
        }
        assertEquals(61, registered, "codes with a reason phrase (the registry, less the temporary 104)");
    }

    @Test
    void anUnregisteredCodeGetsAnEmptyReasonPhrase() {
        // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 4)
        assertEquals("HTTP/1.1 299 \r\n", new String(HttpStatus.line(299), StandardCharsets.US_ASCII));
        assertEquals("Response[299 ]", Response.text(299, "x").toString());
    }
}
