package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.ErrnoName;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The BSD numbers and layouts, each written down with the header it comes from, as read in the
 * public sources of XNU (apple-oss-distributions/xnu) and FreeBSD (freebsd-src). There is no BSD
 * machine here to run a probe on, so this is the record: a changed value must change here too.
 */
class BsdAbiTest {

    @Test
    void kevent() {
        // XNU bsd/sys/event.h: struct kevent { uintptr_t ident; int16_t filter; uint16_t flags;
        // uint32_t fflags; intptr_t data; void *udata; } under #pragma pack(4): 32 bytes on LP64.
        assertEquals(32, KeventAbi.MACOS.size);
        // FreeBSD sys/sys/event.h (12+): __uintptr_t ident; short filter; unsigned short flags;
        // unsigned int fflags; __int64_t data; void *udata; __uint64_t ext[4]: 64 bytes.
        assertEquals(64, KeventAbi.FREEBSD.size);
        // libkqueue's include/sys/event.h on Linux x86-64: the classic 32 (also checked by
        // LibkqueueProbeTest against the header itself).
        assertEquals(32, KeventAbi.LIBKQUEUE.size);
        assertEquals(0, KeventAbi.IDENT);
        for (KeventAbi classic : new KeventAbi[] {KeventAbi.MACOS, KeventAbi.FREEBSD, KeventAbi.LIBKQUEUE}) {
            assertFalse(classic.wide);
            assertEquals(8, classic.filterOffset);
            assertEquals(10, classic.flagsOffset);
            assertEquals(12, classic.fflagsOffset);
            assertEquals(16, classic.dataOffset);
            assertEquals(24, classic.udataOffset);
            // Both headers: EVFILT_READ (-1), EVFILT_WRITE (-2).
            assertEquals(-1, classic.evfiltRead);
            assertEquals(-2, classic.evfiltWrite);
        }
        // NetBSD sys/sys/event.h: struct kevent { uintptr_t ident; uint32_t filter; uint32_t
        // flags; uint32_t fflags; int64_t data; intptr_t udata; }: data aligned to 24, 40 bytes.
        // EVFILT_READ 0U, EVFILT_WRITE 1U; no EVFILT_USER (the 2016 header stops at
        // EVFILT_TIMER 6U, EVFILT_SYSCOUNT 7U): 8 is unknown there, and emulated by the rump tests.
        KeventAbi netbsd = KeventAbi.NETBSD;
        assertEquals(40, netbsd.size);
        assertTrue(netbsd.wide);
        assertEquals(8, netbsd.filterOffset);
        assertEquals(12, netbsd.flagsOffset);
        assertEquals(16, netbsd.fflagsOffset);
        assertEquals(24, netbsd.dataOffset);
        assertEquals(32, netbsd.udataOffset);
        assertEquals(0, netbsd.evfiltRead);
        assertEquals(1, netbsd.evfiltWrite);
        assertEquals(8, netbsd.evfiltUser);
        // EVFILT_USER is (-10) in XNU and (-11) in FreeBSD.
        assertEquals(-10, KeventAbi.MACOS.evfiltUser);
        assertEquals(-11, KeventAbi.FREEBSD.evfiltUser);
        assertEquals(-11, KeventAbi.LIBKQUEUE.evfiltUser);
        // All three: EV_ADD 0x0001, EV_DELETE 0x0002, EV_ENABLE 0x0004, EV_DISABLE 0x0008,
        // EV_ONESHOT 0x0010, EV_CLEAR 0x0020, EV_RECEIPT 0x0040, EV_ERROR 0x4000, EV_EOF 0x8000,
        // NOTE_TRIGGER 0x01000000.
        assertEquals(0x0001, KeventAbi.EV_ADD);
        assertEquals(0x0002, KeventAbi.EV_DELETE);
        assertEquals(0x0004, KeventAbi.EV_ENABLE);
        assertEquals(0x0008, KeventAbi.EV_DISABLE);
        assertEquals(0x0010, KeventAbi.EV_ONESHOT);
        assertEquals(0x0020, KeventAbi.EV_CLEAR);
        assertEquals(0x0040, KeventAbi.EV_RECEIPT);
        assertEquals(0x4000, KeventAbi.EV_ERROR);
        assertEquals(0x8000, KeventAbi.EV_EOF);
        assertEquals(0x01000000, KeventAbi.NOTE_TRIGGER);
    }

