package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.testing.LoopTestBase;
import io.ffpoll.multiplexer.testing.Loopback;
import io.ffpoll.bindings.Err;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Closing a loop closes everything registered on it; nothing leaks a descriptor. */
class LoopClosingTest extends LoopTestBase {

    private void assertRefused(InetSocketAddress address) {
        assertEquals(-Err.ECONNREFUSED, net.connectFailure(address), "the listening socket is still open");
    }

    @Test
    void closingTheLoopClosesItsListeners() throws Exception {
        serve((fd, peer) -> Loopback.OS.close(fd));
        loop.close();
        assertRefused(address);
    }

    @Test
    void aListenerClosesFromAnyThreadAndClosingAgainIsHarmless() throws Exception {
        Listener listener = serve((fd, peer) -> Loopback.OS.close(fd));
        listener.closeAsync().get(30, TimeUnit.SECONDS); // not the loop thread: it hops onto the loop
        assertRefused(address);
        listener.closeAsync().get(30, TimeUnit.SECONDS);
        loop.close();
        listener.closeAsync().get(30, TimeUnit.SECONDS); // the closed loop closed it: done at once
    }

    @Test
    void aConnectStillInProgressWhenTheLoopClosesIsClosedAndReported() throws Exception {
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        loop.execute(() -> {
            Connection.connect(loop, address, new ConnectionHandler() {
                @Override
                public long onData(Connection c, MemorySegment data) {
                    return data.byteSize();
                }

                @Override
                public void onClosed(Connection c, IOException cause) {
                    closed.complete(cause);
                }
            });
            loop.close(); // before the loop ever polls: the connect is still in progress
        });
        assertTrue(loop.awaitTermination(30, TimeUnit.SECONDS));
        IOException cause = closed.get(30, TimeUnit.SECONDS);
        assertInstanceOf(ClosedConnectionException.class, cause);
        // @AfterEach checks that the connecting socket was closed
    }

    @Test
    void aRawFdRegisteredOnTheLoopIsClosedWithIt() throws Exception {
        int efd = net.pair()[1];
        net.forget(efd);
        onLoop(() -> loop.register(efd, Interest.READABLE, event -> {}));
        loop.close();
        assertEquals(-Err.EBADF, Loopback.OS.isCloseOnExec(efd), "the registered fd is still open");
    }

    @Test
    void connectingToAnUnresolvedAddressIsRefusedUpFrontWithoutASocket() throws Exception {
        InetSocketAddress unresolved = InetSocketAddress.createUnresolved("nowhere.invalid", 80);
        long fds = Loopback.openFds();
        IllegalArgumentException e = onLoop(() -> assertThrows(IllegalArgumentException.class,
                () -> Connection.connect(loop, unresolved, (c, d) -> d.byteSize())));
        assertEquals("unresolved address nowhere.invalid/<unresolved>:80: resolve it first", e.getMessage());
        IllegalArgumentException raw = onLoop(() -> assertThrows(IllegalArgumentException.class,
                () -> Connector.connect(loop, unresolved, null)));
        assertEquals(e.getMessage(), raw.getMessage());
        assertEquals(fds, Loopback.openFds());
        assertEquals(0, (int) onLoop(() -> ConnectionStats.of(loop).join().openConnections()));
    }
}
