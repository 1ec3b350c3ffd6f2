package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.testing.IoUringSupport;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

/**
 * {@link StartTlsTest} on io_uring, whose ring makes a plain connection's sends and receives:
 * the plaintext before STARTTLS goes out by the ring, the TLS records by the TLS layer.
 */
class IoUringStartTlsTest extends StartTlsTest {
    @BeforeAll
    static void needsIoUring() {
        IoUringSupport.assumeAvailable();
    }

    @Override
    protected Poller openPoller() throws IOException {
        return Poller.open("io_uring");
    }
}
