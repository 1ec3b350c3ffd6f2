package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.testing.Libkqueue;
import io.ffpoll.multiplexer.Poller;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

/** {@link UnixSocketContract} on the kqueue backend, run on libkqueue (skipped without it). */
class KqueueUnixSocketTest extends UnixSocketContract {
    @BeforeAll
    static void startLibkqueue() throws IOException {
        Libkqueue.require();
        Poller.open("kqueue").close(); // libkqueue's own descriptors, kept for the process's life
    }

    @Override
    String backend() {
        return "kqueue";
    }
}
