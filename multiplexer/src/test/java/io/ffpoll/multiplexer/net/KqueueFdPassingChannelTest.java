package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Processes;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.testing.Libkqueue;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link FdPassingChannel} registered on a loop with the kqueue backend, run on libkqueue
 * ({@code -Dffpoll.libkqueue=...}; skipped without it). The calls themselves are Linux's here:
 * what this checks is the channel as a kqueue readiness source.
 */
class KqueueFdPassingChannelTest {
    @BeforeAll
    static void startLibkqueue() throws Exception {
        Libkqueue.require();
        Poller.open("kqueue").close(); // libkqueue's own thread and descriptors, kept for the process's life
    }

    @Test
    void onAKqueueLoopTheHandlerReceivesUntilEmpty() throws Exception {
        Platform os = Platform.current();
        long before = Loopback.openFds();
        FdPassingChannel[] ends = FdPassingChannel.pair(4);
        int[] p = new int[2];
        assertEquals(0, Processes.pipe(p));
        List<Integer> received;
        try {
            received = FdPassingChannelTest.receiveOnLoop(EventLoop.start("fdpass-kqueue", Poller.open("kqueue"), 64),
                    ends, p);
        } finally {
            ends[0].close();
            os.close(p[0]);
            os.close(p[1]);
        }
        received.forEach(os::close);
        Loopback.awaitOpenFdsAtMost(before, "after the kqueue loop and the channel closed");
    }
}
