package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.testing.IoUringSupport;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

/** {@link AcceptOptionsTest} on io_uring, whose ring accepts the connections. */
class IoUringAcceptOptionsTest extends AcceptOptionsTest {
    @BeforeAll
    static void needsIoUring() {
        IoUringSupport.assumeAvailable();
    }

    @Override
    protected Poller openPoller() throws IOException {
        return Poller.open("io_uring");
    }
}
