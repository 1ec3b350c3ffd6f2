package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.SocketException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Connection#open(EventLoop, int, ConnectionHandler)} over descriptors that are not
 * accepted sockets: a pipe's ends (read, write, EOF, EPIPE, echo through two pipes) and a
 * socketpair. The test's own ends are blocking, so it waits in read and write, not in a spin.
 */
abstract class StreamFdContract {
    static final io.ffpoll.bindings.platform.Platform OS = UnixTesting.OS;
    long fdsBefore;
    EventLoop loop;
    Arena arena;

    /** "epoll" or "kqueue". */
    abstract String backend();

    @BeforeEach
    void start() throws IOException {
        fdsBefore = Loopback.openFds();
        loop = EventLoop.start(getClass().getSimpleName(), Poller.open(backend()), 256);
        arena = Arena.ofShared();
    }

    @AfterEach
    void stop() throws InterruptedException {
        loop.close();
        arena.close();
        // At most as many as before: libkqueue may still have been freeing an earlier test's
        // kqueue descriptors on its own thread when they were counted.
        Loopback.awaitOpenFdsAtMost(fdsBefore, "file descriptors leaked");
    }

    int[] pipe() {
        int[] fds = new int[2];
        assertEquals(0, OS.unix().pipe(fds));
        return fds;
    }

