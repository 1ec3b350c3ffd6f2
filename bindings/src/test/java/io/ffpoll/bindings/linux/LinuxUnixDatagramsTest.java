package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.platform.ReceiveBatch;
import io.ffpoll.bindings.platform.SendBatch;
import io.ffpoll.bindings.platform.UnixNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Linux datagram calls on AF_UNIX sockets: autobind, SO_MEMINFO (its number and slots
 * checked against SO_SNDBUF on this kernel), the two EAGAINs of a send told apart, sockaddr_un
 * senders through recvmmsg's and recvfrom's name buffers, read in place, and EPROTOTYPE (its
 * number checked against this kernel's answer).
 */
class LinuxUnixDatagramsTest {
    private static final Platform OS = Platform.current();
    private final Arena arena = Arena.ofConfined();
    @TempDir
    Path dir; // made before the descriptors are counted: JUnit's first use opens files of its own
    private final List<Integer> fds = new ArrayList<>();
    private long fdsBefore;

    @BeforeEach
    void linuxOnly() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(OS.name().equals("linux"));
        fdsBefore = openFds();
    }

    @AfterEach
    void closeAll() throws Exception {
        fds.forEach(OS::close);
        arena.close();
        assertEquals(fdsBefore, openFds(), "descriptors");
    }

    private static long openFds() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private int socket(DatagramCalls calls) {
        int fd = calls.socket(OS.unix().unixFamily());
        assertTrue(fd >= 0, "socket: " + fd);
        fds.add(fd);
        return fd;
    }

    /** The name {@code fd} is bound to, as the kernel encodes it: family, then sun_path. */
    private byte[] nameOf(int fd) {
        MemorySegment sa = OS.allocateSockaddr(arena);
        MemorySegment len = arena.allocate(4);
        len.set(ValueLayout.JAVA_INT, 0, (int) OS.sockaddrSize());
        assertEquals(0, OS.getsockname(fd, sa, len));
        return OS.unix().decodeUnix(sa, len.get(ValueLayout.JAVA_INT, 0));
    }

    @Test
    void autobindPicksAnAbstractNameOfFiveHexDigits() {
        DatagramCalls calls = LinuxDatagrams.create(true);
        int fd = socket(calls);
        assertEquals(0, nameOf(fd).length, "unnamed before");
        assertEquals(0, calls.autobind(fd));
        byte[] name = nameOf(fd);
        assertEquals(0, name[0], "abstract: a leading NUL");
        assertTrue(new String(name, 1, name.length - 1, StandardCharsets.US_ASCII).matches("[0-9a-f]{5}"),
                new String(name, StandardCharsets.US_ASCII));
        assertTrue(calls.abstractUnixNames());
    }

    /** A path: the abstract namespace keys a name by socket type too, so there the probe finds nothing (ECONNREFUSED). */
    @Test
    void aDatagramSocketConnectingToAStreamListenersPathIsRefusedWithEprototype() {
        int listener = OS.unix().unixStreamSocket();
        assertTrue(listener >= 0);
        fds.add(listener);
        MemorySegment sa = OS.allocateSockaddr(arena);
        int len = OS.unix().encodeUnix(dir.resolve("s").toString().getBytes(StandardCharsets.UTF_8), false, sa);
        assertEquals(0, OS.bind(listener, sa, len));
        assertEquals(0, OS.listen(listener, 1));
        int probe = socket(LinuxDatagrams.create(true));
        assertEquals(-ErrnoCodes.EPROTOTYPE, OS.connect(probe, sa, len), "91, as hard-coded");
        assertEquals("EPROTOTYPE (Protocol wrong type for socket)", OS.describe(ErrnoCodes.EPROTOTYPE));
        assertEquals(ErrnoCodes.EPROTOTYPE, Err.EPROTOTYPE);
    }

    @Test
    void soMeminfoReadsTheSendBufferAsSoSndbufDoes() {
        DatagramCalls calls = LinuxDatagrams.create(true);
        int fd = socket(calls);
        MemorySegment info = arena.allocate(4L * 9);
        MemorySegment len = arena.allocate(4);
        len.set(ValueLayout.JAVA_INT, 0, (int) info.byteSize());
        assertEquals(0, SockOpts.getsockopt(fd, Sockets.SOL_SOCKET, Datagrams.SO_MEMINFO, info, len));
        assertEquals(info.byteSize(), len.get(ValueLayout.JAVA_INT, 0), "SK_MEMINFO_VARS u32s");
        assertEquals(Sockets.getsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF),
                info.getAtIndex(ValueLayout.JAVA_INT, Datagrams.SK_MEMINFO_SNDBUF), "SK_MEMINFO_SNDBUF is SO_SNDBUF");
        assertEquals(0, info.getAtIndex(ValueLayout.JAVA_INT, Datagrams.SK_MEMINFO_WMEM_ALLOC), "nothing sent yet");
        assertEquals(0, calls.sendBufferFull(fd));
    }

    /** Sends 64-byte datagrams from {@code from} to the abstract {@code name} until EAGAIN; returns how many went. */
    private int sendUntilEagain(DatagramCalls calls, int from, byte[] name) {
        MemorySegment payloads = arena.allocate(64);
        MemorySegment names = OS.allocateSockaddr(arena);
        SendBatch out = calls.allocateSend(arena, 1);
        out.use(payloads, names);
        out.set(0, 0, 64, 0, OS.unix().encodeUnix(name, true, names), 0);
        for (int sent = 0; sent < 10_000; sent++) {
            payloads.set(ValueLayout.JAVA_BYTE, 0, (byte) sent);
            int r = calls.send(from, out, 1);
            if (r == -Err.EAGAIN) {
                return sent;
            }
            assertEquals(1, r, "send " + sent);
        }
        throw new AssertionError("no EAGAIN in 10,000 datagrams");
    }

    @Test
    void sendBufferFullTellsAFullReceiverFromAFullSenderAndNamesComeWhole() throws Exception {
        int queue = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/unix/max_dgram_qlen")).get(0).trim()) + 1;
        for (DatagramCalls calls : List.of(LinuxDatagrams.create(true), LinuxDatagrams.create(false))) {
            int receiver = socket(calls);
            assertEquals(0, calls.autobind(receiver));
            byte[] receiverName = java.util.Arrays.copyOfRange(nameOf(receiver), 1, nameOf(receiver).length);
            int sender = socket(calls);
            assertEquals(0, calls.autobind(sender));
            assertEquals(queue, sendUntilEagain(calls, sender, receiverName), "the receiver's queue took what it holds");
            assertEquals(0, calls.sendBufferFull(sender), "EAGAIN from the receiver's full queue, not this socket's");

            ReceiveBatch in = calls.allocateReceive(arena, arena.allocate(4 * 65L), 4, 64, false);
            assertTrue(ReceiveBatch.NAME_SIZE >= UnixSockets.PATH_OFFSET + UnixSockets.PATH_CAPACITY,
                    "a slot's name holds a sockaddr_un");
            byte[] senderName = nameOf(sender);
            byte[] read = new byte[108];
            int got = 0;
            for (int r; (r = calls.receive(receiver, in)) > 0; got += r) {
                for (int i = 0; i < r; i++) {
                    assertEquals(got + i, in.payloads().get(ValueLayout.JAVA_BYTE, in.offset(i)), "in order");
                    assertTrue(UnixNames.isAbstract(in.name(i), in.nameLength(i), true));
                    int n = UnixNames.read(in.name(i), in.nameLength(i), true, read);
                    assertArrayEquals(java.util.Arrays.copyOfRange(senderName, 1, senderName.length),
                            java.util.Arrays.copyOf(read, n), "the sender's abstract name, in place");
                }
            }
            assertEquals(queue, got);

            int small = socket(calls);
            assertEquals(0, Sockets.setsockopt(small, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, 1)); // the kernel's least
            assertTrue(sendUntilEagain(calls, small, receiverName) < queue, "this socket's buffer fills first");
            assertEquals(1, calls.sendBufferFull(small), "EAGAIN from this socket's own full buffer");
        }
    }
}
