package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.ErrnoName;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The BSDs' datagram calls where Linux can check them: the numbers (each with the header it
 * comes from, the same in XNU and FreeBSD, which took them from 4.4BSD and KAME), the sockaddrs
 * that {@link BsdPlatform#encode} writes read back without allocation, and no GSO or GRO.
 * Nothing here makes a call, so nothing is linked.
 */
class BsdDatagramsTest {

    @Test
    void numbers() {
        // sys/socket.h: SOCK_DGRAM 2, SO_BROADCAST 0x0020.
        assertEquals(2, BsdDatagrams.SOCK_DGRAM);
        assertEquals(0x20, BsdDatagrams.SO_BROADCAST);
        // netinet/in.h: IPPROTO_IP 0, IPPROTO_IPV6 41; IP_MULTICAST_TTL 10, IP_MULTICAST_LOOP 11,
        // IP_ADD_MEMBERSHIP 12, IP_DROP_MEMBERSHIP 13.
        assertEquals(0, BsdDatagrams.IPPROTO_IP);
        assertEquals(41, BsdDatagrams.IPPROTO_IPV6);
        assertEquals(10, BsdDatagrams.IP_MULTICAST_TTL);
        assertEquals(11, BsdDatagrams.IP_MULTICAST_LOOP);
        assertEquals(12, BsdDatagrams.IP_ADD_MEMBERSHIP);
        assertEquals(13, BsdDatagrams.IP_DROP_MEMBERSHIP);
        // netinet6/in6.h: IPV6_MULTICAST_HOPS 10, IPV6_MULTICAST_LOOP 11, IPV6_JOIN_GROUP 12,
        // IPV6_LEAVE_GROUP 13, IPV6_V6ONLY 27.
        assertEquals(10, BsdDatagrams.IPV6_MULTICAST_HOPS);
        assertEquals(11, BsdDatagrams.IPV6_MULTICAST_LOOP);
        assertEquals(12, BsdDatagrams.IPV6_JOIN_GROUP);
        assertEquals(13, BsdDatagrams.IPV6_LEAVE_GROUP);
        assertEquals(27, BsdDatagrams.IPV6_V6ONLY);
    }

    @Test
    void sockaddrsReadBackAndNoSegmentation() throws Exception {
        for (BsdPlatform p : new BsdPlatform[] {BsdPlatform.macos(), BsdPlatform.freebsd()}) {
            BsdDatagrams d = BsdDatagrams.create(p);
            assertEquals(p.name(), d.os());
            assertFalse(d.batched(), "one recvfrom or sendto per datagram");
            assertFalse(d.segmentation());
            assertFalse(d.canSegment(3));
            assertEquals(-p.errno(ErrnoName.ENOPROTOOPT), d.setGro(3, true), "no UDP_GRO: ENOPROTOOPT, as 4.4BSD numbers it");
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment sa = arena.allocate(128);
                p.encode(new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 5353), sa);
                assertFalse(d.isInet6(sa));
                assertEquals(5353, d.port(sa));
                byte[] ip = new byte[16];
                assertEquals(4, d.addressBytes(sa, ip));
                assertArrayEquals(new byte[] {(byte) 192, 0, 2, 7}, java.util.Arrays.copyOf(ip, 4));
                p.encode(new InetSocketAddress(InetAddress.getByName("2001:db8::9"), 443), sa);
                assertTrue(d.isInet6(sa), p.name() + ": AF_INET6 is " + p.abi().afInet6);
                assertEquals(443, d.port(sa));
                assertEquals(16, d.addressBytes(sa, ip));
                assertArrayEquals(InetAddress.getByName("2001:db8::9").getAddress(), ip);
            }
        }
    }

    @Test
    void macosJoinsIpv4GroupsOnInterfaceZeroOnly() throws Exception {
        BsdDatagrams d = BsdDatagrams.create(BsdPlatform.macos());
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> d.membership(3, true, InetAddress.getByName("239.1.2.3"), 2));
        assertTrue(e.getMessage().startsWith("macos"), e.getMessage());
    }
}
