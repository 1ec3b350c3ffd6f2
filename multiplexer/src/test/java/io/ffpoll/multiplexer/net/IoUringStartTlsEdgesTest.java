package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.testing.IoUringSupport;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

/** {@link StartTlsEdgesTest} on io_uring, whose ring sends the plaintext before STARTTLS and the records after it. */
class IoUringStartTlsEdgesTest extends StartTlsEdgesTest {
    @BeforeAll
    static void needsIoUring() {
        IoUringSupport.assumeAvailable();
    }

    @Override
    protected Poller openPoller() throws IOException {
        return Poller.open("io_uring");
    }
}
