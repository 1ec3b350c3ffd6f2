package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.uring.IoUringBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@link IoUringUnixSocketTest} with zero-copy sends on
 * ({@code -Dffpoll.uring.zeroCopySends=true}): a Unix socket refuses them (EOPNOTSUPP), so its
 * connection never asks, and one that asks all the same (opened with an IP peer address) sends
 * again, copying, and loses nothing. Before, every write of 16 KiB or more on a Unix socket
 * closed its connection with {@code sendmsg: errno 95}.
 */
class IoUringZeroCopyUnixSocketTest extends IoUringUnixSocketTest {
    @BeforeAll
    static void zeroCopyOn() {
        System.setProperty("ffpoll.uring.zeroCopySends", "true");
    }

    @AfterAll
    static void zeroCopyOff() {
        System.clearProperty("ffpoll.uring.zeroCopySends");
    }

    @Test
    void aSocketpairOpenedWithAnIpPeerAddressFallsBackToCopyingSends() throws Exception {
        int[] pair = new int[2];
        assertEquals(0, UnixTesting.OS.unix().unixStreamPair(pair));
        assertEquals(0, UnixTesting.OS.setBlocking(pair[1], true));
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        byte[] sent = UnixTesting.randomBytes(256 * 1024, 3);
        InetSocketAddress claimed = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
        Connection c = Connection.open(loop, pair[0], claimed, new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.write(sent);
                connection.close();
            }

            @Override
            public long onData(Connection connection, java.lang.foreign.MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onClosed(Connection connection, IOException cause) {
                closed.complete(cause);
            }
        }).get(30, TimeUnit.SECONDS);
        byte[] got = UnixTesting.readUpTo(pair[1], Integer.MAX_VALUE);
        assertArrayEquals(sent, got, "every byte, in order, after the refused zero-copy send");
        assertNull(closed.get(30, TimeUnit.SECONDS), "a clean close");
        long[] zc = loop.submit(() -> ((IoUringBackend) LoopAccess.get().backend(loop)).zeroCopySends()).get(30, TimeUnit.SECONDS);
        assertEquals(1, zc[0], "one zero-copy send tried, then none: the connection does not ask again");
        assertFalse(c.isOpen());
        UnixTesting.OS.close(pair[1]);
    }
}
