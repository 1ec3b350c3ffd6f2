package io.ffpoll.multiplexer;

import io.ffpoll.bindings.testing.Libkqueue;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

/** {@link FdWatchTest} on the kqueue backend, run here on libkqueue (skipped without it). */
class KqueueFdWatchTest extends FdWatchTest {
    @BeforeAll
    static void startLibkqueue() throws IOException {
        // libkqueue's first use starts a thread with descriptors it keeps: not a test's leak.
        Libkqueue.require();
        Poller.open("kqueue").close();
    }

    @Override
    Poller openPoller() throws IOException {
        return Poller.open("kqueue");
    }
}
