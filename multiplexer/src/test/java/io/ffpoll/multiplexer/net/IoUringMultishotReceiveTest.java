package io.ffpoll.multiplexer.net;

import org.junit.jupiter.api.Test;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link IoUringReceiveTest} with multishot receives (-Dffpoll.uring.multishotReceives=true):
 * one receive stays armed per socket and posts each arrival in a buffer of its own.
 */
class IoUringMultishotReceiveTest extends IoUringReceiveTest {
    @Override
    protected boolean multishot() {
        return true;
    }

    /**
     * Four stashed buffers cancel the receive, but nothing bounds what the kernel's multishot
     * receive takes before the cancel reaches it but the data come and the ring's 256 buffers:
     * 33 and 66 in two runs of this test, against the one of a single-shot receive. That is why
     * multishot receives are off by default.
     */
    @Override
    protected int pausedHoldsAtMost() {
        return 256;
    }

    @Test
    void oneReceiveServesEveryMessageOfAnEcho() throws Exception {
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve((fd, peer) -> opened.add(Connection.open(loop, fd, peer, (c, d) -> {
            c.write(d);
            return d.byteSize();
        }).join()));
        int client = net.connect(address);
        opened.poll(30, TimeUnit.SECONDS);
        net.send(client, "warm".getBytes());
        assertArrayEquals("warm".getBytes(), net.readFully(client, 4));
        long armed = onLoop(() -> backend().receivesArmed());
        for (int i = 0; i < 200; i++) {
            byte[] m = ("message " + i + ";").getBytes();
            net.send(client, m);
            assertArrayEquals(m, net.readFully(client, m.length), "echo " + i);
        }
        assertEquals(armed, (long) onLoop(() -> backend().receivesArmed()), "receives armed for 200 messages");
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }
}
