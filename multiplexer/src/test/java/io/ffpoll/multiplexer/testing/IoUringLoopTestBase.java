package io.ffpoll.multiplexer.testing;

import io.ffpoll.multiplexer.Poller;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

/** {@link LoopTestBase} with the loop on io_uring; skipped, loudly, where io_uring cannot be set up. */
public abstract class IoUringLoopTestBase extends LoopTestBase {
    @BeforeAll
    static void needsIoUring() {
        IoUringSupport.assumeAvailable();
    }

    @Override
    protected Poller openPoller() throws IOException {
        return Poller.open("io_uring");
    }
}
