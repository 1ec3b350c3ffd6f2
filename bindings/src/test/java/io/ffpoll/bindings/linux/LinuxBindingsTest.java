package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.internal.Syscalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each binding against the real kernel, on loopback. */
class LinuxBindingsTest {
    private final Arena arena = Arena.ofConfined();
    private final List<Integer> fds = new ArrayList<>();

    @AfterEach
    void closeAll() {
        fds.forEach(Fd::close);
        arena.close();
    }

    private int track(int fd) {
        assertTrue(fd >= 0, "expected an fd, got -errno " + fd);
        fds.add(fd);
        return fd;
    }

    private int listener(InetSocketAddress at) {
        int fd = track(Sockets.socket(SockAddr.family(at), Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, 0));
        MemorySegment sa = SockAddr.allocateStorage(arena);
        assertEquals(0, Sockets.bind(fd, sa, SockAddr.encode(at, sa)));
        assertEquals(0, Sockets.listen(fd, 16));
        return fd;
    }

    private InetSocketAddress localAddress(int fd) {
        MemorySegment sa = SockAddr.allocateStorage(arena);
        MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
        len.set(ValueLayout.JAVA_INT, 0, (int) SockAddr.STORAGE_SIZE);
        assertEquals(0, Sockets.getsockname(fd, sa, len));
        return SockAddr.decode(sa);
    }

    @Test
    void errnoIsReturnedNegatedAndErrorsNamesTheCall() throws IOException {
        assertEquals(-ErrnoCodes.EBADF, Fd.close(-1));
        assertEquals(-ErrnoCodes.EBADF, Fd.read(-1, arena.allocate(8), 8));
        IOException e = assertThrows(IOException.class, () -> Errors.check(Fd.close(-1), "close(-1)"));
        assertEquals("close(-1): EBADF (Bad file descriptor)", e.getMessage());
        assertEquals(7, Errors.check(7, "never thrown"));
    }

    @Test
    void errnoIsCapturedPerThread() throws Exception {
        // Two threads fail different calls at the same time; a shared capture segment would mix them up.
        AtomicInteger wrong = new AtomicInteger();
        Thread other = new Thread(() -> {
            for (int i = 0; i < 20_000; i++) {
                if (Epoll.epoll_create1(-1) != -ErrnoCodes.EINVAL) {
                    wrong.incrementAndGet();
                }
            }
        });
        other.start();
        for (int i = 0; i < 20_000; i++) {
            if (Fd.close(-1) != -ErrnoCodes.EBADF) {
                wrong.incrementAndGet();
            }
        }
        other.join();
        assertEquals(0, wrong.get());
    }

