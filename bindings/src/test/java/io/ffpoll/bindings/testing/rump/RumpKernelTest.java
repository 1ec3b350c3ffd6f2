package io.ffpoll.bindings.testing.rump;

import io.ffpoll.bindings.bsd.KeventAbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What NetBSD's kern_event.c does where libkqueue differs, probed on the rump kernel through
 * the bindings alone (no backend). Each of these is also a test of the kqueue model
 * ({@code KeventModelTest}), which CI runs: this class shows the model right. Numbers are
 * NetBSD's (EBADF 9, ENOENT 2, ECONNREFUSED 61, EAGAIN 35), read straight from the kernel.
 */
class RumpKernelTest {
    private static final KeventAbi ABI = KeventAbi.NETBSD;
    private static RumpPlatform rump;
    private static RumpKevent kq;

    private final Arena arena = Arena.ofConfined();
    private int q;
    private MemorySegment changes;
    private MemorySegment events;
    private MemorySegment timeout;

    @BeforeAll
    static void boot() {
        if (!RumpKernel.requested()) {
            String message = "-D" + RumpKernel.PROPERTY + " is unset: the probes of NetBSD's kernel are skipped"
                    + " (the kqueue model tests still run); pass -D" + RumpKernel.PROPERTY + "=/path/to/rump/lib";
            System.err.println("*** SKIPPED RumpKernelTest: " + message);
            org.junit.jupiter.api.Assumptions.abort(message);
        }
        rump = RumpPlatform.create();
        kq = (RumpKevent) rump.keventCalls();
    }

    @BeforeEach
    void open() {
        q = kq.kqueue();
        assertTrue(q >= 0, "kqueue: " + q);
        changes = ABI.allocate(arena, 4);
        events = ABI.allocate(arena, 8);
        timeout = arena.allocate(16, 8);
    }

    @AfterEach
    void close() {
        kq.close(q);
        arena.close();
    }

    private MemorySegment seconds(long s) {
        timeout.set(ValueLayout.JAVA_LONG, 0, s);
        timeout.set(ValueLayout.JAVA_LONG, 8, 0);
        return timeout;
    }