    @Test
    void sockets() {
        // XNU bsd/sys/socket.h and FreeBSD sys/sys/socket.h alike: SOCK_STREAM 1, SOL_SOCKET
        // 0xffff, SO_REUSEADDR 0x0004, SO_KEEPALIVE 0x0008, SO_LINGER 0x0080, SO_REUSEPORT
        // 0x0200, SO_SNDBUF 0x1001, SO_RCVBUF 0x1002, SO_ERROR 0x1007, AF_INET 2,
        // MSG_DONTWAIT 0x80; shutdown's SHUT_WR 1.
        assertEquals(1, BsdAbi.SOCK_STREAM);
        assertEquals(0xffff, BsdAbi.SOL_SOCKET);
        assertEquals(0x0004, BsdAbi.SO_REUSEADDR);
        assertEquals(0x0008, BsdAbi.SO_KEEPALIVE);
        assertEquals(0x0080, BsdAbi.SO_LINGER);
        assertEquals(0x0200, BsdAbi.SO_REUSEPORT);
        assertEquals(0x1001, BsdAbi.SO_SNDBUF);
        assertEquals(0x1002, BsdAbi.SO_RCVBUF);
        assertEquals(0x1007, BsdAbi.SO_ERROR);
        assertEquals(2, BsdAbi.AF_INET);
        assertEquals(0x80, BsdAbi.MSG_DONTWAIT);
        assertEquals(1, BsdAbi.SHUT_WR);
        // XNU: AF_INET6 30, SO_NOSIGPIPE 0x1022 ("APPLE: No SIGPIPE on EPIPE"); no SOCK_NONBLOCK,
        // SOCK_CLOEXEC or accept4; MSG_NOSIGNAL only in recent SDKs, so not relied on.
        assertEquals(30, BsdAbi.MACOS.afInet6);
        assertEquals(0x1022, BsdAbi.MACOS.soNosigpipe);
        assertEquals(0, BsdAbi.MACOS.msgNosignal);
        assertFalse(BsdAbi.MACOS.hasAccept4());
        // FreeBSD: AF_INET6 28, SOCK_CLOEXEC 0x10000000, SOCK_NONBLOCK 0x20000000,
        // MSG_NOSIGNAL 0x00020000, SO_REUSEPORT_LB 0x00010000 ("reuse with load balancing").
        assertEquals(28, BsdAbi.FREEBSD.afInet6);
        assertEquals(0x10000000, BsdAbi.FREEBSD.sockCloexec);
        assertEquals(0x20000000, BsdAbi.FREEBSD.sockNonblock);
        assertEquals(0x00020000, BsdAbi.FREEBSD.msgNosignal);
        assertEquals(0x00010000, BsdAbi.SO_REUSEPORT_LB);
        assertTrue(BsdAbi.FREEBSD.hasAccept4());
        // NetBSD sys/sys/socket.h: AF_INET6 24, SOCK_CLOEXEC 0x10000000, SOCK_NONBLOCK
        // 0x20000000, MSG_NOSIGNAL 0x0400 (and SO_NOSIGPIPE 0x0800, not needed with it).
        assertEquals(24, BsdAbi.NETBSD.afInet6);
        assertEquals(0x10000000, BsdAbi.NETBSD.sockCloexec);
        assertEquals(0x20000000, BsdAbi.NETBSD.sockNonblock);
        assertEquals(0x0400, BsdAbi.NETBSD.msgNosignal);
        assertEquals(0, BsdAbi.NETBSD.soNosigpipe);
        assertTrue(BsdAbi.NETBSD.hasAccept4());
        // NetBSD sys/sys/socket.h MSG_NBIO 0x1000: sosend waits unless it is set (uipc_socket.c).
        assertEquals(0x80 | 0x1000, BsdAbi.NETBSD.msgDontwait());
        assertEquals(0x80, BsdAbi.FREEBSD.msgDontwait());
        assertEquals(0x80, BsdAbi.MACOS.msgDontwait());
        // netinet/tcp.h: TCP_NODELAY 0x01; netinet/in.h: IPPROTO_TCP 6.
        assertEquals(1, BsdAbi.TCP_NODELAY);
        assertEquals(6, BsdAbi.IPPROTO_TCP);
        // struct msghdr in both socket.h: void *msg_name; socklen_t msg_namelen; struct iovec
        // *msg_iov; int msg_iovlen; void *msg_control; socklen_t msg_controllen; int msg_flags:
        // 48 bytes on LP64, msg_iov at 16, msg_iovlen (an int, not Linux's size_t) at 24.
        assertEquals(48, BsdAbi.MSGHDR_SIZE);
        assertEquals(16, BsdAbi.MSG_IOV);
        assertEquals(24, BsdAbi.MSG_IOVLEN);
        // netinet/in.h: struct sockaddr_in { uint8 sin_len; sa_family_t (uint8) sin_family;
        // in_port_t sin_port; struct in_addr sin_addr; char sin_zero[8]; } = 16 bytes.
        // netinet6/in6.h: struct sockaddr_in6 { uint8 sin6_len; sa_family_t sin6_family;
        // in_port_t sin6_port; uint32 sin6_flowinfo; struct in6_addr sin6_addr; uint32
        // sin6_scope_id; } = 28 bytes. sys/socket.h: _SS_MAXSIZE 128.
        assertEquals(16, BsdAbi.SOCKADDR_IN_SIZE);
        assertEquals(2, BsdAbi.SIN_PORT);
        assertEquals(4, BsdAbi.SIN_ADDR);
        assertEquals(28, BsdAbi.SOCKADDR_IN6_SIZE);
        assertEquals(2, BsdAbi.SIN6_PORT);
        assertEquals(8, BsdAbi.SIN6_ADDR);
        assertEquals(24, BsdAbi.SIN6_SCOPE_ID);
        assertEquals(128, BsdAbi.SOCKADDR_STORAGE_SIZE);
    }

