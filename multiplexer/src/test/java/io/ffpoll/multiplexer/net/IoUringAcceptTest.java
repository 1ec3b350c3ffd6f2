package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.backend.Backend;
import io.ffpoll.multiplexer.backend.EventBuffer;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.testing.IoUringSupport;
import io.ffpoll.multiplexer.testing.LoopTestBase;
import io.ffpoll.multiplexer.uring.IoUringBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The ring accepts (io_uring, Linux >= 5.19): one multishot accept per listening socket makes
 * accept4(2) unnecessary; the peer address comes from getpeername(2). A listener that
 * suspends accepting leaves connections in the backlog and gets every one of them when it
 * resumes; what the ring accepted for a listener that closes is closed, never leaked.
 */
class IoUringAcceptTest extends LoopTestBase {
    @BeforeAll
    static void needsIoUring() {
        IoUringSupport.assumeAvailable();
    }

    @Override
    protected Poller openPoller() throws IOException {
        return Poller.open("io_uring");
    }

    @BeforeEach
    void needsRingAccepts() {
        assumeTrue(LoopAccess.get().backend(loop).completesAccepts(), "this kernel has no multishot accept (Linux < 5.19)");
    }

    private record Accepted(int fd, InetSocketAddress peer) {}

    private Accepted next(BlockingQueue<Accepted> accepted) throws InterruptedException {
        Accepted a = accepted.poll(60, TimeUnit.SECONDS);
        assertNotNull(a, "no connection accepted");
        return a;
    }

    @Test
    void connectionsAreAcceptedByTheRingWithTheirPeersAndNoAcceptSyscall() throws Exception {
        BlockingQueue<Accepted> accepted = new LinkedBlockingQueue<>();
        Listener listener = serve((fd, peer) -> {
            accepted.add(new Accepted(fd, peer));
        });
        Thread loopThread = onLoop(Thread::currentThread);
        long accepts = Syscalls.count("accept4", loopThread) + Syscalls.count("accept", loopThread);
        List<Socket> clients = new ArrayList<>();
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            Socket s = new Socket(address.getAddress(), address.getPort());
            clients.add(s);
            ports.add(s.getLocalPort());
        }
        Set<Integer> peers = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            Accepted a = next(accepted);
            assertEquals(address.getAddress(), a.peer().getAddress());
            peers.add(a.peer().getPort());
            byte[] m = ("hello " + i).getBytes();
            net.send(a.fd(), m);
            net.close(a.fd());
        }
        assertEquals(ports, peers, "each connection's peer is its client");
        for (Socket s : clients) {
            s.setSoTimeout(60_000);
            assertTrue(new String(s.getInputStream().readAllBytes()).startsWith("hello "), "its own socket, open");
            s.close();
        }
        assertEquals(accepts, Syscalls.count("accept4", loopThread) + Syscalls.count("accept", loopThread),
                "accept syscalls on the loop");
        assertEquals(50, (long) onLoop(() -> loop.metrics().accepts()) , "accepts counted");
        listener.closeAsync().get(30, TimeUnit.SECONDS);
        listenerOwnsListenFd();
    }

    @Test
    void aSuspendedListenerLeavesConnectionsInTheBacklogAndThenTakesThemAll() throws Exception {
        BlockingQueue<Accepted> accepted = new LinkedBlockingQueue<>();
        Listener listener = serve((fd, peer) -> accepted.add(new Accepted(fd, peer)));
        onLoop(listener::suspendAccepting);
        onLoop(() -> null); // an iteration whose enter cancels the accept
        List<Socket> clients = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            clients.add(new Socket(address.getAddress(), address.getPort())); // the kernel completes the handshake
        }
        for (int i = 0; i < 3; i++) {
            onLoop(() -> null); // enters that would accept, were an accept armed
        }
        assertEquals(0, accepted.size(), "accepted while suspended");
        onLoop(listener::resumeAccepting);
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            Accepted a = next(accepted);
            ports.add(a.peer().getPort());
            net.close(a.fd());
        }
        for (Socket s : clients) {
            assertTrue(ports.contains(s.getLocalPort()), "every waiting connection was taken");
            s.close();
        }
        listener.closeAsync().get(30, TimeUnit.SECONDS);
        listenerOwnsListenFd();
    }

    /**
     * Connections the ring accepted and nobody took yet, when the listening socket's
     * registration ends: closed (the clients read the end), none left open.
     */
    @Test
    void whatTheRingAcceptedForAClosedListenerIsClosed() throws Exception {
        IoUringBackend backend = new IoUringBackend();
        try {
            int lfd = net.listen();
            InetSocketAddress at = net.address(lfd);
            backend.register(lfd, EventBuffer.READ, null, false);
            backend.acceptFor(lfd);
            EventBuffer events = new EventBuffer(8);
            backend.poll(events, 0); // arms the accept
            List<Socket> clients = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                clients.add(new Socket(at.getAddress(), at.getPort()));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (events.size() == 0) {
                assertTrue(System.nanoTime() < deadline, "no accept completed");
                backend.poll(events, 100_000_000L);
            }
            int taken = backend.accept(lfd);
            assertTrue(taken >= 0, "an accepted fd, not " + taken);
            net.track(taken);
            net.send(taken, "x".getBytes()); // tells its client apart
            net.forget(lfd);
            backend.deregisterAndClose(lfd); // the rest, held or still in completions, are closed
            events.clear(backend);
            backend.poll(events, 0);
            int ended = 0;
            int open = 0;
            for (Socket s : clients) {
                s.setSoTimeout(60_000);
                int b;
                try {
                    b = s.getInputStream().read();
                } catch (java.net.SocketException reset) {
                    b = -1; // still in the backlog when the listening socket closed: reset
                }
                if (b == 'x') {
                    open++;
                } else {
                    assertEquals(-1, b);
                    ended++;
                }
                s.close();
            }
            assertEquals(1, open, "the one taken stays open");
            assertEquals(4, ended, "the ones not taken were closed (a leak would time out the read)");
        } finally {
            backend.close();
        }
    }

    /** The peer resets before the listener takes the connection: counted as ECONNABORTED, closed, and accepting goes on. */
    @Test
    void aConnectionResetBeforeItIsTakenIsDroppedAndCounted() throws Exception {
        BlockingQueue<Accepted> accepted = new LinkedBlockingQueue<>();
        Listener listener = serve((fd, peer) -> accepted.add(new Accepted(fd, peer)));
        onLoop(listener::suspendAccepting);
        onLoop(() -> null);
        Socket reset = new Socket(address.getAddress(), address.getPort());
        reset.setSoLinger(true, 0);
        reset.close(); // an RST to the connection in the backlog
        Socket fine = new Socket(address.getAddress(), address.getPort());
        onLoop(listener::resumeAccepting);
        Accepted a = next(accepted);
        assertEquals(fine.getLocalPort(), a.peer().getPort(), "the reset one is not handed over");
        net.send(a.fd(), "ok".getBytes());
        assertArrayEquals("ok".getBytes(), fine.getInputStream().readNBytes(2));
        net.close(a.fd());
        fine.close();
        awaitOnLoop(() -> loop.metrics().acceptErrors().getOrDefault("ECONNABORTED", 0L) == 1L, "the reset one counted");
        assertEquals(0, accepted.size());
        listener.closeAsync().get(30, TimeUnit.SECONDS);
        listenerOwnsListenFd();
    }
}
