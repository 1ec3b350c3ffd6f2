package io.ffpoll.bindings;

import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.linux.LinuxPlatform;
import io.ffpoll.bindings.testing.Guarded;
import io.ffpoll.bindings.testing.TcpPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import static io.ffpoll.bindings.testing.Guarded.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every {@link Platform} call that takes memory and a length checks the length against the
 * memory before the call: FFM hands native code a bare address, so a length past the segment
 * would have the kernel read or write past it. Each test gives a too-small segment with a
 * sentinel after it ({@link Guarded}) and expects an IndexOutOfBoundsException naming the call
 * and both sizes, no syscall, and the sentinel intact; then the right length still works.
 */
class PlatformBoundsTest {
    private static final Platform OS = Platform.current();
    private final Arena arena = Arena.ofConfined();
    private TcpPair pair;

    @BeforeEach
    void connect() {
        pair = new TcpPair(arena);
    }

    @AfterEach
    void close() {
        pair.close();
        arena.close();
    }

    private MemorySegment bytes(int n) {
        MemorySegment s = arena.allocate(n);
        for (int i = 0; i < n; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) i);
        }
        return s;
    }

    private void sendAll(int fd, MemorySegment data) {
        assertEquals(data.byteSize(), OS.send(fd, data, data.byteSize(), false));
    }

    @Test
    void readTakesNoMoreThanTheSegmentHolds() {
        sendAll(pair.client, bytes(64));
        Guarded buf = new Guarded(arena, 8);
        IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "read",
                () -> OS.read(pair.server, buf.segment(), 64), buf);
        assertEquals("read: count 64 out of bounds for buf of 8 bytes", e.getMessage());
        rejects(IndexOutOfBoundsException.class, "read", () -> OS.read(pair.server, buf.segment(), -1), buf);
        assertEquals(8, OS.read(pair.server, buf.segment(), 8));
        assertEquals(0, buf.overwritten());
    }

    @Test
    void writeAndSendSendNothingFromPastTheSegment() {
        Guarded buf = new Guarded(arena, 8);
        IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "write",
                () -> OS.write(pair.client, buf.segment(), 64), buf);
        assertEquals("write: count 64 out of bounds for buf of 8 bytes", e.getMessage());
        e = rejects(IndexOutOfBoundsException.class, "send",
                () -> OS.send(pair.client, buf.segment(), 64, true), buf);
        assertEquals("send: length 64 out of bounds for buf of 8 bytes", e.getMessage());
        rejects(IndexOutOfBoundsException.class, "send", () -> OS.send(pair.client, buf.segment(), -1, false), buf);
        assertEquals(8, OS.write(pair.client, buf.segment(), 8));
        assertEquals(8, OS.send(pair.client, buf.segment(), 8, false));
    }

    @Test
    void aGatheredSendUsesNoMoreIovecsThanTheGatherHas() {
        Gather gather = OS.allocateGather(arena, 2);
        MemorySegment data = bytes(8);
        gather.set(0, data, 0, 4);
        gather.set(1, data, 4, 4);
        IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "sendmsg",
                () -> OS.sendGathered(pair.client, gather, 4));
        assertEquals("sendmsg: count 4 out of bounds for gather of 2 iovecs", e.getMessage());
        rejects(IndexOutOfBoundsException.class, "sendmsg", () -> OS.sendGathered(pair.client, gather, -1));
        e = rejects(IndexOutOfBoundsException.class, "Gather.set", () -> {
            gather.set(1, data, 4, 8);
            return null;
        });
        assertEquals("Gather.set: offset 4, length 8 out of bounds for base of 8 bytes", e.getMessage());
        assertEquals(8, OS.sendGathered(pair.client, gather, 2));
    }

    /** The calls that write an address and its length: the peer's (accept) or the socket's own. */
    private void rejectsBadAddressMemory(String call, AddressCall c) {
        Guarded addr = new Guarded(arena, 8);
        Guarded len = new Guarded(arena, 4);
        len.segment().set(ValueLayout.JAVA_INT, 0, (int) OS.sockaddrSize());
        IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, call,
                () -> c.call(addr.segment(), len.segment()), addr, len);
        assertEquals(call + ": *addrlen 128 out of bounds for addr of 8 bytes", e.getMessage());

        len.segment().set(ValueLayout.JAVA_INT, 0, -1);
        e = rejects(IndexOutOfBoundsException.class, call, () -> c.call(addr.segment(), len.segment()), addr, len);
        assertEquals(call + ": *addrlen -1 out of bounds for addr of 8 bytes", e.getMessage());

        // A socklen_t in a 2-byte segment: the kernel would read and write 4.
        Guarded storage = new Guarded(arena, OS.sockaddrSize());
        Guarded shortLen = new Guarded(arena, 2);
        shortLen.segment().set(ValueLayout.JAVA_SHORT, 0, (short) OS.sockaddrSize());
        e = rejects(IndexOutOfBoundsException.class, call,
                () -> c.call(storage.segment(), shortLen.segment()), storage, shortLen);
        assertEquals(call + ": socklen_t (4 bytes) out of bounds for addrlen of 2 bytes", e.getMessage());

        IllegalArgumentException a = rejects(IllegalArgumentException.class, call,
                () -> c.call(storage.segment(), MemorySegment.NULL), storage);
        assertEquals(call + ": addrlen is NULL but addr is not", a.getMessage());
    }

    @FunctionalInterface
    private interface AddressCall {
        int call(MemorySegment addr, MemorySegment addrLen);
    }

    private static List<Platform> acceptingPlatforms() {
        // On Linux, also the accept-then-fcntl path of systems without accept4.
        return OS instanceof LinuxPlatform ? List.of(OS, LinuxPlatform.create(true)) : List.of(OS);
    }

    @Test
    void acceptWritesNoAddressPastItsSegments() {
        for (Platform p : acceptingPlatforms()) {
            String call = p instanceof LinuxPlatform l && l.fcntlAfter() ? "accept" : "accept4";
            int client = pair.connectClient();
            rejectsBadAddressMemory(call, (addr, len) -> p.accept(pair.listener, addr, len));
            // The connection is still there, and the right sizes take it with its address.
            MemorySegment addr = OS.allocateSockaddr(arena);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, (int) OS.sockaddrSize());
            pair.track(acceptOne(() -> p.accept(pair.listener, addr, len)));
            assertEquals(localAddress(client), OS.decode(addr));
            // NULL for the address: the kernel ignores addrlen then, and so does the check.
            pair.connectClient();
            MemorySegment oneByte = arena.allocate(1);
            pair.track(acceptOne(() -> p.accept(pair.listener, MemorySegment.NULL, oneByte)));
        }
    }

    private static int acceptOne(java.util.function.IntSupplier accept) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        int fd;
        while ((fd = accept.getAsInt()) == -Err.EAGAIN && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        return fd;
    }

    private InetSocketAddress localAddress(int fd) {
        MemorySegment addr = OS.allocateSockaddr(arena);
        MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
        len.set(ValueLayout.JAVA_INT, 0, (int) OS.sockaddrSize());
        assertEquals(0, OS.getsockname(fd, addr, len));
        return OS.decode(addr);
    }

    @Test
    void getsocknameWritesNoAddressPastItsSegments() {
        rejectsBadAddressMemory("getsockname", (addr, len) -> OS.getsockname(pair.client, addr, len));
        assertTrue(localAddress(pair.client).getPort() > 0);
    }

    @Test
    void bindAndConnectReadNoAddressFromPastTheSegment() throws Exception {
        // The first 8 bytes of a sockaddr_in in the segment, the other 8 past it.
        Guarded addr = new Guarded(arena, 8);
        int length = OS.encode(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), addr.whole());
        addr.seal();
        int fd = pair.socket();
        IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "bind",
                () -> OS.bind(fd, addr.segment(), length), addr);
        assertEquals("bind: addrlen 16 out of bounds for addr of 8 bytes", e.getMessage());
        rejects(IndexOutOfBoundsException.class, "bind", () -> OS.bind(fd, addr.segment(), -1), addr);

        Guarded peer = new Guarded(arena, 8);
        MemorySegment.copy(pair.address(), 0, peer.whole(), 0, pair.addressLength());
        peer.seal();
        e = rejects(IndexOutOfBoundsException.class, "connect",
                () -> OS.connect(fd, peer.segment(), pair.addressLength()), peer);
        assertEquals("connect: addrlen 16 out of bounds for addr of 8 bytes", e.getMessage());
        assertEquals(0, OS.bind(fd, addr.whole(), length));
    }

    @Test
    void encodeAndDecodeStayInsideTheirSegments() throws Exception {
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 8080);
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 8443);
        Guarded dst = new Guarded(arena, 16);
        IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "encode",
                () -> OS.encode(v4, dst.segment()), dst);
        assertEquals("encode: sockaddr_storage (128 bytes) out of bounds for dst of 16 bytes", e.getMessage());

        Guarded src = new Guarded(arena, 8);
        OS.encode(v4, src.whole());
        src.seal();
        e = rejects(IndexOutOfBoundsException.class, "decode", () -> OS.decode(src.segment()), src);
        assertEquals("decode: sockaddr_in (16 bytes) out of bounds for src of 8 bytes", e.getMessage());
        Guarded src6 = new Guarded(arena, 16);
        OS.encode(v6, src6.whole());
        src6.seal();
        e = rejects(IndexOutOfBoundsException.class, "decode", () -> OS.decode(src6.segment()), src6);
        assertEquals("decode: sockaddr_in6 (28 bytes) out of bounds for src of 16 bytes", e.getMessage());
        e = rejects(IndexOutOfBoundsException.class, "decode", () -> OS.decode(src.whole().asSlice(0, 1)));
        assertEquals("decode: sa_family (2 bytes) out of bounds for src of 1 byte", e.getMessage());

        assertEquals(v4, OS.decode(src.whole().asSlice(0, 16)));
        assertEquals(v6, OS.decode(src6.whole().asSlice(0, 28)));
    }
}
