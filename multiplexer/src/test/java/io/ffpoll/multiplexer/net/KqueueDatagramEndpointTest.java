package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.testing.Libkqueue;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Poller;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every {@link DatagramEndpointTest} again on the kqueue backend (libkqueue here, so with
 * Linux's calls under it: what this checks is the endpoint over kqueue's readiness, EV_CLEAR
 * edges and remembered readiness; the BSDs' own recvfrom/sendto path is the one-call path
 * that {@link DatagramEndpointTest} runs too).
 */
class KqueueDatagramEndpointTest extends DatagramEndpointTest {
    @BeforeAll
    static void startLibkqueue() throws IOException {
        // libkqueue's own thread and descriptors, made on first use, live as long as the process.
        Libkqueue.require();
        Poller.open("kqueue").close();
    }

    @Override
    EventLoop startLoop(String name) throws Exception {
        return EventLoop.start(name, Poller.open("kqueue"), 1024);
    }

    /**
     * libkqueue reads SO_ERROR itself when epoll reports EPOLLERR (src/linux/read.c), which
     * clears the socket's error, and hands it on as EV_EOF with the errno in fflags, which the
     * backend's Event does not carry: the ICMP error is gone before the endpoint's recvmmsg can
     * see it. A BSD kernel leaves so_error to the next recvfrom (filt_soread only reports it),
     * and epoll does too (DatagramEndpointTest). What must hold here: the error event neither
     * closes the endpoint nor makes the loop spin, and both go on serving.
     */
    @Override
    @Test
    void econnrefusedOnAConnectedEndpointReachesTheCallerAndTheLoopServesOn() throws Exception {
        java.net.InetSocketAddress closedPort;
        try (java.net.DatagramSocket gone = new java.net.DatagramSocket(0, V4)) {
            closedPort = new java.net.InetSocketAddress(V4, gone.getLocalPort());
        }
        DatagramEndpoint connected = bind(new java.net.InetSocketAddress(V4, 0),
                DatagramOptions.DEFAULTS.connectTo(closedPort), new Recorder());
        DatagramEndpoint echo = bind(new java.net.InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS, ECHO);
        long iterations = loop.stats().iterations();
        onLoop(() -> connected.send(java.lang.foreign.MemorySegment.ofArray(pattern(20, 1))));
        java.net.DatagramSocket client = peer(V4);
        for (int i = 0; i < 20; i++) {
            send(client, pattern(30, i), echo.localAddress());
            org.junit.jupiter.api.Assertions.assertArrayEquals(pattern(30, i), receive(client, 100), "the loop serves on");
        }
        org.junit.jupiter.api.Assertions.assertTrue(connected.isOpen());
        org.junit.jupiter.api.Assertions.assertTrue(loop.stats().iterations() - iterations < 1000,
                "no spin: " + (loop.stats().iterations() - iterations) + " iterations for 21 datagrams");
        close(connected);
        close(echo);
    }

    @Test
    void theEndpointsRunOnKqueue() {
        assertEquals("kqueue", loop.backend());
    }
}
