package io.ffpoll.multiplexer.testing;

import io.ffpoll.multiplexer.Poller;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

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

    /** The next of what an accept handler put in {@code accepted}, waited for up to 60 s. */
    protected static <T> T next(BlockingQueue<T> accepted) throws InterruptedException {
        T t = accepted.poll(60, TimeUnit.SECONDS);
        if (t == null) {
            throw new AssertionError("no connection accepted");
        }
        return t;
    }
}