    private int listener() {
        int fd = rump.socket(2);
        MemorySegment sa = rump.allocateSockaddr(arena);
        assertEquals(0, rump.bind(fd, sa, rump.encode(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), sa)));
        assertEquals(0, rump.listen(fd, 16));
        return fd;
    }

    private int connect(int listener) {
        MemorySegment sa = rump.allocateSockaddr(arena);
        MemorySegment len = arena.allocate(4);
        len.set(ValueLayout.JAVA_INT, 0, (int) rump.sockaddrSize());
        assertEquals(0, rump.getsockname(listener, sa, len));
        int fd = rump.socket(2);
        rump.setBlocking(fd, true);
        assertEquals(0, rump.connect(fd, sa, len.get(ValueLayout.JAVA_INT, 0)));
        return fd;
    }

    /** Accepts the connection the test made, waiting for it up to 60 s (a loaded machine). */
    private int accept(int listener) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            int fd = rump.accept(listener, MemorySegment.NULL, MemorySegment.NULL);
            if (fd != -35) { // EAGAIN: not yet in the backlog
                assertTrue(fd >= 0, "accept: " + fd);
                return fd;
            }
            Thread.sleep(1);
        }
        throw new AssertionError("nothing to accept in 60 s");
    }

    private void send(int fd, int n) {
        MemorySegment b = arena.allocate(n);
        assertEquals(n, rump.write(fd, b, n));
    }

    @Test
    void aFailedChangeComesBackAtOnceWithoutTheWait() {
        ABI.set(changes, 0, 999, ABI.evfiltRead, KeventAbi.EV_ADD | KeventAbi.EV_CLEAR, 0, 0, 7);
        long start = System.nanoTime();
        int n = kq.kevent(q, changes, 1, events, 8, seconds(5), null);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(1, n);
        assertTrue(millis < 2000, "kevent waited " + millis + " ms with an error entry to return");
        assertEquals(KeventAbi.EV_ERROR, ABI.flags(events, 0), "flags are EV_ERROR alone");
        assertEquals(9, ABI.data(events, 0), "EBADF, NetBSD's 9");
        assertEquals(7, ABI.udata(events, 0));
    }

    @Test
    void closeRemovesTheKnotesOfTheFd() throws Exception {
        int l = listener();
        int client = connect(l);
        int server = accept(l);
        ABI.set(changes, 0, server, ABI.evfiltRead, KeventAbi.EV_ADD | KeventAbi.EV_CLEAR, 0, 0, 1);
        assertEquals(0, kq.kevent(q, changes, 1, events, 0, seconds(0), null));
        assertEquals(0, rump.close(server));
        int reused = rump.duplicate(client); // the lowest free number from 3: server's
        assertEquals(server, reused);
        ABI.set(changes, 0, reused, ABI.evfiltRead, KeventAbi.EV_DELETE, 0, 0, 2);
        assertEquals(1, kq.kevent(q, changes, 1, events, 8, seconds(0), null));
        assertEquals(2, ABI.data(events, 0), "ENOENT: the knote went with the close");
        rump.close(reused);
        rump.close(client);
        rump.close(l);
    }

    @Test
    void evClearReArmsOnNewDataAndDataCountsAllUnreadBytes() throws Exception {
        int l = listener();
        int client = connect(l);
        int server = accept(l);
        ABI.set(changes, 0, server, ABI.evfiltRead, KeventAbi.EV_ADD | KeventAbi.EV_CLEAR, 0, 0, 1);
        assertEquals(0, kq.kevent(q, changes, 1, events, 0, seconds(0), null));
        send(client, 3);
        assertEquals(1, kq.kevent(q, changes, 0, events, 8, seconds(5), null));
        assertEquals(3, ABI.data(events, 0));
        assertEquals(0, kq.kevent(q, changes, 0, events, 8, seconds(0), null), "reported once per change");
        send(client, 2); // nothing read: still a new edge
        assertEquals(1, kq.kevent(q, changes, 0, events, 8, seconds(5), null));
        assertEquals(5, ABI.data(events, 0), "data is every unread byte, not the new ones");
        rump.close(server);
        rump.close(client);
        rump.close(l);
    }

    @Test
    void aListenersDataIsItsBacklogOfConnections() throws Exception {
        int l = listener();
        ABI.set(changes, 0, l, ABI.evfiltRead, KeventAbi.EV_ADD | KeventAbi.EV_CLEAR, 0, 0, 1);
        assertEquals(0, kq.kevent(q, changes, 1, events, 0, seconds(0), null));
        int[] clients = {connect(l), connect(l), connect(l)};
        long data = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (data < 3 && System.nanoTime() < deadline) { // EV_CLEAR: the last report has the whole queue
            int n = kq.kevent(q, changes, 0, events, 8, seconds(1), null); // waits for the next report
            if (n == 1) {
                data = ABI.data(events, 0);
            }
        }
        assertEquals(3, data, "data: connections waiting to be accepted");
        for (int c : clients) {
            rump.close(c);
        }
        rump.close(l);
    }

    @Test
    void errnoValuesAreNetBsdsOwn() {
        int fd = rump.socket(2);
        MemorySegment b = arena.allocate(1);
        assertEquals(-57, rump.read(fd, b, 1), "ENOTCONN: NetBSD's 57, Linux's 107");
        int l = listener();
        MemorySegment sa = rump.allocateSockaddr(arena);
        MemorySegment len = arena.allocate(4);
        len.set(ValueLayout.JAVA_INT, 0, (int) rump.sockaddrSize());
        assertEquals(0, rump.getsockname(l, sa, len));
        assertEquals(-35, rump.accept(l, MemorySegment.NULL, MemorySegment.NULL), "EAGAIN: 35, Linux's 11");
        rump.close(l); // the port is free again: a connect there is refused
        rump.setBlocking(fd, true);
        assertEquals(-61, rump.connect(fd, sa, len.get(ValueLayout.JAVA_INT, 0)), "ECONNREFUSED: 61, Linux's 111");
        rump.close(fd);
    }
}
