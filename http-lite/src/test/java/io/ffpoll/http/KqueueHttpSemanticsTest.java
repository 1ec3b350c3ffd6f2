package io.ffpoll.http;

import io.ffpoll.bindings.testing.Libkqueue;
import io.ffpoll.multiplexer.Poller;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

/** Every {@link HttpSemanticsTest} again on the kqueue backend (libkqueue here), in acceptor mode. */
class KqueueHttpSemanticsTest extends HttpSemanticsTest {
    @BeforeAll
    static void startLibkqueue() throws IOException {
        Libkqueue.require();
        Poller.open("kqueue").close();
    }

    @Override
    HttpServer.Builder builder() {
        return HttpServer.builder().backend("kqueue").acceptMode(HttpServer.AcceptMode.ACCEPTOR);
    }
}
