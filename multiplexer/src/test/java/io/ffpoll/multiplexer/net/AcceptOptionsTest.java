package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.SocketOption;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.testing.LoopTestBase;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A Listener, started from the test thread, gives every accepted socket its AcceptOptions: set
 * once on the listening socket, which the kernel passes them on from, or on each accepted socket
 * where the first shows they were not passed on.
 */
class AcceptOptionsTest extends LoopTestBase {
    private static final AcceptOptions ALL = AcceptOptions.DEFAULTS.noDelay(true).keepAlive(true)
            .sendBuffer(96 * 1024).receiveBuffer(64 * 1024);

    private static int option(int fd, SocketOption option) throws java.io.IOException {
        return io.ffpoll.bindings.Errors.check(Loopback.OS.options().getOption(fd, option), "getsockopt " + option);
    }

    @Test
    void acceptedSocketsGetTheOptionsBeforeTheHandlerSeesThem() throws Exception {
        BlockingQueue<int[]> seen = new LinkedBlockingQueue<>();
        AcceptOptions options = AcceptOptions.DEFAULTS.noDelay(true).keepAlive(true).receiveBuffer(64 * 1024);
        Listener listener = Listener.start(loop, listenFd, options, (fd, peer) -> {
            try {
                seen.add(new int[] {option(fd, SocketOption.TCP_NODELAY), option(fd, SocketOption.KEEP_ALIVE),
                        option(fd, SocketOption.RECEIVE_BUFFER)});
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            } finally {
                net.track(fd);
            }
        }).get(30, TimeUnit.SECONDS);
        listenerOwnsListenFd();
        net.connect(address);
        int[] got = seen.poll(30, TimeUnit.SECONDS);
        assertNotNull(got, "no connection accepted");
        assertNotEquals(0, got[0], "TCP_NODELAY");
        assertNotEquals(0, got[1], "SO_KEEPALIVE");
        assertEquals(true, got[2] >= 64 * 1024, "SO_RCVBUF " + got[2]); // Linux doubles what is asked
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }

    /** A handler that records each accepted socket's TCP_NODELAY, SO_KEEPALIVE, SO_SNDBUF and SO_RCVBUF. */
    private Listener.AcceptHandler recording(BlockingQueue<int[]> seen) {
        return (fd, peer) -> {
            try {
                seen.add(new int[] {option(fd, SocketOption.TCP_NODELAY), option(fd, SocketOption.KEEP_ALIVE),
                        option(fd, SocketOption.SEND_BUFFER), option(fd, SocketOption.RECEIVE_BUFFER)});
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            } finally {
                net.track(fd);
            }
        };
    }

    private static void assertAll(int[] got, String which) {
        assertNotNull(got, which + ": no connection accepted");
        assertNotEquals(0, got[0], which + ": TCP_NODELAY");
        assertNotEquals(0, got[1], which + ": SO_KEEPALIVE");
        assertTrue(got[2] >= 96 * 1024, which + ": SO_SNDBUF " + got[2]);
        assertTrue(got[3] >= 64 * 1024, which + ": SO_RCVBUF " + got[3]);
    }

    private long setsockoptOnLoop() throws Exception {
        Thread loopThread = loop.submit(Thread::currentThread).get(30, TimeUnit.SECONDS);
        return Syscalls.count("setsockopt", loopThread);
    }

    @Test
    void acceptedSocketsInheritTheOptionsFromTheListeningSocketWithNoSetsockoptEach() throws Exception {
        assumeTrue(Syscalls.COUNTING, "needs -Dffpoll.countSyscalls=true");
        BlockingQueue<int[]> seen = new LinkedBlockingQueue<>();
        Listener listener = Listener.start(loop, listenFd, ALL, recording(seen)).get(30, TimeUnit.SECONDS);
        listenerOwnsListenFd();
        long before = setsockoptOnLoop();
        for (int i = 0; i < 5; i++) {
            net.connect(address);
            assertAll(seen.poll(30, TimeUnit.SECONDS), "connection " + i);
        }
        assertEquals(before, setsockoptOnLoop(), "no setsockopt per accepted socket: the listening socket's options are inherited");
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aSocketFromBeforeTheListenerStartedLacksThemAndEveryAcceptedSocketGetsThemSet() throws Exception {
        net.connect(address); // in the backlog before the options are on the listening socket
        BlockingQueue<int[]> seen = new LinkedBlockingQueue<>();
        Listener listener = Listener.start(loop, listenFd, ALL, recording(seen)).get(30, TimeUnit.SECONDS);
        listenerOwnsListenFd();
        assertAll(seen.poll(30, TimeUnit.SECONDS), "the connection from before");
        long before = Syscalls.COUNTING ? setsockoptOnLoop() : 0;
        net.connect(address);
        assertAll(seen.poll(30, TimeUnit.SECONDS), "the next connection");
        if (Syscalls.COUNTING) {
            assertEquals(before + 4, setsockoptOnLoop(), "the four options set on the next accepted socket");
        }
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }

    @Test
    void defaultsLeaveTheKernelsDefaultsAndNegativeSizesAreRefused() throws Exception {
        BlockingQueue<Integer> seen = new LinkedBlockingQueue<>();
        Listener listener = Listener.start(loop, listenFd, (fd, peer) -> {
            try {
                seen.add(option(fd, SocketOption.TCP_NODELAY));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            } finally {
                net.track(fd);
            }
        }).get(30, TimeUnit.SECONDS);
        listenerOwnsListenFd();
        net.connect(address);
        assertEquals(0, seen.poll(30, TimeUnit.SECONDS));
        assertThrows(IllegalArgumentException.class, () -> AcceptOptions.DEFAULTS.sendBuffer(-1));
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }
}
