package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.SocketOption;
import io.ffpoll.bindings.bsd.BsdPlatform;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import static io.ffpoll.multiplexer.net.SocketOptions.get;
import static io.ffpoll.multiplexer.net.SocketOptions.set;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every typed option set and read back on real loopback sockets (a connection's both ends, a
 * listener, IPv4 and IPv6), TCP_INFO of a live connection, and the refusals: values out of
 * range, options an OS lacks (the BSD tables, on the BSD platform model that links nothing here),
 * and the kernel's own errors.
 */
class SocketOptionsTest {
    private static final Platform OS = Platform.current();
    private long fdsBefore;
    private Loopback net;

    @BeforeEach
    void open() {
        fdsBefore = Loopback.openFds();
        net = new Loopback();
    }

    @AfterEach
    void close() {
        net.close();
        assertEquals(fdsBefore, Loopback.openFds(), "file descriptors leaked");
    }

    private boolean linux() {
        return OS.name().equals("linux");
    }

    @Test
    void flagsAndNumbersReadBackOnBothEndsOfAConnection() throws Exception {
        int[] pair = net.pair();
        for (int fd : pair) {
            for (boolean on : new boolean[] {true, false, true}) {
                set(fd, SocketOptions.TCP_NODELAY, on);
                assertEquals(on, get(fd, SocketOptions.TCP_NODELAY));
                set(fd, SocketOptions.SO_KEEPALIVE, on);
                assertEquals(on, get(fd, SocketOptions.SO_KEEPALIVE));
                set(fd, SocketOptions.SO_REUSEADDR, on);
                assertEquals(on, get(fd, SocketOptions.SO_REUSEADDR));
            }
            set(fd, SocketOptions.TCP_KEEPIDLE, 30);
            set(fd, SocketOptions.TCP_KEEPINTVL, 7);
            set(fd, SocketOptions.TCP_KEEPCNT, 4);
            assertEquals(30, get(fd, SocketOptions.TCP_KEEPIDLE));
            assertEquals(7, get(fd, SocketOptions.TCP_KEEPINTVL));
            assertEquals(4, get(fd, SocketOptions.TCP_KEEPCNT));
            if (linux()) {
                set(fd, SocketOptions.TCP_USER_TIMEOUT, 12_345);
                assertEquals(12_345, get(fd, SocketOptions.TCP_USER_TIMEOUT));
                set(fd, SocketOptions.TCP_CORK, true);
                assertTrue(get(fd, SocketOptions.TCP_CORK));
                set(fd, SocketOptions.TCP_CORK, false); // uncorking sends what was held
                assertFalse(get(fd, SocketOptions.TCP_CORK));
            } else {
                set(fd, SocketOptions.TCP_NOPUSH, true);
                assertTrue(get(fd, SocketOptions.TCP_NOPUSH));
                set(fd, SocketOptions.TCP_NOPUSH, false);
                assertFalse(get(fd, SocketOptions.TCP_NOPUSH));
            }
        }
    }

    @Test
    void buffersReadBackDoubledOnLinux() throws Exception {
        int[] pair = net.pair();
        int size = 16_384;
        for (int fd : pair) {
            set(fd, SocketOptions.SO_RCVBUF, size);
            set(fd, SocketOptions.SO_SNDBUF, size);
            // Linux doubles the value for its bookkeeping (socket(7)), after capping it at
            // net.core.rmem_max / wmem_max (212,992 by default, far above this size).
            assertEquals(linux() ? 2 * size : size, get(fd, SocketOptions.SO_RCVBUF));
            assertEquals(linux() ? 2 * size : size, get(fd, SocketOptions.SO_SNDBUF));
        }
    }

