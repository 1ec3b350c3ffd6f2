package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.IoUringSupport;
import org.junit.jupiter.api.BeforeAll;

/** {@link UnixSocketContract} on io_uring, whose ring sends and receives a Unix socket's bytes too. */
class IoUringUnixSocketTest extends UnixSocketContract {
    @BeforeAll
    static void needsIoUring() {
        IoUringSupport.assumeAvailable();
    }

    @Override
    String backend() {
        return "io_uring";
    }
}
