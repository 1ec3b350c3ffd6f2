package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.backend.Backend;
import io.ffpoll.multiplexer.backend.EventBuffer;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.testing.IoUringLoopTestBase;
import io.ffpoll.multiplexer.uring.IoUringBackend;
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
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The ring accepts (io_uring, Linux >= 5.19): one multishot accept per listening socket makes
 * accept4(2) unnecessary; the peer address comes from getpeername(2). A listener that
 * suspends accepting leaves connections in the backlog and gets every one of them when it
 * resumes; what the ring accepted for a listener that closes is closed, never leaked.
 */
class IoUringAcceptTest extends IoUringLoopTestBase {
    @BeforeEach
    void needsRingAccepts() {
        assumeTrue(LoopAccess.get().backend(loop).completesAccepts(), "this kernel has no multishot accept (Linux < 5.19)");
    }

    private record Accepted(int fd, InetSocketAddress peer) {}

    /** Registers listening socket {@code lfd} on {@code backend} with the ring accepting, and polls once to arm the accept. */
    private static EventBuffer acceptOnRing(IoUringBackend backend, int lfd) throws IOException {
        backend.register(lfd, EventBuffer.READ, null, false);
        backend.acceptFor(lfd);
        EventBuffer events = new EventBuffer(8);
        backend.poll(events, 0);
        return events;
    }