    @Test
    void lingerIsAStructOfOnAndSeconds() throws Exception {
        int[] pair = net.pair();
        int fd = pair[0];
        assertEquals(SocketOptions.Linger.OFF, get(fd, SocketOptions.SO_LINGER));
        set(fd, SocketOptions.SO_LINGER, SocketOptions.Linger.seconds(5));
        assertEquals(new SocketOptions.Linger(true, 5), get(fd, SocketOptions.SO_LINGER));
        set(fd, SocketOptions.SO_LINGER, SocketOptions.Linger.seconds(0));
        assertEquals(new SocketOptions.Linger(true, 0), get(fd, SocketOptions.SO_LINGER));
        set(fd, SocketOptions.SO_LINGER, SocketOptions.Linger.OFF);
        assertFalse(get(fd, SocketOptions.SO_LINGER).on());
        assertThrows(IllegalArgumentException.class, () -> SocketOptions.Linger.seconds(-1));
        assertThrows(IllegalArgumentException.class, () -> SocketOptions.Linger.seconds(65_536));
    }

    @Test
    void typeOfServiceIsIpTosOnIpv4AndTheTrafficClassOnIpv6() throws Exception {
        int v4 = net.track(Tcp.listen(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16, false));
        int v6 = net.track(Tcp.listen(new InetSocketAddress(InetAddress.getByName("::1"), 0), 16, false));
        int[] v6pair = {connect(Tcp.localAddress(v6)), net.accept(v6)};
        int[] v4pair = {net.connect(Tcp.localAddress(v4)), net.accept(v4)};
        int ef = 0xb8; // DSCP EF, ECN bits clear (TCP keeps its own ECN bits)
        for (int fd : new int[] {v4, v4pair[0], v4pair[1]}) {
            set(fd, SocketOptions.IP_TOS, ef);
            assertEquals(ef, get(fd, SocketOptions.IP_TOS));
            assertEquals(ef, OS.options().getOption(fd, SocketOption.IP_TOS), "IP_TOS itself, fd " + fd);
        }
        for (int fd : new int[] {v6, v6pair[0], v6pair[1]}) {
            set(fd, SocketOptions.IP_TOS, ef);
            assertEquals(ef, get(fd, SocketOptions.IP_TOS));
            assertEquals(ef, OS.options().getOption(fd, SocketOption.IPV6_TCLASS), "IPV6_TCLASS itself, fd " + fd);
        }
        set(v4pair[0], SocketOptions.IP_TOS, 0);
        assertEquals(0, get(v4pair[0], SocketOptions.IP_TOS));
        assertThrows(IllegalArgumentException.class, () -> set(v4pair[0], SocketOptions.IP_TOS, 256));
        assertThrows(IllegalArgumentException.class, () -> set(v4pair[0], SocketOptions.IP_TOS, -1));
    }

