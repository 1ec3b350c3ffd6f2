package io.ffpoll.http;

import io.ffpoll.bindings.testing.Libkqueue;
import io.ffpoll.multiplexer.Poller;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

/** Every {@link HttpServerShutdownTest} again on the kqueue backend (libkqueue here), in acceptor mode. */
class KqueueHttpServerShutdownTest extends HttpServerShutdownTest {
    @BeforeAll
    static void startLibkqueue() throws IOException {
        // libkqueue's own thread and descriptors, made on first use, live as long as the process.
        Libkqueue.require();
        Poller.open("kqueue").close();
    }

    @Override
    HttpServer.Builder builder() {
        return HttpServer.builder().backend("kqueue").acceptMode(HttpServer.AcceptMode.ACCEPTOR);
    }
}