    /** Polls {@code backend} (100 ms at most each time) until {@code done}, for up to 60 s. */
    private static void pollUntil(IoUringBackend backend, EventBuffer events, java.util.function.BooleanSupplier done,
                                  java.util.function.Supplier<String> what) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            backend.poll(events, 100_000_000L);
        }
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
        if (Syscalls.COUNTING) {
            assertEquals(accepts, Syscalls.count("accept4", loopThread) + Syscalls.count("accept", loopThread),
                    "accept syscalls on the loop");
        }
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
        IoUringBackend ring = (IoUringBackend) LoopAccess.get().backend(loop);
        assertEquals(0, (int) onLoop(() -> ring.acceptsHeld(listener.fd())), "the ring accepted while suspended");
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
            EventBuffer events = acceptOnRing(backend, lfd);
            List<Socket> clients = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                clients.add(new Socket(at.getAddress(), at.getPort()));
            }
            pollUntil(backend, events, () -> events.size() > 0, () -> "no accept completed");
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

    /**
     * A listener that takes nothing: the ring accepts the whole backlog in one enter, then
     * stops at 128 held (later connections wait in the backlog), and accepts again once the
     * listener has taken enough.
     */
    @Test
    void theRingStopsAcceptingWhileAListenerHoldsManyAndGoesOnOnceItTakesThem() throws Exception {
        IoUringBackend backend = new IoUringBackend();
        List<Socket> clients = new ArrayList<>();
        try {
            int lfd = net.listen();
            InetSocketAddress at = net.address(lfd);
            for (int i = 0; i < 200; i++) {
                clients.add(new Socket(at.getAddress(), at.getPort())); // in the backlog (1024)
            }
            EventBuffer events = acceptOnRing(backend, lfd);
            pollUntil(backend, events, () -> backend.acceptsHeld(lfd) >= 200,
                    () -> "only " + backend.acceptsHeld(lfd) + " of the backlog accepted");
            events.clear(backend);
            backend.poll(events, 0); // over 128 held: this enter cancels the accept
            for (int i = 0; i < 10; i++) {
                clients.add(new Socket(at.getAddress(), at.getPort()));
            }
            for (int i = 0; i < 5; i++) {
                events.clear(backend);
                backend.poll(events, 0);
            }
            assertEquals(200, backend.acceptsHeld(lfd), "accepted beyond the hold");
            for (int i = 0; i < 100; i++) {
                int fd = backend.accept(lfd);
                assertTrue(fd >= 0, "held fd " + i + ": " + fd);
                net.track(fd);
            }
            pollUntil(backend, events, () -> backend.acceptsHeld(lfd) >= 110,
                    () -> "the ring did not accept again: " + backend.acceptsHeld(lfd) + " held");
            assertEquals(110, backend.acceptsHeld(lfd));
            net.forget(lfd);
            backend.deregisterAndClose(lfd);
        } finally {
            backend.close();
            for (Socket s : clients) {
                s.close();
            }
        }
    }

    /**
     * A listening socket deregistered, closed, and its number registered again in one iteration:
     * the old socket's accept is cancelled, so the closed port refuses connections.
     */
    @Test
    void anAcceptOfAnEarlierRegistrationOfTheNumberIsCancelled() throws Exception {
        IoUringBackend backend = new IoUringBackend();
        try {
            int lfd = net.listen();
            InetSocketAddress at = net.address(lfd);
            EventBuffer events = acceptOnRing(backend, lfd);
            backend.deregister(lfd);
            net.close(lfd);
            int again = net.listen(); // the lowest free number: lfd's
            assumeTrue(again == lfd, "the number was not reused");
            backend.register(again, EventBuffer.READ, null, false); // on readiness this time
            for (int i = 0; i < 3; i++) {
                events.clear(backend);
                backend.poll(events, 0);
            }
            net.connectFailure(at); // throws if the closed port still takes a connection
            net.forget(again);
            backend.deregisterAndClose(again);
        } finally {
            backend.close();
        }
    }

    /** A ring closed by another thread than its own: the connections it accepted and nobody took are closed. */
    @Test
    void closingTheRingFromAnotherThreadClosesWhatItAccepted() throws Exception {
        IoUringBackend backend = new IoUringBackend();
        int lfd = net.listen();
        InetSocketAddress at = net.address(lfd);
        List<Socket> clients = new ArrayList<>();
        java.util.concurrent.ExecutorService owner = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            owner.submit(() -> acceptOnRing(backend, lfd)).get(60, TimeUnit.SECONDS);
            for (int i = 0; i < 3; i++) {
                clients.add(new Socket(at.getAddress(), at.getPort()));
            }
            owner.submit(() -> {
                pollUntil(backend, new EventBuffer(8), () -> backend.acceptsHeld(lfd) >= 3, () -> "the ring did not accept");
                return null;
            }).get(60, TimeUnit.SECONDS);
            backend.close(); // from this thread, which may not enter the ring
            for (Socket s : clients) {
                s.setSoTimeout(60_000);
                assertEquals(-1, s.getInputStream().read(), "an accepted connection nobody took was closed");
            }
        } finally {
            owner.shutdownNow();
            for (Socket s : clients) {
                s.close();
            }
            net.close(lfd);
        }
    }

    /**
     * The peer resets before the listener takes the connection: handed over all the same, as
     * accept4 hands it over, with what the peer sent and its address (getpeername fails on a
     * reset socket; SO_PEERNAME does not); nothing counts as an accept error.
     */
    @Test
    void aConnectionResetBeforeItIsTakenIsHandedOverWithWhatThePeerSent() throws Exception {
        BlockingQueue<Accepted> accepted = new LinkedBlockingQueue<>();
        Listener listener = serve((fd, peer) -> accepted.add(new Accepted(fd, peer)));
        onLoop(listener::suspendAccepting);
        onLoop(() -> null);
        Socket reset = new Socket(address.getAddress(), address.getPort());
        int resetPort = reset.getLocalPort();
        reset.getOutputStream().write("sent first".getBytes());
        reset.setSoLinger(true, 0);
        reset.close(); // an RST to the connection in the backlog
        Socket fine = new Socket(address.getAddress(), address.getPort());
        onLoop(listener::resumeAccepting);
        Accepted first = next(accepted);
        assertEquals(new InetSocketAddress(address.getAddress(), resetPort), first.peer(), "the reset connection's peer");
        assertArrayEquals("sent first".getBytes(), net.readFully(first.fd(), 10), "what the peer sent before its reset");
        net.close(first.fd());
        Accepted second = next(accepted);
        assertEquals(fine.getLocalPort(), second.peer().getPort());
        net.close(second.fd());
        fine.close();
        assertEquals(java.util.Map.of(), onLoop(() -> loop.metrics().acceptErrors()));
        assertEquals(2, (long) onLoop(() -> loop.metrics().accepts()));
        listener.closeAsync().get(30, TimeUnit.SECONDS);
        listenerOwnsListenFd();
    }
}
