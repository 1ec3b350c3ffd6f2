package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.testing.IoUringSupport;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

/**
 * {@link TlsDataTest} on io_uring with multishot receives: records split over buffers stashed
 * behind one another, read through the TLS layer's kept ciphertext.
 */
class IoUringMultishotTlsDataTest extends TlsDataTest {
    @BeforeAll
    static void needsIoUring() {
        IoUringSupport.assumeAvailable();
    }

    @Override
    protected Poller openPoller() throws IOException {
        return IoUringSupport.multishotReceivePoller();
    }
}