    @Test
    void eventfdCountsAndWouldBlockWhenEmpty() {
        int efd = track(EventFd.eventfd(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
        assertEquals(-ErrnoCodes.EAGAIN, EventFd.eventfd_read(efd));
        assertEquals(0, EventFd.eventfd_write(efd, 2));
        assertEquals(0, EventFd.eventfd_write(efd, 3));
        assertEquals(5, EventFd.eventfd_read(efd));
        assertEquals(-ErrnoCodes.EAGAIN, EventFd.eventfd_read(efd));
        assertEquals(Fd.FD_CLOEXEC, Fd.fcntl(efd, Fd.F_GETFD, 0) & Fd.FD_CLOEXEC);
    }

    @Test
    void epollReportsAnEventfdWithItsData() {
        int ep = track(Epoll.epoll_create1(Epoll.EPOLL_CLOEXEC));
        int efd = track(EventFd.eventfd(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
        MemorySegment events = Epoll.allocateEvents(arena, 4);
        Epoll.set(events, 0, Epoll.EPOLLIN | Epoll.EPOLLET, 0x1234_5678_9ABC_DEF0L);
        assertEquals(0, Epoll.epoll_ctl(ep, Epoll.EPOLL_CTL_ADD, efd, events));
        assertEquals(-ErrnoCodes.EEXIST, Epoll.epoll_ctl(ep, Epoll.EPOLL_CTL_ADD, efd, events));
        assertEquals(0, Epoll.epoll_wait(ep, events, 4, 0));
        EventFd.eventfd_write(efd, 1);
        assertEquals(1, Epoll.epoll_wait(ep, events, 4, 1000));
        assertEquals(Epoll.EPOLLIN, Epoll.events(events, 0));
        assertEquals(0x1234_5678_9ABC_DEF0L, Epoll.data(events, 0));
        // Edge-triggered: no new write, no new event, even though the counter is still non-zero.
        assertEquals(0, Epoll.epoll_wait(ep, events, 4, 0));
        if (Epoll.hasEpollPwait2()) {
            MemorySegment ts = Epoll.allocateTimespec(arena);
            Epoll.setTimespec(ts, 1_000_000);
            int r = Epoll.epoll_pwait2(ep, events, 4, ts);
            assertTrue(r == 0 || r == -ErrnoCodes.ENOSYS, "epoll_pwait2 returned " + r);
        }
        assertEquals(0, Epoll.epoll_ctl(ep, Epoll.EPOLL_CTL_DEL, efd, events));
        assertEquals(-ErrnoCodes.ENOENT, Epoll.epoll_ctl(ep, Epoll.EPOLL_CTL_DEL, efd, events));
    }

    @Test
    void tcpOnLoopbackAcceptsWithThePeerAddressAndMovesBytes() throws Exception {
        int lfd = listener(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        InetSocketAddress bound = localAddress(lfd);
        assertTrue(bound.getPort() > 0);

        int cfd = track(Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, 0));
        MemorySegment sa = SockAddr.allocateStorage(arena);
        assertEquals(0, Sockets.connect(cfd, sa, SockAddr.encode(bound, sa)));

        MemorySegment peer = SockAddr.allocateStorage(arena);
        MemorySegment peerLen = arena.allocate(ValueLayout.JAVA_INT);
        peerLen.set(ValueLayout.JAVA_INT, 0, (int) SockAddr.STORAGE_SIZE);
        int afd = track(Sockets.accept4(lfd, peer, peerLen, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC));
        assertEquals(localAddress(cfd), SockAddr.decode(peer));
        assertEquals(Fd.O_NONBLOCK, Fd.fcntl(afd, Fd.F_GETFL, 0) & Fd.O_NONBLOCK);
        assertEquals(Fd.FD_CLOEXEC, Fd.fcntl(afd, Fd.F_GETFD, 0) & Fd.FD_CLOEXEC);

        assertEquals(0, Sockets.setsockopt(afd, Sockets.IPPROTO_TCP, Sockets.TCP_NODELAY, 1));
        assertEquals(1, Sockets.getsockopt(afd, Sockets.IPPROTO_TCP, Sockets.TCP_NODELAY));
        assertEquals(0, Sockets.getsockopt(afd, Sockets.SOL_SOCKET, Sockets.SO_ERROR));

        MemorySegment buf = arena.allocate(64);
        assertEquals(-ErrnoCodes.EAGAIN, Fd.read(afd, buf, 64));
        MemorySegment hello = arena.allocateFrom("hello", StandardCharsets.US_ASCII);
        assertEquals(5, Sockets.send(cfd, hello, 5, Sockets.MSG_NOSIGNAL));
        MemorySegment world = arena.allocateFrom(" world", StandardCharsets.US_ASCII);
        MemorySegment iov = Fd.allocateIovecs(arena, 2);
        Fd.setIovec(iov, 0, hello.asSlice(0, 5));
        Fd.setIovec(iov, 1, world.asSlice(0, 6));
        assertEquals(11, Fd.writev(cfd, iov, 2));
        MemorySegment msg = Sockets.allocateMsghdr(arena);
        Sockets.setMsgIov(msg, iov, 2);
        assertEquals(11, Sockets.sendmsg(cfd, msg, Sockets.MSG_NOSIGNAL));
        assertEquals(0, Sockets.shutdown(cfd, Sockets.SHUT_WR));

        StringBuilder got = new StringBuilder();
        long n;
        while ((n = Fd.read(afd, buf, 64)) != 0) {
            if (n == -ErrnoCodes.EAGAIN) {
                Thread.onSpinWait();
                continue;
            }
            assertTrue(n > 0, "read returned " + n);
            got.append(new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
        }
        assertEquals("hellohello worldhello world", got.toString());

        // An abortive close (SO_LINGER 0) resets the connection: the peer's next send fails.
        assertEquals(0, Sockets.setLinger(afd, true, 0));
        assertEquals(0, Fd.close(afd));
        fds.remove(Integer.valueOf(afd));
        long r = 0;
        for (int i = 0; i < 100 && r >= 0; i++) {
            r = Sockets.send(cfd, hello, 5, Sockets.MSG_NOSIGNAL);
            Thread.sleep(1);
        }
        assertTrue(r == -ErrnoCodes.EPIPE || r == -ErrnoCodes.ECONNRESET, "send after peer close: " + r);
    }

    /** A connection reset before it is accepted: getpeername fails, SO_PEERNAME reads the address as accept4 does. */
    @Test
    void soPeernameReadsTheAddressOfAResetConnection() throws Exception {
        int lfd = listener(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int cfd = track(Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, 0));
        MemorySegment sa = SockAddr.allocateStorage(arena);
        assertEquals(0, Sockets.connect(cfd, sa, SockAddr.encode(localAddress(lfd), sa)));
        InetSocketAddress client = localAddress(cfd);
        assertEquals(0, Sockets.setLinger(cfd, true, 0));
        assertEquals(0, Fd.close(cfd)); // an RST to the connection in the backlog
        fds.remove(Integer.valueOf(cfd));
        int afd = -ErrnoCodes.EAGAIN;
        for (int i = 0; i < 30_000 && afd == -ErrnoCodes.EAGAIN; i++) {
            afd = Sockets.accept4(lfd, MemorySegment.NULL, MemorySegment.NULL, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
            if (afd == -ErrnoCodes.EAGAIN) {
                Thread.sleep(1); // polls the listener up to a 30 s deadline
            }
        }
        track(afd);
        MemorySegment peer = SockAddr.allocateStorage(arena);
        MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
        len.set(ValueLayout.JAVA_INT, 0, (int) SockAddr.STORAGE_SIZE);
        assertEquals(-ErrnoCodes.ENOTCONN, UnixSockets.getpeername(afd, peer, len));
        len.set(ValueLayout.JAVA_INT, 0, 16); // sizeof(struct sockaddr_in)
        assertEquals(0, UnixSockets.peerName(afd, peer, len));
        assertEquals(client, SockAddr.decode(peer));
    }

    @Test
    void readvScattersIntoSeveralBuffers() {
        int efd = track(EventFd.eventfd(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
        EventFd.eventfd_write(efd, 0x0102030405060708L);
        MemorySegment a = arena.allocate(3);
        MemorySegment b = arena.allocate(5);
        MemorySegment iov = Fd.allocateIovecs(arena, 2);
        Fd.setIovec(iov, 0, a);
        Fd.setIovec(iov, 1, b);
        assertEquals(8, Fd.readv(efd, iov, 2));
        assertEquals(0x08, a.get(ValueLayout.JAVA_BYTE, 0)); // little-endian counter, low byte first
        assertEquals(0x01, b.get(ValueLayout.JAVA_BYTE, 4));
    }

    @Test
    void aRefusedConnectIsEconnrefusedAndAConnectException() throws Exception {
        int lfd = listener(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        InetSocketAddress closed = localAddress(lfd);
        Fd.close(lfd);
        fds.remove(Integer.valueOf(lfd));
        int cfd = track(Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, 0));
        MemorySegment sa = SockAddr.allocateStorage(arena);
        int r = Sockets.connect(cfd, sa, SockAddr.encode(closed, sa));
        assertEquals(-ErrnoCodes.ECONNREFUSED, r);
        IOException e = Errors.exception("connect(" + closed + ")", -r);
        assertInstanceOf(ConnectException.class, e);
        assertTrue(e.getMessage().endsWith("ECONNREFUSED (Connection refused)"), e.getMessage());
    }

    @Test
    void ipv6AddressesRoundTripThroughSockaddrIn6() throws Exception {
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 8443);
        MemorySegment sa = SockAddr.allocateStorage(arena);
        assertEquals(28, SockAddr.encode(v6, sa));
        assertEquals(v6, SockAddr.decode(sa));
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("127.1.2.3"), 65535);
        assertEquals(16, SockAddr.encode(v4, sa));
        assertEquals(v4, SockAddr.decode(sa));
        assertThrows(IllegalArgumentException.class,
                () -> SockAddr.encode(InetSocketAddress.createUnresolved("example.invalid", 1), sa));
    }

    @Test
    void countingModeCountsEachDowncallByName() {
        assertTrue(Syscalls.COUNTING, "the build runs tests with -Dffpoll.countSyscalls=true");
        long before = Syscalls.count("eventfd");
        long closesBefore = Syscalls.count("close");
        int efd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC);
        Fd.close(efd);
        Fd.close(-1);
        assertEquals(before + 1, Syscalls.count("eventfd"));
        assertEquals(closesBefore + 2, Syscalls.count("close"));
        assertTrue(Syscalls.snapshot().containsKey("eventfd"));
        assertEquals(0, Syscalls.count("no_such_call"));
    }
}
