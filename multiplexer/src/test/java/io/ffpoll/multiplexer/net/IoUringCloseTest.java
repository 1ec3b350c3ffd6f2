package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.Processes;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.backend.EventBuffer;
import io.ffpoll.multiplexer.testing.Await;
import io.ffpoll.multiplexer.testing.IoUringLoopTestBase;
import io.ffpoll.multiplexer.uring.IoUringBackend;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A connection's close on io_uring: the cancel of its poll and an {@code IORING_OP_CLOSE} go
 * in the loop's next enter, so a close costs no syscall of its own (on epoll it costs close(2),
 * and before this the ring cost an enter of its own too). The fd stays open until that enter,
 * and closes left queued when the ring goes are made all the same.
 */
class IoUringCloseTest extends IoUringLoopTestBase {
    /** Reads until the stream ends: "EOF", or the error a read gave. */
    private String awaitEnd(int client) throws InterruptedException {
        String[] end = new String[1];
        Await.until(() -> {
            try {
                byte[] got = net.read(client, 4096);
                if (got != null && got.length == 0) {
                    end[0] = "EOF";
                }
            } catch (AssertionError e) {
                end[0] = e.getMessage(); // the read's error, e.g. ECONNRESET
            }
            return end[0] != null;
        }, "the stream ended");
        return end[0];
    }

    private long[] counts(Thread loopThread) throws Exception {
        return onLoop(() -> new long[] {loop.stats().iterations(), Syscalls.count("io_uring_enter", loopThread),
                Syscalls.count("close", loopThread)});
    }

    @Test
    void aClosedConnectionGoesInTheNextEnterWithNoSyscallOfItsOwn() throws Exception {
        assumeTrue(Syscalls.COUNTING, "counts syscalls: needs -Dffpoll.countSyscalls=true");
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve((fd, peer) -> opened.add(Connection.open(loop, fd, peer, (c, d) -> d.byteSize()).join()));
        Thread loopThread = onLoop(Thread::currentThread);
        for (int round = 0; round < 20; round++) {
            int client = net.connect(address);
            Connection server = next(opened);
            long[] before = counts(loopThread);
            onLoop(server::close);
            assertEquals("EOF", awaitEnd(client), "the FIN: the socket went with the enter after the close");
            long[] after = counts(loopThread);
            assertEquals(0, after[2] - before[2], "close(2) calls on the loop");
            assertEquals(after[0] - before[0], after[1] - before[1], "io_uring_enter calls beside one per iteration");
            net.close(client);
        }
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }

    @Test
    void anAbortResetsThePeerThroughTheCloseSqe() throws Exception {
        assumeTrue(Syscalls.COUNTING, "counts syscalls: needs -Dffpoll.countSyscalls=true");
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        Listener listener = serve((fd, peer) -> opened.add(Connection.open(loop, fd, peer, (c, d) -> d.byteSize()).join()));
        Thread loopThread = onLoop(Thread::currentThread);
        int client = net.connect(address);
        Connection server = next(opened);
        long closes = Syscalls.count("close", loopThread);
        onLoop(server::abort);
        String end = awaitEnd(client);
        assertTrue(end.contains("ECONNRESET"), "the peer reads a reset, not " + end);
        assertEquals(closes, (long) onLoop(() -> Syscalls.count("close", loopThread)), "close(2) calls on the loop");
        net.close(client);
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }

    /**
     * An accept handler that opened a connection, closed it (its close queued for the next
     * enter) and then threw: the listener leaves the number alone, as it belongs to the
     * connection, whose queued close would otherwise close it a second time under a new owner.
     */
    @Test
    void aThrowingAcceptHandlerThatClosedItsConnectionLeavesTheNumberAlone() throws Exception {
        assumeTrue(Syscalls.COUNTING, "counts syscalls: needs -Dffpoll.countSyscalls=true");
        Thread loopThread = onLoop(Thread::currentThread);
        long closes = Syscalls.count("close", loopThread);
        CompletableFuture<Integer> handled = new CompletableFuture<>();
        Listener listener = serve((fd, peer) -> {
            Connection.open(loop, fd, peer, (c, d) -> d.byteSize()).join().abort();
            handled.complete(fd);
            throw new IllegalStateException("thrown on purpose after the connection closed");
        });
        int client = net.connect(address);
        handled.get(60, TimeUnit.SECONDS);
        assertTrue(awaitEnd(client).contains("ECONNRESET"), "the abort reached the peer");
        assertEquals(closes, (long) onLoop(() -> Syscalls.count("close", loopThread)),
                "close(2) calls on the loop: the queued close is the only one");
        net.close(client);
        listener.closeAsync().get(30, TimeUnit.SECONDS);
    }

    /** A loop closed in the callback that closed its connections: their close SQEs still go. */
    @Test
    void closesQueuedAsTheLoopStopsAreMade() throws Exception {
        EventLoop other = EventLoop.start("closing", Poller.open("io_uring"), 64);
        BlockingQueue<Connection> opened = new LinkedBlockingQueue<>();
        int otherListen = net.listen();
        Listener.start(other, otherListen, (fd, peer) -> opened.add(Connection.open(other, fd, peer,
                (c, d) -> d.byteSize()).join())).get(30, TimeUnit.SECONDS);
        List<Integer> clients = new ArrayList<>();
        List<Connection> servers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            clients.add(net.connect(net.address(otherListen)));
            servers.add(next(opened));
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        other.execute(() -> {
            servers.forEach(Connection::close);
            other.close();
            done.complete(null);
        });
        done.get(60, TimeUnit.SECONDS);
        other.awaitTermination(60, TimeUnit.SECONDS);
        net.forget(otherListen); // the listener closed it with its loop
        for (int client : clients) {
            assertEquals("EOF", awaitEnd(client));
        }
    }

    /** A ring closed by another thread than its own cannot enter: the queued closes are made with close(2). */
    @Test
    void closesLeftQueuedAreMadeWhenTheRingClosesFromAnotherThread() throws Exception {
        IoUringBackend backend = new IoUringBackend();
        int[] pipe = new int[2];
        CompletableFuture<Void> queued = CompletableFuture.runAsync(() -> {
            try {
                assertEquals(0, Processes.pipe(pipe));
                backend.register(pipe[0], EventBuffer.READ, null, false);
                EventBuffer events = new EventBuffer(8);
                backend.poll(events, 0); // this thread now owns the ring
                backend.deregisterAndCloseSoon(pipe[0]);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        queued.get(60, TimeUnit.SECONDS);
        Path fd = Path.of("/proc/self/fd/" + pipe[0]);
        Path file = Files.readSymbolicLink(fd); // "pipe:[inode]": open until the ring's next enter
        backend.close();
        // Another thread may take the number meanwhile: the pipe is gone if the number is, or names another file.
        assertFalse(Files.exists(fd) && Files.readSymbolicLink(fd).equals(file), "closed with the ring");
        assertTrue(backend.memoryReleased());
        Fd.close(pipe[1]);
    }
}
