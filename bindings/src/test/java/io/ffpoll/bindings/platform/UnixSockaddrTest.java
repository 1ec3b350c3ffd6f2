package io.ffpoll.bindings.platform;

import io.ffpoll.bindings.bsd.BsdPlatform;
import io.ffpoll.bindings.linux.LinuxPlatform;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sockaddr_un as each platform writes it: Linux paths with their NUL, abstract names with a
 * leading NUL and none after (the length is the name's end); BSD's sun_len and 104-byte
 * sun_path, and no abstract names. The BSD side encodes without linking anything, so it runs here.
 */
class UnixSockaddrTest {
    private final Arena arena = Arena.ofConfined();
    private final Platform linux = LinuxPlatform.create(false);

    @AfterEach
    void free() {
        arena.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void linuxPathHasItsNulAndDecodesBack() {
        MemorySegment sa = linux.allocateSockaddr(arena);
        sa.fill((byte) 0x55);
        int len = linux.unix().encodeUnix(bytes("/tmp/a.sock"), false, sa);
        assertEquals(2 + 11 + 1, len, "offsetof(sun_path) + strlen + NUL");
        assertEquals(linux.unix().unixFamily(), linux.unix().sockaddrFamily(sa));
        assertEquals(1, linux.unix().unixFamily(), "AF_UNIX");
        assertEquals(0, sa.get(ValueLayout.JAVA_BYTE, 2 + 11), "the path's NUL");
        assertArrayEquals(bytes("/tmp/a.sock"), linux.unix().decodeUnix(sa, len));
        assertArrayEquals(bytes("/tmp/a.sock"), linux.unix().decodeUnix(sa, 110), "a path ends at its NUL");
    }

    @Test
    void linuxAbstractNameHasALeadingNulAndNoTrailingOne() {
        MemorySegment sa = linux.allocateSockaddr(arena);
        int len = linux.unix().encodeUnix(bytes("app"), true, sa);
        assertEquals(2 + 1 + 3, len, "offsetof(sun_path) + 1 + name length, no NUL after");
        assertEquals(0, sa.get(ValueLayout.JAVA_BYTE, 2));
        assertEquals('a', sa.get(ValueLayout.JAVA_BYTE, 3));
        byte[] decoded = linux.unix().decodeUnix(sa, len);
        assertArrayEquals(new byte[] {0, 'a', 'p', 'p'}, decoded, "a leading NUL says abstract");
        assertEquals(0, linux.unix().decodeUnix(sa, 2).length, "unnamed: the family alone");
    }

    @Test
    void linuxRefusesTooLongNamesWithEnametoolong() {
        MemorySegment sa = linux.allocateSockaddr(arena);
        assertEquals(107, linux.unix().maxUnixNameBytes());
        assertEquals(2 + 1 + 107, linux.unix().encodeUnix(new byte[107], true, sa), "107 abstract bytes fit");
        byte[] path = bytes("/" + "p".repeat(106));
        assertEquals(2 + 107 + 1, linux.unix().encodeUnix(path, false, sa));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> linux.unix().encodeUnix(bytes("/" + "p".repeat(107)), false, sa));
        assertTrue(e.getMessage().startsWith("ENAMETOOLONG"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> linux.unix().encodeUnix(new byte[108], true, sa));
        assertThrows(IllegalArgumentException.class, () -> linux.unix().encodeUnix(new byte[0], false, sa));
        assertThrows(IllegalArgumentException.class, () -> linux.unix().encodeUnix(new byte[] {'a', 0, 'b'}, false, sa));
    }

    @Test
    void bsdHasSunLenA104BytePathAndNoAbstractNames() {
        for (BsdPlatform bsd : new BsdPlatform[] {BsdPlatform.macos(), BsdPlatform.freebsd()}) {
            int linked = BsdPlatform.linkedSymbols();
            MemorySegment sa = bsd.allocateSockaddr(arena);
            int len = bsd.unix().encodeUnix(bytes("/tmp/b.sock"), false, sa);
            assertEquals(2 + 11 + 1, len);
            assertEquals(len, Byte.toUnsignedInt(sa.get(ValueLayout.JAVA_BYTE, 0)), "sun_len");
            assertEquals(1, sa.get(ValueLayout.JAVA_BYTE, 1), "sun_family AF_UNIX");
            assertEquals(1, bsd.unix().sockaddrFamily(sa));
            assertArrayEquals(bytes("/tmp/b.sock"), bsd.unix().decodeUnix(sa, len));
            assertEquals(103, bsd.unix().maxUnixNameBytes());
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> bsd.unix().encodeUnix(new byte[104], false, sa));
            assertTrue(tooLong.getMessage().contains(bsd.name()), tooLong.getMessage());
            UnsupportedOperationException abs = assertThrows(UnsupportedOperationException.class,
                    () -> bsd.unix().encodeUnix(bytes("app"), true, sa));
            assertTrue(abs.getMessage().contains(bsd.name()) && abs.getMessage().contains("Linux only"), abs.getMessage());
            assertEquals(linked, BsdPlatform.linkedSymbols(), "encoding links nothing");
        }
    }

    /**
     * A path's bytes are the JDK's for the same path: the file-name encoding (sun.jnu.encoding)
     * on Linux and FreeBSD, after NFD on macOS (the JDK's MacOSXFileSystem decomposes); a
     * character the encoding cannot take is an error, never a silent '?'.
     */
    @Test
    void pathBytesAreTheJdksFileNameEncodingDecomposedOnMacos() {
        java.nio.charset.Charset jnu = java.nio.charset.Charset.forName(System.getProperty("sun.jnu.encoding"));
        String composed = "/tmp/\u00e9t\u00e9.sock";
        String decomposed = "/tmp/e\u0301te\u0301.sock";
        org.junit.jupiter.api.Assumptions.assumeTrue(jnu.newEncoder().canEncode(composed)
                && jnu.newEncoder().canEncode(decomposed), "this JVM's file-name encoding " + jnu + " has no \u00e9");
        assertArrayEquals(composed.getBytes(jnu), linux.unix().unixPathBytes(composed));
        assertArrayEquals(composed.getBytes(jnu), BsdPlatform.freebsd().unix().unixPathBytes(composed));
        assertArrayEquals(decomposed.getBytes(jnu), BsdPlatform.macos().unix().unixPathBytes(composed));
        assertArrayEquals(bytes("/tmp/a.sock"), BsdPlatform.macos().unix().unixPathBytes("/tmp/a.sock"));
        assertEquals(composed, UnixNames.decodePath(linux.unix().unixPathBytes(composed)));
        IllegalArgumentException lone = assertThrows(IllegalArgumentException.class,
                () -> linux.unix().unixPathBytes("/tmp/\ud800.sock"));
        assertTrue(lone.getMessage().contains("sun.jnu.encoding"), lone.getMessage());
    }

    /** What a datagram's sender looks like from recvmmsg or recvfrom, read in place on either encoding. */
    @Test
    void aSendersNameIsReadInPlaceOnEitherEncoding() {
        MemorySegment sa = linux.allocateSockaddr(arena);
        byte[] out = new byte[108];
        int len = linux.unix().encodeUnix(bytes("/tmp/c.sock"), false, sa);
        assertEquals(11, UnixNames.read(sa, len, true, out));
        assertArrayEquals(bytes("/tmp/c.sock"), java.util.Arrays.copyOf(out, 11));
        assertEquals(11, UnixNames.read(sa, len - 1, true, null), "bound by a program that did not count the NUL");
        assertFalse(UnixNames.isAbstract(sa, len, true));
        len = linux.unix().encodeUnix(new byte[] {'a', 0, 'b'}, true, sa);
        assertTrue(UnixNames.isAbstract(sa, len, true));
        assertEquals(3, UnixNames.read(sa, len, true, out), "an abstract name is every byte the length counts");
        assertArrayEquals(new byte[] {'a', 0, 'b'}, java.util.Arrays.copyOf(out, 3));
        assertEquals(0, UnixNames.read(sa, 0, true, out), "Linux's unnamed sender: no name at all");
        assertFalse(UnixNames.isAbstract(sa, 0, true));

        BsdPlatform bsd = BsdPlatform.freebsd();
        MemorySegment b = bsd.allocateSockaddr(arena);
        len = bsd.unix().encodeUnix(bytes("/tmp/d.sock"), false, b);
        assertEquals(11, UnixNames.read(b, len, false, out));
        assertArrayEquals(bytes("/tmp/d.sock"), java.util.Arrays.copyOf(out, 11));
        b.fill((byte) 0); // sun_noname: a struct sockaddr's 16 bytes, AF_UNIX, an empty path
        b.set(ValueLayout.JAVA_BYTE, 0, (byte) 16);
        b.set(ValueLayout.JAVA_BYTE, 1, (byte) 1);
        assertFalse(UnixNames.isAbstract(b, 16, false), "no abstract names there: an empty path");
        assertEquals(0, UnixNames.read(b, 16, false, out), "the BSDs' unnamed sender");
    }

    @Test
    void theBsdsHaveNoAutobindAndWaitOnTheirOwnEagain() {
        for (BsdPlatform bsd : new BsdPlatform[] {BsdPlatform.macos(), BsdPlatform.freebsd()}) {
            int linked = BsdPlatform.linkedSymbols();
            DatagramCalls calls = io.ffpoll.bindings.bsd.BsdDatagrams.create(bsd);
            assertFalse(calls.abstractUnixNames());
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> calls.autobind(3));
            assertTrue(e.getMessage().contains(bsd.name()) && e.getMessage().contains("Linux only"), e.getMessage());
            assertEquals(1, calls.sendBufferFull(3), "cannot tell: wait, as for UDP");
            assertEquals(linked, BsdPlatform.linkedSymbols(), "links nothing");
        }
    }
}
