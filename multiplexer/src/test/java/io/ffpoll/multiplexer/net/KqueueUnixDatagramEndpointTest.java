package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.testing.Libkqueue;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Poller;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every {@link UnixDatagramEndpointTest} again on the kqueue backend (libkqueue here, so with
 * Linux's calls under it: what this checks is the Unix endpoint over kqueue's readiness and
 * EV_CLEAR edges; the BSDs' own sockaddr_un is checked in the bindings' UnixSockaddrTest).
 */
class KqueueUnixDatagramEndpointTest extends UnixDatagramEndpointTest {
    @BeforeAll
    static void startLibkqueue() throws IOException {
        // libkqueue's own thread and descriptors, made on first use, live as long as the process.
        Libkqueue.require();
        Poller.open("kqueue").close();
    }

    @Override
    EventLoop startLoop(String name) throws Exception {
        return EventLoop.start(name, Poller.open("kqueue"), 1024);
    }

    @Test
    void theEndpointsRunOnKqueue() {
        assertEquals("kqueue", loop.backend());
    }
}
