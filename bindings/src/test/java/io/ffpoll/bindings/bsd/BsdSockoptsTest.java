package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.SocketOption;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The BSD socket option table, each number with the header it comes from (read in
 * freebsd/freebsd-src and apple-oss-distributions/xnu; no BSD machine here to probe), and the
 * refusal of the options an OS lacks before any call.
 */
class BsdSockoptsTest {

    @Test
    void freebsdNumbers() {
        BsdAbi f = BsdAbi.FREEBSD;
        // sys/netinet/tcp.h: TCP_NOPUSH 4, TCP_KEEPIDLE 256, TCP_KEEPINTVL 512, TCP_KEEPCNT 1024,
        // TCP_FASTOPEN 1025.
        assertEquals(4, BsdSockopts.number(f, SocketOption.TCP_NOPUSH));
        assertEquals(256, BsdSockopts.number(f, SocketOption.TCP_KEEPIDLE));
        assertEquals(512, BsdSockopts.number(f, SocketOption.TCP_KEEPINTVL));
        assertEquals(1024, BsdSockopts.number(f, SocketOption.TCP_KEEPCNT));
        assertEquals(1025, BsdSockopts.number(f, SocketOption.TCP_FASTOPEN));
        // sys/netinet/in.h: IP_TOS 3 at IPPROTO_IP 0; sys/netinet6/in6.h: IPV6_TCLASS 61 at
        // IPPROTO_IPV6 41; sys/sys/socket.h: SO_LINGER 0x0080 (seconds).
        assertEquals(3, BsdSockopts.number(f, SocketOption.IP_TOS));
        assertEquals(0, BsdSockopts.level(SocketOption.IP_TOS));
        assertEquals(61, BsdSockopts.number(f, SocketOption.IPV6_TCLASS));
        assertEquals(41, BsdSockopts.level(SocketOption.IPV6_TCLASS));
        assertEquals(0x0080, BsdSockopts.lingerSeconds(f));
        assertEquals(BsdAbi.IPPROTO_TCP, BsdSockopts.level(SocketOption.TCP_KEEPIDLE));
        assertEquals(BsdAbi.SOL_SOCKET, BsdSockopts.level(SocketOption.KEEP_ALIVE));
    }

    @Test
    void macosNumbers() {
        BsdAbi m = BsdAbi.MACOS;
        // bsd/netinet/tcp.h: TCP_NOPUSH 0x04, TCP_KEEPALIVE 0x10 (the idle time), TCP_KEEPINTVL
        // 0x101, TCP_KEEPCNT 0x102, TCP_FASTOPEN 0x105.
        assertEquals(0x04, BsdSockopts.number(m, SocketOption.TCP_NOPUSH));
        assertEquals(0x10, BsdSockopts.number(m, SocketOption.TCP_KEEPIDLE));
        assertEquals(0x101, BsdSockopts.number(m, SocketOption.TCP_KEEPINTVL));
        assertEquals(0x102, BsdSockopts.number(m, SocketOption.TCP_KEEPCNT));
        assertEquals(0x105, BsdSockopts.number(m, SocketOption.TCP_FASTOPEN));
        // bsd/netinet/in.h: IP_TOS 3, IPPROTO_IPV6 41; bsd/netinet6/in6.h: IPV6_TCLASS 36 (not
        // FreeBSD's 61); bsd/sys/socket.h: SO_LINGER 0x0080 counts ticks, SO_LINGER_SEC 0x1080
        // seconds.
        assertEquals(3, BsdSockopts.number(m, SocketOption.IP_TOS));
        assertEquals(36, BsdSockopts.number(m, SocketOption.IPV6_TCLASS));
        assertEquals(0x1080, BsdSockopts.lingerSeconds(m));
    }

    @Test
    void whatNeitherHasIsRefusedByNameBeforeAnyCall() {
        int linked = BsdPlatform.linkedSymbols();
        for (BsdPlatform p : new BsdPlatform[] {BsdPlatform.macos(), BsdPlatform.freebsd()}) {
            for (SocketOption o : new SocketOption[] {SocketOption.TCP_USER_TIMEOUT, SocketOption.TCP_FASTOPEN_CONNECT,
                    SocketOption.TCP_DEFER_ACCEPT, SocketOption.TCP_CORK, SocketOption.SO_BUSY_POLL}) {
                assertFalse(p.options().supports(o), o + " on " + p.name());
                assertEquals(-1, BsdSockopts.number(p.abi(), o));
                UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> p.options().setOption(-1, o, 1));
                assertEquals("socket option " + o + " is not available on " + p.name(), e.getMessage());
                assertThrows(UnsupportedOperationException.class, () -> p.options().getOption(-1, o));
            }
            assertTrue(p.options().supports(SocketOption.TCP_NOPUSH));
            assertFalse(p.options().hasTcpInfo());
            assertThrows(UnsupportedOperationException.class, () -> p.options().tcpInfo(-1, new int[64]));
        }
        assertEquals(linked, BsdPlatform.linkedSymbols(), "a refused option linked a libc symbol");
    }
}
