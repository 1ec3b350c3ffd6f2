package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.platform.ReceiveBatch;
import io.ffpoll.bindings.platform.SendBatch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Linux datagram calls over two real UDP sockets: a batch in one sendmmsg and one recvmmsg
 * (counted), lengths, MSG_TRUNC and senders per slot, EAGAIN when drained; the same through
 * recvfrom and sendto; the bounds checked before any call.
 */
class LinuxDatagramsTest {
    private static final Platform OS = Platform.current();
    private long fdsBefore;

    @BeforeEach
    void linuxOnly() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(OS.name().equals("linux"));
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            fdsBefore = s.count();
        }
    }

    private void exchange(DatagramCalls calls, String send, String receive) throws Exception {
        Thread me = Thread.currentThread();
        try (Arena arena = Arena.ofConfined()) {
            InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            int a = calls.socket(OS.family(any));
            int b = calls.socket(OS.family(any));
            try {
                MemorySegment sa = OS.allocateSockaddr(arena);
                assertEquals(0, OS.bind(a, sa, OS.encode(any, sa)));
                assertEquals(0, OS.bind(b, sa, OS.encode(any, sa)));
                MemorySegment len = arena.allocate(4);
                len.set(ValueLayout.JAVA_INT, 0, 128);
                assertEquals(0, OS.getsockname(b, sa, len));
                int bPort = OS.decode(sa).getPort();
                len.set(ValueLayout.JAVA_INT, 0, 128);
                MemorySegment aName = OS.allocateSockaddr(arena);
                assertEquals(0, OS.getsockname(a, aName, len));
                int aPort = OS.decode(aName).getPort();

                MemorySegment payloads = arena.allocate(400);
                for (int i = 0; i < 400; i++) {
                    payloads.set(ValueLayout.JAVA_BYTE, i, (byte) i);
                }
                SendBatch out = calls.allocateSend(arena, 3);
                out.use(payloads, sa);
                out.set(0, 0, 10, 0, 16, 0);
                out.set(1, 10, 0, 0, 16, 0); // an empty datagram is one too
                out.set(2, 20, 300, 0, 16, 0);
                long sends = Syscalls.count(send, me);
                assertEquals(3, calls.send(a, out, 3));
                assertEquals(send.equals("sendmmsg") ? 1 : 3, Syscalls.count(send, me) - sends);

                ReceiveBatch in = calls.allocateReceive(arena, arena.allocate(4 * 101), 4, 100, false);
                long receives = Syscalls.count(receive, me);
                int got = 0;
                long deadline = System.nanoTime() + 30_000_000_000L;
                int r;
                while ((r = calls.receive(b, in)) == -Err.EAGAIN && System.nanoTime() < deadline) {
                    Thread.onSpinWait(); // loopback delivers at once, but nothing promises it
                }
                got = r;
                assertEquals(3, got);
                assertEquals(10, in.length(0));
                assertEquals(0, in.length(1));
                assertEquals(100, in.length(2), "cut to the slot");
                assertFalse(in.truncated(0) || in.truncated(1));
                assertTrue(in.truncated(2), "300 bytes into 100: reported cut");
                for (int i = 0; i < 3; i++) {
                    assertEquals(aPort, OS.decode(in.name(i)).getPort());
                    assertEquals(aPort, calls.port(in.name(i)));
                    assertEquals(0, in.segmentSize(i));
                }
                assertEquals((byte) 5, in.payloads().get(ValueLayout.JAVA_BYTE, in.offset(0) + 5));
                assertEquals((byte) 20, in.payloads().get(ValueLayout.JAVA_BYTE, in.offset(2)));
                assertEquals(-Err.EAGAIN, calls.receive(b, in), "drained");
                long made = Syscalls.count(receive, me) - receives;
                assertTrue(receive.equals("recvmmsg") ? made >= 2 : made >= 5, receive + " calls: " + made);
                assertTrue(bPort > 0);

                assertThrows(IndexOutOfBoundsException.class, () -> calls.send(a, out, 4), "more than the batch");
                assertThrows(IndexOutOfBoundsException.class, () -> out.set(0, 390, 20, 0, 16, 0), "past the payloads");
                assertThrows(IndexOutOfBoundsException.class,
                        () -> calls.allocateReceive(arena, arena.allocate(100), 4, 100, false), "payloads too small");
            } finally {
                OS.close(a);
                OS.close(b);
            }
        }
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            assertEquals(fdsBefore, s.count(), "descriptors");
        }
    }

    @Test
    void aBatchGoesInOneSendmmsgAndComesInOneRecvmmsg() throws Exception {
        exchange(LinuxDatagrams.create(true), "sendmmsg", "recvmmsg");
    }

    @Test
    void theOneCallPathMakesOneCallPerDatagram() throws Exception {
        exchange(LinuxDatagrams.create(false), "sendto", "recvfrom");
    }

    @Test
    void platformGivesTheBatchedCalls() {
        assertTrue(OS.datagrams().batched());
        assertTrue(OS.datagrams().segmentation());
        assertEquals(OS.datagrams(), OS.datagrams(), "made once");
    }

    @Test
    void anErrorAfterSomeDatagramsIsKeptForTheCallerNotDropped() throws Exception {
        // recvfrom's error (ECONNREFUSED from ICMP, say) consumes the socket's pending error: on
        // the one-call-per-datagram path, an error after n datagrams must come back with them.
        DatagramCalls single = LinuxDatagrams.create(false);
        String thread = "recvfrom-fault-" + System.nanoTime();
        long seed = 0;
        for (; ; seed++) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(seed ^ thread.hashCode());
            boolean ok = r.nextDouble() >= 0.5 && r.nextDouble() < 0.5;
            for (int k = 0; ok && k < 10; k++) {
                ok = r.nextDouble() >= 0.5;
            }
            if (ok) {
                break;
            }
        }
        long chosen = seed;
        int[] results = new int[3];
        int[] pending = new int[3];
        try (Arena arena = Arena.ofShared()) {
            InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            int b = single.socket(OS.family(any));
            try (java.net.DatagramSocket peer = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                MemorySegment sa = OS.allocateSockaddr(arena);
                assertEquals(0, OS.bind(b, sa, OS.encode(any, sa)));
                MemorySegment len = arena.allocate(4);
                len.set(ValueLayout.JAVA_INT, 0, 128);
                assertEquals(0, OS.getsockname(b, sa, len));
                InetSocketAddress to = OS.decode(sa);
                for (int i = 0; i < 3; i++) {
                    peer.send(new java.net.DatagramPacket(new byte[] {(byte) i}, 1, to));
                }
                ReceiveBatch in = single.allocateReceive(arena, arena.allocate(4 * 101), 4, 100, false);
                io.ffpoll.bindings.internal.Faults.install(chosen,
                        java.util.List.of(new io.ffpoll.bindings.internal.Faults.Rule("recvfrom", Err.ECONNREFUSED, 0.5)),
                        thread);
                Thread t = new Thread(() -> {
                    for (int k = 0; k < 3; k++) {
                        int r;
                        long deadline = System.nanoTime() + 30_000_000_000L;
                        while ((r = single.receive(b, in)) == -Err.EAGAIN && k == 0 && System.nanoTime() < deadline) {
                            Thread.onSpinWait();
                        }
                        results[k] = r;
                        pending[k] = in.pendingError();
                    }
                }, thread);
                try {
                    t.start();
                    t.join();
                } finally {
                    io.ffpoll.bindings.internal.Faults.clear();
                }
            } finally {
                OS.close(b);
            }
        }
        assertEquals(1, results[0], "the datagram before the error");
        assertEquals(Err.ECONNREFUSED, pending[0], "the error comes back with it");
        assertEquals(2, results[1], "the two after it");
        assertEquals(0, pending[1]);
        assertEquals(-Err.EAGAIN, results[2]);
    }
}