    /** A blocking client socket of the address's own family (Loopback's are IPv4). */
    private int connect(InetSocketAddress to) {
        int fd = net.track(OS.socket(OS.family(to)));
        assertEquals(0, OS.setBlocking(fd, true));
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment sa = OS.allocateSockaddr(arena);
            int r = OS.connect(fd, sa, OS.encode(to, sa));
            assertEquals(0, r, () -> "connect: " + OS.describe(-r));
        }
        return fd;
    }

    @Test
    void listenerOptions() throws Exception {
        int lfd = net.listen();
        if (linux()) {
            set(lfd, SocketOptions.TCP_FASTOPEN, 16);
            assertEquals(16, get(lfd, SocketOptions.TCP_FASTOPEN));
            set(lfd, SocketOptions.TCP_DEFER_ACCEPT, 5);
            // Kept as SYN-ACK retransmissions (1 s, then doubling) and read back as the seconds
            // those take: never less than asked.
            int deferred = get(lfd, SocketOptions.TCP_DEFER_ACCEPT);
            assertTrue(deferred >= 5 && deferred <= 16, "TCP_DEFER_ACCEPT read back " + deferred);
            set(lfd, SocketOptions.TCP_DEFER_ACCEPT, 0);
            assertEquals(0, get(lfd, SocketOptions.TCP_DEFER_ACCEPT));
            // Busy polling may be lowered by anyone, raised only with CAP_NET_ADMIN.
            set(lfd, SocketOptions.SO_BUSY_POLL, 0);
            assertEquals(0, get(lfd, SocketOptions.SO_BUSY_POLL));
            try {
                set(lfd, SocketOptions.SO_BUSY_POLL, 50);
                assertEquals(50, get(lfd, SocketOptions.SO_BUSY_POLL));
            } catch (IOException unprivileged) {
                assertTrue(unprivileged.getMessage().contains("SO_BUSY_POLL") && unprivileged.getMessage().contains("EPERM"),
                        unprivileged.getMessage());
            }
        } else {
            set(lfd, SocketOptions.TCP_FASTOPEN, 1);
            assertEquals(1, get(lfd, SocketOptions.TCP_FASTOPEN));
        }
        set(lfd, SocketOptions.SO_RCVBUF, 32_768); // inherited by the connections it accepts
        int[] pair = {net.connect(Tcp.localAddress(lfd)), net.accept(lfd)};
        assertEquals(get(lfd, SocketOptions.SO_RCVBUF), get(pair[1], SocketOptions.SO_RCVBUF));
    }

    @Test
    void fastOpenConnectIsSetOnAClientSocketBeforeItConnects() throws Exception {
        int fd = net.track(OS.socket(OS.family(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))));
        if (linux()) {
            set(fd, SocketOptions.TCP_FASTOPEN_CONNECT, true);
            assertTrue(get(fd, SocketOptions.TCP_FASTOPEN_CONNECT));
            set(fd, SocketOptions.TCP_FASTOPEN_CONNECT, false);
            assertFalse(get(fd, SocketOptions.TCP_FASTOPEN_CONNECT));
        } else {
            assertThrows(UnsupportedOperationException.class, () -> set(fd, SocketOptions.TCP_FASTOPEN_CONNECT, true));
        }
    }

    @Test
    void tcpInfoOfAnEstablishedConnectionAndAListener() throws Exception {
        if (!OS.options().hasTcpInfo()) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> SocketOptions.tcpInfo(0));
            assertTrue(e.getMessage().contains("TCP_INFO") && e.getMessage().contains(OS.name()), e.getMessage());
            return;
        }
        int lfd = net.listen();
        int client = net.connect(Tcp.localAddress(lfd));
        int server = net.accept(lfd);
        byte[] bytes = new byte[10_000];
        net.send(client, bytes);
        net.readFully(server, bytes.length);
        for (int fd : new int[] {client, server}) {
            TcpInfo info = SocketOptions.tcpInfo(fd);
            assertTrue(info.isEstablished(), info.toString());
            assertEquals("ESTABLISHED", info.stateName());
            assertTrue(info.rttMicros() >= 0 && info.rttvarMicros() >= 0, info.toString());
            assertTrue(info.rtoMicros() > 0, info.toString());
            assertTrue(info.sndMss() > 0 && info.sndMss() <= 65_536, info.toString());
            assertTrue(info.sndCwnd() > 0, info.toString());
            assertTrue(info.totalRetrans() >= 0 && info.retransmits() >= 0, info.toString());
        }
        TcpInfo listening = SocketOptions.tcpInfo(lfd);
        assertEquals("LISTEN", listening.stateName());
        assertFalse(listening.isEstablished());
    }

    @Test
    void theKernelsRefusalsNameTheCallAndFd() throws Exception {
        int[] pipe = new int[2];
        assertEquals(0, io.ffpoll.bindings.Processes.pipe(pipe));
        net.track(pipe[0]);
        net.track(pipe[1]);
        IOException notSocket = assertThrows(IOException.class, () -> get(pipe[0], SocketOptions.TCP_NODELAY));
        assertTrue(notSocket.getMessage().contains("fd " + pipe[0]) && notSocket.getMessage().contains("ENOTSOCK"),
                notSocket.getMessage());
        IOException tos = assertThrows(IOException.class, () -> set(pipe[0], SocketOptions.IP_TOS, 0));
        assertTrue(tos.getMessage().contains("ENOTSOCK"), tos.getMessage());
        if (OS.options().hasTcpInfo()) {
            IOException info = assertThrows(IOException.class, () -> SocketOptions.tcpInfo(pipe[0]));
            assertTrue(info.getMessage().contains("TCP_INFO"), info.getMessage());
        }
        int[] pair = net.pair();
        set(pair[0], SocketOptions.TCP_KEEPCNT, 4);
        assertThrows(IllegalArgumentException.class, () -> set(pair[0], SocketOptions.TCP_KEEPCNT, 0));
        assertThrows(IllegalArgumentException.class, () -> set(pair[0], SocketOptions.TCP_KEEPIDLE, 40_000));
        assertThrows(IllegalArgumentException.class, () -> set(pair[0], SocketOptions.SO_RCVBUF, 0));
        assertThrows(NullPointerException.class, () -> set(pair[0], SocketOptions.TCP_NODELAY, null));
        assertEquals(4, get(pair[0], SocketOptions.TCP_KEEPCNT)); // a refused value changed nothing
    }

    @Test
    void linuxRefusesTheBsdOnlyOption() throws Exception {
        if (!linux()) {
            return;
        }
        assertFalse(SocketOptions.isSupported(SocketOptions.TCP_NOPUSH));
        assertTrue(SocketOptions.isSupported(SocketOptions.TCP_CORK));
        int[] pair = net.pair();
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> set(pair[0], SocketOptions.TCP_NOPUSH, true));
        assertEquals("socket option TCP_NOPUSH is not available on linux", e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> get(pair[0], SocketOptions.TCP_NOPUSH));
    }

    /**
     * The BSD tables, on the BSD platform model: each option macOS and FreeBSD lack is refused by
     * name, with the OS's name, before any call (nothing is linked: fd -1 would otherwise be
     * EBADF, and the symbols would not link on Linux).
     */
    @Test
    void theBsdsRefuseTheLinuxOnlyOptionsByNameBeforeAnyCall() throws Exception {
        int linkedBefore = BsdPlatform.linkedSymbols();
        List<SocketOptions.Option<?>> linuxOnly = List.of(SocketOptions.TCP_USER_TIMEOUT,
                SocketOptions.TCP_FASTOPEN_CONNECT, SocketOptions.TCP_DEFER_ACCEPT, SocketOptions.TCP_CORK,
                SocketOptions.SO_BUSY_POLL);
        for (BsdPlatform bsd : new BsdPlatform[] {BsdPlatform.macos(), BsdPlatform.freebsd()}) {
            for (SocketOptions.Option<?> option : linuxOnly) {
                assertFalse(SocketOptions.isSupported(bsd, option), option + " on " + bsd.name());
                UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                        () -> SocketOptions.get(bsd, -1, option));
                assertEquals("socket option " + option.name() + " is not available on " + bsd.name(), e.getMessage());
            }
            assertThrows(UnsupportedOperationException.class, () -> SocketOptions.set(bsd, -1, SocketOptions.TCP_CORK, true));
            assertThrows(UnsupportedOperationException.class, () -> SocketOptions.set(bsd, -1, SocketOptions.SO_BUSY_POLL, 0));
            UnsupportedOperationException info = assertThrows(UnsupportedOperationException.class,
                    () -> SocketOptions.tcpInfo(bsd, -1));
            assertEquals("TCP_INFO (Linux's struct tcp_info) is not available on " + bsd.name(), info.getMessage());
            for (SocketOptions.Option<?> option : List.of(SocketOptions.TCP_NOPUSH, SocketOptions.TCP_KEEPIDLE,
                    SocketOptions.TCP_KEEPINTVL, SocketOptions.TCP_KEEPCNT, SocketOptions.TCP_FASTOPEN,
                    SocketOptions.IP_TOS, SocketOptions.SO_LINGER, SocketOptions.TCP_NODELAY)) {
                assertTrue(SocketOptions.isSupported(bsd, option), option + " on " + bsd.name());
            }
        }
        assertEquals(linkedBefore, BsdPlatform.linkedSymbols(), "a refused option linked a libc symbol");
    }
}
