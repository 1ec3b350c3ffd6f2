package io.ffpoll.http;

import org.junit.jupiter.api.BeforeAll;

/**
 * Every {@link HttpServerShutdownTest} again on a NetBSD rump kernel's sockets and kqueue, in acceptor mode,
 * the clients reaching it through a relay ({@code -Dffpoll.rump=/path/to/rump/lib
 * -Dtest='Rump*'}; skipped without it).
 */
class RumpHttpServerShutdownTest extends HttpServerShutdownTest {
    @BeforeAll
    static void bootRump() {
        requireRump();
    }

    @Override
    HttpServer.Builder builder() {
        return kqueueBuilder();
    }
}
