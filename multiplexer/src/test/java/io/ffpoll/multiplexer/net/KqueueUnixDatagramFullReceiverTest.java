package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.testing.Libkqueue;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Poller;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every {@link UnixDatagramFullReceiverTest} again on the kqueue backend (libkqueue here): the
 * wait for writability that a full connected receiver's reading gives back, over EVFILT_WRITE.
 */
class KqueueUnixDatagramFullReceiverTest extends UnixDatagramFullReceiverTest {
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