    @Test
    void descriptorsAndLimits() {
        // sys/fcntl.h in both: F_GETFD 1, F_SETFD 2, F_GETFL 3, F_SETFL 4, FD_CLOEXEC 1,
        // O_NONBLOCK 0x0004; F_DUPFD_CLOEXEC is 67 in XNU and 17 in FreeBSD.
        assertEquals(1, BsdAbi.F_GETFD);
        assertEquals(2, BsdAbi.F_SETFD);
        assertEquals(3, BsdAbi.F_GETFL);
        assertEquals(4, BsdAbi.F_SETFL);
        assertEquals(1, BsdAbi.FD_CLOEXEC);
        assertEquals(0x0004, BsdAbi.O_NONBLOCK);
        assertEquals(67, BsdAbi.MACOS.fDupfdCloexec);
        assertEquals(17, BsdAbi.FREEBSD.fDupfdCloexec);
        assertEquals(12, BsdAbi.NETBSD.fDupfdCloexec); // NetBSD sys/sys/fcntl.h
        // sys/resource.h in both: RLIMIT_NOFILE 8; RLIM_INFINITY (((uint64)1 << 63) - 1);
        // struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; } with a 64-bit rlim_t.
        assertEquals(8, BsdAbi.RLIMIT_NOFILE);
        assertEquals(Long.MAX_VALUE, BsdAbi.RLIM_INFINITY);
        assertEquals(16, BsdAbi.RLIMIT_SIZE);
    }

    @Test
    void errnoNumbers() {
        // XNU bsd/sys/errno.h and FreeBSD sys/sys/errno.h share 4.4BSD's numbers up to ENOSYS:
        int[] expected = {1, 2, 4, 9, 35, 12, 17, 22, 23, 24, 32, 78, -1, 38, 48, 49, 51, 53, 54, 55, 56, 57, 60,
            61, 65, 37, 36, 13, 40, 42, 47, 63, 41};
        for (BsdAbi abi : BsdAbi.values()) {
            int[] numbers = abi.errnos();
            for (ErrnoName name : ErrnoName.values()) {
                int want = name == ErrnoName.EPROTO ? abi.eproto : expected[name.ordinal()];
                assertEquals(want, numbers[name.ordinal()], abi + " " + name);
            }
        }
        // EPROTO came later: 100 in XNU, 92 in FreeBSD.
        assertEquals(100, BsdAbi.MACOS.eproto);
        assertEquals(92, BsdAbi.FREEBSD.eproto);
        assertEquals(96, BsdAbi.NETBSD.eproto); // NetBSD sys/sys/errno.h
    }

    @Test
    void theBsdPlatformsLoadAndEncodeAddressesHereWithoutLinkingAnything() throws Exception {
        int linked = BsdPlatform.linkedSymbols();
        for (BsdPlatform p : new BsdPlatform[] {BsdPlatform.macos(), BsdPlatform.freebsd(), BsdPlatform.netbsd()}) {
            assertEquals("EAGAIN (Resource temporarily unavailable)", p.describe(35));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment sa = p.allocateSockaddr(arena);
                InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 8080);
                assertEquals(16, p.encode(v4, sa));
                assertEquals(16, sa.get(ValueLayout.JAVA_BYTE, 0), "sin_len first");
                assertEquals(BsdAbi.AF_INET, sa.get(ValueLayout.JAVA_BYTE, 1));
                assertEquals(v4, p.decode(sa));
                InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 443);
                assertEquals(28, p.encode(v6, sa));
                assertEquals(p.abi().afInet6, sa.get(ValueLayout.JAVA_BYTE, 1));
                assertEquals(v6, p.decode(sa));
            }
        }
        assertEquals(linked, BsdPlatform.linkedSymbols(), "a BSD symbol was looked up on " + System.getProperty("os.name"));
    }
}
