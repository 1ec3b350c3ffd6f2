package io.ffpoll.http;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every {@link HttpServerTest} again on the kqueue backend (libkqueue here), in acceptor mode,
 * the default where the kernel does not balance listeners (macOS): keep-alive, 16-deep
 * pipelining, chunked bodies, invalid requests, limits ({@link KqueueHttpServerShutdownTest}: shutdown).
 */
class KqueueHttpServerTest extends HttpServerTest {
    @BeforeAll
    static void startLibkqueue() throws IOException {
        requireKqueue();
    }

    @Override
    HttpServer.Builder builder() {
        return kqueueBuilder();
    }

    @Test
    void theServerRunsOnKqueue() throws Exception {
        HttpServer s = standard(2);
        assertEquals("kqueue", s.backend());
        assertEquals(HttpServer.AcceptMode.ACCEPTOR, s.acceptMode());
    }
}
