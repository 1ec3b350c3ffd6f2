package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.SocketOption;
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

/** A Listener, started from the test thread, sets its AcceptOptions on every accepted socket. */
class AcceptOptionsTest extends LoopTestBase {

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
