package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Processes;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Descriptor passing over socketpairs: the received descriptor works, several in one message,
 * bytes and descriptors together, truncation and closing without a leak, a bad descriptor, the
 * syscalls of a send and a receive, and the channel on an event loop. Each test checks that the
 * process has exactly the descriptors it had before.
 */
class FdPassingChannelTest {
    private static final Platform OS = Platform.current();
    private final Arena arena = Arena.ofConfined();
    private final List<Integer> open = new ArrayList<>();
    private final List<FdPassingChannel> channels = new ArrayList<>();
    private long fdsBefore;

    @BeforeEach
    void countFds() {
        fdsBefore = Loopback.openFds();
    }

    @AfterEach
    void closeAndCheckFds() {
        channels.forEach(FdPassingChannel::close);
        open.forEach(OS::close);
        arena.close();
        assertEquals(fdsBefore, Loopback.openFds(), "file descriptors leaked");
    }

    private FdPassingChannel[] pair(int maxFds) throws IOException {
        FdPassingChannel[] ends = FdPassingChannel.pair(maxFds);
        channels.add(ends[0]);
        channels.add(ends[1]);
        return ends;
    }

    /** {read end, write end}, tracked. */
    private int[] pipe() {
        int[] fds = new int[2];
        assertEquals(0, Processes.pipe(fds));
        open.add(fds[0]);
        open.add(fds[1]);
        return fds;
    }