    /** Writes all of {@code bytes} to a blocking fd. */
    void writeAll(int fd, byte[] bytes) {
        MemorySegment buf = arena.allocate(Math.max(1, bytes.length));
        MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, bytes.length);
        long done = 0;
        while (done < bytes.length) {
            long n = OS.write(fd, buf.asSlice(done), bytes.length - done);
            assertTrue(n > 0, "write: " + (n < 0 ? OS.describe((int) -n) : "0"));
            done += n;
        }
    }

    /** Records what a connection receives and how it ends. */
    static final class Recorder implements ConnectionHandler {
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final CompletableFuture<Void> readClosed = new CompletableFuture<>();
        final CompletableFuture<IOException> closed = new CompletableFuture<>();

        @Override
        public long onData(Connection connection, MemorySegment data) {
            got.write(data.toArray(ValueLayout.JAVA_BYTE), 0, (int) data.byteSize());
            return data.byteSize();
        }

        @Override
        public void onReadClosed(Connection connection) {
            readClosed.complete(null);
            connection.close();
        }

        @Override
        public void onClosed(Connection connection, IOException cause) {
            closed.complete(cause);
        }
    }

    @Test
    void aPipesReadEndDeliversBytesThenEofAndTakesNoWrites() throws Exception {
        int[] p = pipe();
        assertEquals(0, OS.setBlocking(p[1], true));
        Recorder r = new Recorder();
        Connection c = Connection.open(loop, p[0], r).get(30, TimeUnit.SECONDS);
        assertNull(loop.submit(c::peerAddress).get(30, TimeUnit.SECONDS), "a pipe has no address");
        assertFalse(loop.submit(() -> c.write(new byte[] {1})).get(30, TimeUnit.SECONDS), "read-only: no writes");
        byte[] sent = UnixTesting.randomBytes(500_000, 11);
        writeAll(p[1], sent);
        OS.close(p[1]); // EOF
        r.readClosed.get(30, TimeUnit.SECONDS);
        assertNull(r.closed.get(30, TimeUnit.SECONDS), "a clean close");
        assertArrayEquals(sent, loop.submit(r.got::toByteArray).get(30, TimeUnit.SECONDS));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
            try {
                loop.submit(c::peerCredentials).get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException x) {
                throw x.getCause();
            }
        });
        assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
    }

    @Test
    void aPipesWriteEndSendsAndShutdownOutputIsEof() throws Exception {
        int[] p = pipe();
        assertEquals(0, OS.setBlocking(p[0], true));
        Recorder r = new Recorder();
        Connection c = Connection.open(loop, p[1], r).get(30, TimeUnit.SECONDS);
        byte[] sent = UnixTesting.randomBytes(700_000, 12); // more than a pipe holds: queued, then flushed
        loop.submit(() -> {
            assertTrue(c.write(sent));
            assertTrue(c.shutdownOutput());
            return null;
        }).get(30, TimeUnit.SECONDS);
        assertArrayEquals(sent, UnixTesting.readUpTo(p[0], Integer.MAX_VALUE), "everything, then EOF");
        assertNull(r.closed.get(30, TimeUnit.SECONDS), "closing the write end was the end of the connection");
        assertFalse(r.readClosed.isDone(), "a write end never reports a read side");
        OS.close(p[0]);
    }

    @Test
    void aPipeWhoseReaderClosedIsEpipeWhetherWritingOrNot() throws Exception {
        // Idle: the reader's close alone ends the connection.
        int[] p = pipe();
        Recorder idle = new Recorder();
        Connection.open(loop, p[1], idle).get(30, TimeUnit.SECONDS);
        OS.close(p[0]);
        IOException cause = idle.closed.get(30, TimeUnit.SECONDS);
        assertInstanceOf(SocketException.class, cause);
        assertTrue(cause.getMessage().contains("EPIPE"), cause.getMessage());

        // write(2) to a pipe without a reader is EPIPE in this JVM, not death by SIGPIPE.
        int[] raw = pipe();
        OS.close(raw[0]);
        assertEquals(-Err.EPIPE, OS.write(raw[1], arena.allocate(1), 1), "write(2) on a pipe without a reader");
        OS.close(raw[1]);

        // Writing: the reader goes and the connection writes in the same loop task, before the
        // error edge can be polled: the write itself meets EPIPE.
        int[] q = pipe();
        Recorder writing = new Recorder();
        Connection c = Connection.open(loop, q[1], writing).get(30, TimeUnit.SECONDS);
        loop.submit(() -> {
            OS.close(q[0]);
            assertTrue(c.write(new byte[100]));
            c.flush();
            return null;
        }).get(30, TimeUnit.SECONDS);
        IOException writeCause = writing.closed.get(30, TimeUnit.SECONDS);
        assertInstanceOf(SocketException.class, writeCause);
        assertTrue(writeCause.getMessage().contains("EPIPE"), writeCause.getMessage());
        assertTrue(writeCause.getMessage().startsWith("writev(fd "), "the write met it: " + writeCause.getMessage());
    }

    @Test
    void echoThroughTwoPipesAsTwoConnections() throws Exception {
        int[] in = pipe();   // test -> connection A
        int[] out = pipe();  // connection B -> test
        assertEquals(0, OS.setBlocking(in[1], true));
        assertEquals(0, OS.setBlocking(out[0], true));
        Recorder bEnd = new Recorder();
        Connection b = Connection.open(loop, out[1], bEnd).get(30, TimeUnit.SECONDS);
        Connection.open(loop, in[0], new ConnectionHandler() {
            @Override
            public long onData(Connection a, MemorySegment data) {
                b.write(data);
                return data.byteSize();
            }

            @Override
            public void onReadClosed(Connection a) {
                b.shutdownOutput(); // EOF in, EOF out
                a.close();
            }
        }).get(30, TimeUnit.SECONDS);
        byte[] sent = UnixTesting.randomBytes(1_000_000, 13);
        Thread writer = Thread.ofPlatform().start(() -> {
            writeAll(in[1], sent);
            OS.close(in[1]);
        });
        byte[] echoed = UnixTesting.readUpTo(out[0], Integer.MAX_VALUE);
        writer.join(30_000);
        assertArrayEquals(sent, echoed);
        assertNull(bEnd.closed.get(30, TimeUnit.SECONDS));
        OS.close(out[0]);
    }

    @Test
    void echoOverASocketpairWithEofAndThisProcesssCredentials() throws Exception {
        int[] pair = new int[2];
        assertEquals(0, OS.unix().unixStreamPair(pair));
        assertEquals(0, OS.setBlocking(pair[1], true));
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        Connection c = Connection.open(loop, pair[0], new UnixTesting.Echo() {
            @Override
            public void onClosed(Connection connection, IOException cause) {
                closed.complete(cause);
            }
        }).get(30, TimeUnit.SECONDS);
        assertTrue(loop.submit(c::peerAddress).get(30, TimeUnit.SECONDS) instanceof UnixAddress u && u.isUnnamed());
        PeerCredentials creds = loop.submit(c::peerCredentials).get(30, TimeUnit.SECONDS);
        assertEquals(UnixTesting.uidGid()[0], creds.uid());
        assertEquals(ProcessHandle.current().pid(), creds.pid().orElseThrow());
        byte[] sent = UnixTesting.randomBytes(400_000, 14);
        Thread writer = Thread.ofPlatform().start(() -> {
            writeAll(pair[1], sent);
            assertEquals(0, OS.shutdownOutput(pair[1])); // FIN: the echo closes after its answer
        });
        byte[] echoed = UnixTesting.readUpTo(pair[1], Integer.MAX_VALUE);
        writer.join(30_000);
        assertArrayEquals(sent, echoed);
        assertNull(closed.get(30, TimeUnit.SECONDS));
        OS.close(pair[1]);
    }

    @Test
    void openingAsksTheKernelOnceAndAPipeIsWrittenWithWritev() throws Exception {
        Thread loopThread = loop.submit(Thread::currentThread).get(30, TimeUnit.SECONDS);
        int[] p = pipe();
        assertEquals(0, OS.setBlocking(p[0], true));
        long sockopt = Syscalls.count("getsockopt", loopThread);
        long fcntl = Syscalls.count("fcntl", loopThread);
        Connection c = Connection.open(loop, p[1], new Recorder()).get(30, TimeUnit.SECONDS);
        assertEquals(1, Syscalls.count("getsockopt", loopThread) - sockopt, "SO_TYPE, once: ENOTSOCK");
        assertEquals(3, Syscalls.count("fcntl", loopThread) - fcntl, "F_GETFL for the access mode; O_NONBLOCK");
        long writev = Syscalls.count("writev", loopThread);
        long sendmsg = Syscalls.count("sendmsg", loopThread);
        loop.submit(() -> {
            for (int i = 0; i < 10; i++) {
                c.write(new byte[] {(byte) i});
            }
            return null;
        }).get(30, TimeUnit.SECONDS);
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, UnixTesting.readUpTo(p[0], 10));
        assertEquals(1, Syscalls.count("writev", loopThread) - writev, "ten writes, one writev at the iteration's end");
        assertEquals(0, Syscalls.count("sendmsg", loopThread) - sendmsg, "no sendmsg on a pipe");
        assertEquals(0, Syscalls.count("getsockopt", loopThread) - sockopt - 1, "nothing asked again");
        loop.submit(() -> {
            c.close();
            return null;
        }).get(30, TimeUnit.SECONDS);
        OS.close(p[0]);
    }

    @Test
    void aClosedDescriptorIsRefused() throws Exception {
        int[] p = pipe();
        OS.close(p[0]);
        OS.close(p[1]);
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> Connection.open(loop, p[0], new Recorder()).get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("EBADF"), e.getCause().getMessage());
    }
}
