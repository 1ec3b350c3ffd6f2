package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.Platform;
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

import static io.ffpoll.bindings.testing.Guarded.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The BSD platforms check lengths against segments as Linux does (PlatformBoundsTest), before
 * anything is linked: so on Linux, where their libc calls would reach glibc's on this
 * process's own sockets, every rejected call links no symbol.
 */
class BsdBoundsTest {
    private final Arena arena = Arena.ofConfined();
    private TcpPair pair;
    private int linked;

    @BeforeEach
    void connect() {
        pair = new TcpPair(arena);
        linked = BsdPlatform.linkedSymbols();
    }

    @AfterEach
    void close() {
        pair.close();
        arena.close();
        assertEquals(linked, BsdPlatform.linkedSymbols(), "a rejected call linked a libc symbol");
    }

    private static BsdPlatform[] platforms() {
        return new BsdPlatform[] {BsdPlatform.macos(), BsdPlatform.freebsd()};
    }

    @Test
    void readWriteAndSendStayInsideTheSegment() {
        MemorySegment data = arena.allocate(64);
        assertEquals(64, Platform.current().send(pair.client, data, 64, false));
        for (BsdPlatform p : platforms()) {
            Guarded buf = new Guarded(arena, 8);
            IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "read",
                    () -> p.read(pair.server, buf.segment(), 64), buf);
            assertEquals("read: count 64 out of bounds for buf of 8 bytes", e.getMessage());
            e = rejects(IndexOutOfBoundsException.class, "write", () -> p.write(pair.client, buf.segment(), 64), buf);
            assertEquals("write: count 64 out of bounds for buf of 8 bytes", e.getMessage());
            e = rejects(IndexOutOfBoundsException.class, "send", () -> p.send(pair.client, buf.segment(), 64, true), buf);
            assertEquals("send: length 64 out of bounds for buf of 8 bytes", e.getMessage());
            Gather gather = p.allocateGather(arena, 2);
            e = rejects(IndexOutOfBoundsException.class, "sendmsg", () -> p.sendGathered(pair.client, gather, 3));
            assertEquals("sendmsg: count 3 out of bounds for gather of 2 iovecs", e.getMessage());
        }
    }

    @Test
    void acceptAndGetsocknameWriteNoAddressPastTheirSegments() {
        pair.connectClient();
        for (BsdPlatform p : platforms()) {
            String accept = p.abi().hasAccept4() ? "accept4" : "accept";
            Guarded addr = new Guarded(arena, 8);
            Guarded len = new Guarded(arena, 4);
            len.segment().set(ValueLayout.JAVA_INT, 0, (int) p.sockaddrSize());
            IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, accept,
                    () -> p.accept(pair.listener, addr.segment(), len.segment()), addr, len);
            assertEquals(accept + ": *addrlen 128 out of bounds for addr of 8 bytes", e.getMessage());
            e = rejects(IndexOutOfBoundsException.class, "getsockname",
                    () -> p.getsockname(pair.client, addr.segment(), len.segment()), addr, len);
            assertEquals("getsockname: *addrlen 128 out of bounds for addr of 8 bytes", e.getMessage());
            Guarded storage = new Guarded(arena, p.sockaddrSize());
            Guarded shortLen = new Guarded(arena, 2);
            shortLen.segment().set(ValueLayout.JAVA_SHORT, 0, (short) 16);
            e = rejects(IndexOutOfBoundsException.class, "getsockname",
                    () -> p.getsockname(pair.client, storage.segment(), shortLen.segment()), storage, shortLen);
            assertEquals("getsockname: socklen_t (4 bytes) out of bounds for addrlen of 2 bytes", e.getMessage());
            IllegalArgumentException a = rejects(IllegalArgumentException.class, accept,
                    () -> p.accept(pair.listener, storage.segment(), MemorySegment.NULL), storage);
            assertEquals(accept + ": addrlen is NULL but addr is not", a.getMessage());
        }
    }

    @Test
    void bindAndConnectReadNoAddressFromPastTheSegment() {
        int fd = pair.socket();
        for (BsdPlatform p : platforms()) {
            Guarded addr = new Guarded(arena, 8);
            MemorySegment.copy(pair.address(), 0, addr.whole(), 0, pair.addressLength());
            addr.seal();
            IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "bind",
                    () -> p.bind(fd, addr.segment(), pair.addressLength()), addr);
            assertEquals("bind: addrlen 16 out of bounds for addr of 8 bytes", e.getMessage());
            e = rejects(IndexOutOfBoundsException.class, "connect",
                    () -> p.connect(fd, addr.segment(), pair.addressLength()), addr);
            assertEquals("connect: addrlen 16 out of bounds for addr of 8 bytes", e.getMessage());
        }
    }

    @Test
    void encodeAndDecodeStayInsideTheirSegments() throws Exception {
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 8080);
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 443);
        for (BsdPlatform p : platforms()) {
            Guarded dst = new Guarded(arena, 28);
            IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "encode",
                    () -> p.encode(v6, dst.segment()), dst);
            assertEquals("encode: sockaddr_storage (128 bytes) out of bounds for dst of 28 bytes", e.getMessage());
            Guarded src = new Guarded(arena, 8);
            p.encode(v4, src.whole());
            src.seal();
            e = rejects(IndexOutOfBoundsException.class, "decode", () -> p.decode(src.segment()), src);
            assertEquals("decode: sockaddr_in (16 bytes) out of bounds for src of 8 bytes", e.getMessage());
            Guarded src6 = new Guarded(arena, 24);
            p.encode(v6, src6.whole());
            src6.seal();
            e = rejects(IndexOutOfBoundsException.class, "decode", () -> p.decode(src6.segment()), src6);
            assertEquals("decode: sockaddr_in6 (28 bytes) out of bounds for src of 24 bytes", e.getMessage());
            e = rejects(IndexOutOfBoundsException.class, "decode", () -> p.decode(src.whole().asSlice(0, 1)));
            assertEquals("decode: sa_len, sa_family (2 bytes) out of bounds for src of 1 byte", e.getMessage());
            assertEquals(v4, p.decode(src.whole().asSlice(0, 16)));
            assertEquals(v6, p.decode(src6.whole().asSlice(0, 28)));
        }
    }

    /** What NativeKevent checks before every kevent(), here without libkqueue (KeventBoundsTest calls it there). */
    @Test
    void keventCountsMustFitTheirListsInEveryLayout() {
        for (KeventAbi abi : KeventAbi.values()) {
            MemorySegment list = abi.allocate(arena, 2);
            MemorySegment timeout = arena.allocate(16, 8);
            NativeKevent.checkLists(abi, list, 2, list, 2, timeout);
            NativeKevent.checkLists(abi, MemorySegment.NULL, 0, MemorySegment.NULL, 0, MemorySegment.NULL);
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> NativeKevent.checkLists(abi, list, 3, MemorySegment.NULL, 0, timeout));
            assertEquals("kevent: nchanges 3 (" + 3 * abi.size + " bytes) out of bounds for changelist of "
                    + 2 * abi.size + " bytes", e.getMessage());
            e = assertThrows(IndexOutOfBoundsException.class,
                    () -> NativeKevent.checkLists(abi, list, 1, list, 3, timeout));
            assertEquals("kevent: nevents 3 (" + 3 * abi.size + " bytes) out of bounds for eventlist of "
                    + 2 * abi.size + " bytes", e.getMessage());
            e = assertThrows(IndexOutOfBoundsException.class,
                    () -> NativeKevent.checkLists(abi, list, -1, list, 0, timeout));
            assertEquals("kevent: nchanges -1 out of bounds for changelist of " + 2 * abi.size + " bytes", e.getMessage());
            e = assertThrows(IndexOutOfBoundsException.class,
                    () -> NativeKevent.checkLists(abi, list, 0, list, 1, timeout.asSlice(0, 8)));
            assertEquals("kevent: struct timespec (16 bytes) out of bounds for timeout of 8 bytes", e.getMessage());
        }
    }
}