    private MemorySegment bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        MemorySegment m = arena.allocate(b.length);
        MemorySegment.copy(b, 0, m, ValueLayout.JAVA_BYTE, 0, b.length);
        return m;
    }

    private static String text(MemorySegment buf, long n) {
        return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
    }

    private void write(int fd, String s) {
        MemorySegment m = bytes(s);
        assertEquals(m.byteSize(), OS.write(fd, m, m.byteSize()));
    }

    private String read(int fd, int max) {
        MemorySegment buf = arena.allocate(max);
        long n = OS.read(fd, buf, max);
        assertTrue(n >= 0, "read: " + OS.describe((int) -n));
        return text(buf, n);
    }

    @Test
    void aReceivedPipeEndReadsWhatTheSendersCopyWrote() throws IOException {
        FdPassingChannel[] ends = pair(4);
        int[] p = pipe();
        assertEquals(3, ends[0].send(bytes("fd!"), p[0]));
        ReceivedFds fds = new ReceivedFds();
        MemorySegment buf = arena.allocate(64);
        assertEquals(3, ends[1].receive(buf, fds));
        assertEquals("fd!", text(buf, 3));
        assertEquals(1, fds.count());
        int received = fds.fd(0);
        fds.clear();
        open.add(received);
        assertTrue(received != p[0], "a new number for the same pipe");
        assertEquals(1, OS.isCloseOnExec(received), "received close-on-exec");
        write(p[1], "through the pipe");
        assertEquals("through the pipe", read(received, 64));
        OS.close(p[0]);
        open.remove((Integer) p[0]);
        write(p[1], "still open");
        assertEquals("still open", read(received, 64), "the received copy holds the pipe open by itself");
    }

    @Test
    void severalDescriptorsInOneMessageArriveInOrder() throws IOException {
        FdPassingChannel[] ends = pair(8);
        int[][] pipes = {pipe(), pipe(), pipe()};
        assertEquals(1, ends[0].send(bytes("3"), pipes[0][1], pipes[1][1], pipes[2][1]));
        ReceivedFds fds = new ReceivedFds();
        MemorySegment buf = arena.allocate(16);
        assertEquals(1, ends[1].receive(buf, fds));
        assertEquals(3, fds.count());
        for (int i = 0; i < 3; i++) {
            open.add(fds.fd(i));
            write(fds.fd(i), "pipe " + i);
        }
        fds.clear();
        for (int i = 0; i < 3; i++) {
            assertEquals("pipe " + i, read(pipes[i][0], 16));
        }
    }

    @Test
    void bytesAndDescriptorsArriveTogetherAndPlainBytesStaySeparate() throws IOException {
        for (FdPassingChannel[] ends : new FdPassingChannel[][] {pair(2), seqpacket(2)}) {
            int[] p = pipe();
            assertEquals(4, ends[0].send(bytes("with"), p[0]));
            assertEquals(5, ends[0].send(bytes("plain")));
            ReceivedFds fds = new ReceivedFds();
            MemorySegment buf = arena.allocate(64);
            assertEquals(4, ends[1].receive(buf, fds), "the message with a descriptor, alone");
            assertEquals("with", text(buf, 4));
            assertEquals(1, fds.count());
            assertEquals(1, fds.closeAll());
            assertEquals(5, ends[1].receive(buf, fds));
            assertEquals("plain", text(buf, 5));
            assertEquals(0, fds.count());
            assertEquals(0, ends[1].receive(buf, fds), "nothing more: EAGAIN");
            ends[0].close();
            assertEquals(-1, ends[1].receive(buf, fds), "end of stream");
        }
    }

    private FdPassingChannel[] seqpacket(int maxFds) throws IOException {
        FdPassingChannel[] ends = FdPassingChannel.seqpacketPair(maxFds);
        channels.add(ends[0]);
        channels.add(ends[1]);
        return ends;
    }

    @Test
    void thousandsOfMessagesFromAnotherThreadArriveOneByOneInOrder() throws Exception {
        FdPassingChannel[] ends = pair(2);
        int[] p = pipe();
        int messages = 5_000;
        Thread sender = Thread.ofPlatform().name("fdpass-sender").start(() -> {
            try (Arena mine = Arena.ofConfined()) {
                MemorySegment m = mine.allocate(8);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                for (int i = 0; i < messages; i++) {
                    m.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
                    long n;
                    while ((n = ends[0].send(m, p[0], p[1])) == 0) { // EAGAIN: the receiver is behind
                        if (System.nanoTime() > deadline) {
                            throw new AssertionError("the receiver stopped at message " + i);
                        }
                        Thread.onSpinWait();
                    }
                    assertEquals(8, n);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        ReceivedFds fds = new ReceivedFds();
        MemorySegment buf = arena.allocate(64); // room for eight: each receive must still bring one
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int i = 0; i < messages; ) {
            long n = ends[1].receive(buf, fds);
            if (n == 0) {
                assertTrue(System.nanoTime() < deadline, "message " + i + " never came");
                Thread.onSpinWait();
                continue;
            }
            assertEquals(8, n, "message " + i + " alone");
            assertEquals(i, buf.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            assertEquals(2, fds.count());
            assertEquals(2, fds.closeAll());
            i++;
        }
        sender.join(TimeUnit.SECONDS.toMillis(60));
        assertFalse(sender.isAlive());
    }

    @Test
    void aSeqpacketMessageLongerThanTheBufferIsCutAndSaysSo() throws IOException {
        FdPassingChannel[] ends = seqpacket(1);
        ends[0].send(bytes("0123456789"));
        ReceivedFds fds = new ReceivedFds();
        MemorySegment buf = arena.allocate(4);
        assertEquals(4, ends[1].receive(buf, fds));
        assertTrue(fds.dataTruncated());
        assertEquals(0, ends[1].receive(buf, fds), "the rest was dropped");
    }

    @Test
    void moreDescriptorsThanTheControlBufferHoldsAreAllClosed() throws IOException {
        FdPassingChannel[] big = pair(3);
        FdPassingChannel sender = big[0];
        // A receiver with room for one descriptor: the other end of a second pair would not be
        // connected to this sender, so open the receiving end anew over the same socket.
        int receiverFd = OS.duplicate(big[1].fd());
        FdPassingChannel receiver = FdPassingChannel.open(receiverFd, 1);
        channels.add(receiver);
        int[] a = pipe();
        int[] b = pipe();
        long before = Loopback.openFds();
        assertEquals(3, sender.send(bytes("abc"), a[0], a[1], b[0]));
        ReceivedFds fds = new ReceivedFds();
        MemorySegment buf = arena.allocate(16);
        assertEquals(3, receiver.receive(buf, fds), "the bytes still arrive");
        assertEquals("abc", text(buf, 3));
        assertTrue(fds.controlTruncated(), "MSG_CTRUNC");
        assertEquals(0, fds.count());
        assertEquals(before, Loopback.openFds(), "every descriptor that arrived was closed");
    }

    @Test
    void descriptorsInFlightToAClosedReceiverAreReleased() throws IOException {
        FdPassingChannel[] ends = pair(4);
        int[] p = pipe();
        assertEquals(0, OS.setBlocking(p[0], false)); // EAGAIN, not a hang, if a write end were left
        long before = Loopback.openFds();
        ends[0].send(bytes("x"), p[1]); // the pipe's write end, in flight
        ends[0].send(bytes("y"), p[1], p[1]);
        OS.close(p[1]);
        open.remove((Integer) p[1]);
        assertEquals(before - 1, Loopback.openFds());
        ends[1].close(); // unread: the kernel drops the queued messages and their files
        assertEquals("", read(p[0], 8), "end of file: no copy of the write end is left anywhere");
    }

    @Test
    void aBadDescriptorIsEbadfFromSendmsg() throws IOException {
        FdPassingChannel[] ends = pair(2);
        IOException e = assertThrows(IOException.class, () -> ends[0].send(bytes("x"), -1));
        assertTrue(e.getMessage().startsWith("sendmsg(") && e.getMessage().contains("EBADF"), e.getMessage());
        ReceivedFds fds = new ReceivedFds();
        assertEquals(0, ends[1].receive(arena.allocate(4), fds), "nothing was sent");
    }

    @Test
    void oneSendIsOneSendmsgAndOneReceiveOneRecvmsg() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Syscalls.COUNTING, "needs -Dffpoll.countSyscalls=true");
        FdPassingChannel[] ends = pair(2);
        int[] p = pipe();
        MemorySegment out = bytes("counted");
        MemorySegment buf = arena.allocate(16);
        ReceivedFds fds = new ReceivedFds();
        ends[0].send(out, p[0]); // warm-up: first use sizes the holder
        ends[1].receive(buf, fds);
        open.add(fds.fd(0));
        fds.clear();
        Thread me = Thread.currentThread();
        String[] calls = {"sendmsg", "recvmsg", "fcntl", "close", "read", "write"};
        long[] before = new long[calls.length];
        for (int i = 0; i < calls.length; i++) {
            before[i] = Syscalls.count(calls[i], me);
        }
        assertEquals(7, ends[0].send(out, p[0]));
        assertEquals(7, ends[1].receive(buf, fds));
        open.add(fds.fd(0));
        fds.clear();
        long[] expected = {1, 1, 0, 0, 0, 0};
        for (int i = 0; i < calls.length; i++) {
            assertEquals(expected[i], Syscalls.count(calls[i], me) - before[i], calls[i]);
        }
    }

    @Test
    void misuseIsRefusedBeforeAnyCall() throws IOException {
        FdPassingChannel[] ends = pair(1);
        int[] p = pipe();
        assertThrows(IllegalArgumentException.class, () -> ends[0].send(arena.allocate(0), p[0]), "fds need a byte");
        assertThrows(IllegalArgumentException.class, () -> ends[0].send(bytes("x"), p[0], p[1]), "beyond maxFds");
        assertThrows(IllegalArgumentException.class, () -> ends[0].send(MemorySegment.ofArray(new byte[1]), p[0]));
        assertThrows(IllegalArgumentException.class, () -> FdPassingChannel.pair(254));
        assertThrows(IllegalArgumentException.class, () -> ends[1].receive(arena.allocate(0), new ReceivedFds()));
        ends[0].send(bytes("1"), p[0]);
        ends[0].send(bytes("2"), p[1]);
        ReceivedFds fds = new ReceivedFds();
        MemorySegment buf = arena.allocate(1);
        ends[1].receive(buf, fds);
        assertThrows(IllegalStateException.class, () -> ends[1].receive(buf, fds), "the last fds are still held");
        fds.closeAll();
        ends[1].receive(buf, fds);
        fds.closeAll();
        ends[1].close();
        assertThrows(ClosedChannelException.class, () -> ends[1].receive(buf, fds));
        assertFalse(ends[1].isOpen());
    }

    /**
     * Only a Unix socket carries descriptors: a TCP socket took the bytes and silently dropped
     * them (the sender had closed its copy), a pipe failed only at the first send, and -1 made
     * a channel.
     */
    @Test
    void openRefusesWhatIsNotAUnixSocket() throws Exception {
        try (Loopback net = new Loopback()) {
            int[] tcp = net.pair();
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> FdPassingChannel.open(tcp[0], 1));
            assertTrue(refused.getMessage().contains("not a Unix-domain socket"), refused.getMessage());
            int[] p = pipe();
            IOException notSocket = assertThrows(IOException.class, () -> FdPassingChannel.open(p[0], 1));
            assertTrue(notSocket.getMessage().contains("ENOTSOCK"), notSocket.getMessage());
            assertThrows(IllegalArgumentException.class, () -> FdPassingChannel.open(-1, 1));
        }
    }

    @Test
    void onALoopTheHandlerReceivesUntilEmptyAndTheLoopClosesTheChannel() throws Exception {
        FdPassingChannel[] ends = pair(4);
        int[] p = pipe();
        open.addAll(receiveOnLoop(EventLoop.start("fdpass"), ends, p));
    }

    /**
     * Registers {@code ends[1]} on {@code loop} with a handler that receives until EAGAIN into a
     * 3-byte buffer, sends three messages with {@code p}'s ends from this thread, checks what
     * came, then closes the loop, which must close the channel.
     *
     * @return the received descriptors, for the caller to close
     */
    static List<Integer> receiveOnLoop(EventLoop loop, FdPassingChannel[] ends, int[] p) throws Exception {
        List<Integer> received = new ArrayList<>();
        try {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            CompletableFuture<Void> all = new CompletableFuture<>();
            MemorySegment buf = Arena.ofAuto().allocate(3); // smaller than what comes: several receives
            ReceivedFds fds = new ReceivedFds();
            FdPassingChannel receiver = ends[1];
            loop.submit(() -> {
                receiver.register(loop, Interest.READABLE, event -> {
                    try {
                        long n;
                        while ((n = receiver.receive(buf, fds)) > 0) {
                            got.write(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
                            for (int i = 0; i < fds.count(); i++) {
                                received.add(fds.fd(i));
                            }
                            fds.clear();
                        }
                        if (received.size() == 3 && got.size() == 12) {
                            all.complete(null);
                        }
                    } catch (IOException e) {
                        all.completeExceptionally(e);
                    }
                });
                return null;
            }).get(30, TimeUnit.SECONDS);
            assertThrows(WrongThreadException.class, () -> receiver.receive(buf, fds));
            Arena arena = Arena.ofAuto();
            for (String s : new String[] {"one-", "two-", "thr-"}) {
                MemorySegment m = arena.allocate(4);
                MemorySegment.copy(s.getBytes(StandardCharsets.US_ASCII), 0, m, ValueLayout.JAVA_BYTE, 0, 4);
                assertEquals(4, ends[0].send(m, s.equals("two-") ? p[1] : p[0]));
            }
            all.get(60, TimeUnit.SECONDS);
            assertEquals("one-two-thr-", got.toString(StandardCharsets.US_ASCII));
            MemorySegment m = arena.allocate(12);
            MemorySegment.copy("via the loop".getBytes(StandardCharsets.US_ASCII), 0, m, ValueLayout.JAVA_BYTE, 0, 12);
            assertEquals(12, OS.write(received.get(1), m, 12), "the received write end");
            MemorySegment in = arena.allocate(32);
            assertEquals(12, OS.read(received.get(0), in, 32), "the received read end");
            assertEquals("via the loop", text(in, 12));
        } finally {
            loop.close();
            assertTrue(loop.awaitTermination(60, TimeUnit.SECONDS));
        }
        assertFalse(ends[1].isOpen(), "the loop closed its channel");
        ends[1].close(); // closed already: nothing to do, on any thread
        return received;
    }
}
