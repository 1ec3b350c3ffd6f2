package io.ffpoll.http;

import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

/** Every {@link HttpServerShutdownTest} again on the kqueue backend (libkqueue here), in acceptor mode. */
class KqueueHttpServerShutdownTest extends HttpServerShutdownTest {
    @BeforeAll
    static void startLibkqueue() throws IOException {
        requireKqueue();
    }

    @Override
    HttpServer.Builder builder() {
        return kqueueBuilder();
    }
}
