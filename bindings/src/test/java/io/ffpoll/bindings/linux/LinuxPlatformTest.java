package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.ErrnoName;
import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.SocketOption;
import io.ffpoll.bindings.internal.Syscalls;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Linux platform layer, in both its forms: accept4 and SOCK_NONBLOCK, and the calls of a
 * system without them (accept or socket, then fcntl), which is what macOS must do.
 */
class LinuxPlatformTest {

    private static void assertNonBlockingCloexec(int fd) {
        assertEquals(Fd.O_NONBLOCK, Fd.fcntl(fd, Fd.F_GETFL, 0) & Fd.O_NONBLOCK, "fd " + fd + " blocks");
        assertEquals(Fd.FD_CLOEXEC, Fd.fcntl(fd, Fd.F_GETFD, 0) & Fd.FD_CLOEXEC, "fd " + fd + " is inherited");
    }

    @ParameterizedTest(name = "fcntl after: {0}")
    @ValueSource(booleans = {false, true})
    void socketsAndAcceptedConnectionsAreNonBlockingCloseOnExecAndCarryData(boolean fcntlAfter) throws Exception {
        LinuxPlatform p = LinuxPlatform.create(fcntlAfter);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = p.allocateSockaddr(arena);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            int lfd = p.socket(p.family(any));
            assertNonBlockingCloexec(lfd);
            assertEquals(0, p.options().setOption(lfd, SocketOption.REUSE_ADDRESS, 1));
            assertEquals(1, p.options().getOption(lfd, SocketOption.REUSE_ADDRESS));
            assertEquals(0, p.bind(lfd, sa, p.encode(any, sa)));
            assertEquals(0, p.listen(lfd, 16));
            len.set(ValueLayout.JAVA_INT, 0, (int) p.sockaddrSize());
            assertEquals(0, p.getsockname(lfd, sa, len));
            InetSocketAddress bound = p.decode(sa);
            int client = p.socket(p.family(bound));
            int r = p.connect(client, sa, p.encode(bound, sa));
            assertTrue(r == 0 || r == -Err.EINPROGRESS, "connect: " + p.describe(-r));
            long accepts = Syscalls.count("accept");
            long accept4s = Syscalls.count("accept4");
            int server;
            do {
                len.set(ValueLayout.JAVA_INT, 0, (int) p.sockaddrSize());
                server = p.accept(lfd, sa, len);
            } while (server == -Err.EAGAIN);
            assertTrue(server >= 0, p.describe(-server));
            // Which call the variant made: accept (then fcntl) or accept4, never both.
            assertEquals(fcntlAfter, Syscalls.count("accept") > accepts, "accept called");
            assertEquals(!fcntlAfter, Syscalls.count("accept4") > accept4s, "accept4 called");
            assertNonBlockingCloexec(server);
            assertEquals(bound.getAddress(), p.decode(sa).getAddress());
            // A gathering send of two buffers arrives whole.
            Gather g = p.allocateGather(arena, 4);
            MemorySegment a = arena.allocateFrom("hello, ");
            MemorySegment b = arena.allocateFrom("world");
            g.set(0, a, 0, 7);
            g.set(1, b, 0, 5);
            long sent;
            while ((sent = p.sendGathered(client, g, 2)) == -Err.EAGAIN) {
                Thread.onSpinWait(); // the connect is still completing
            }
            assertEquals(12, sent);
            MemorySegment in = arena.allocate(64);
            long got = 0;
            while (got < 12) {
                long n = p.read(server, in.asSlice(got), 64 - got);
                if (n != -Err.EAGAIN) {
                    assertTrue(n > 0, p.describe((int) -n));
                    got += n;
                }
            }
            assertArrayEquals("hello, world".getBytes(), in.asSlice(0, 12).toArray(ValueLayout.JAVA_BYTE));
            assertEquals(0, p.shutdownOutput(client));
            assertEquals(0, p.options().resetOnClose(server));
            assertEquals(0, p.close(server));
            assertEquals(0, p.close(client));
            assertEquals(0, p.close(lfd));
        }
    }

    @Test
    void errnoNamesAreGlibcsNumbersAndDescribeNamesThem() {
        Platform p = Platform.current();
        assertSame(LinuxPlatform.class, p.getClass());
        assertEquals(ErrnoCodes.EAGAIN, Err.EAGAIN);
        assertEquals(11, p.errno(ErrnoName.EAGAIN));
        assertEquals(111, p.errno(ErrnoName.ECONNREFUSED));
        assertEquals("ECONNREFUSED (Connection refused)", p.describe(111));
        assertEquals("errno 1234", p.describe(1234));
        assertTrue(p.options().balancesReusePort());
    }

    @Test
    void theOpenFileLimitIsTheSoftLimitOfThisProcess() throws Exception {
        long soft = -1;
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String v = line.substring("Max open files".length()).trim().split("\\s+")[0];
                soft = v.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(v);
            }
        }
        assertEquals(soft, Platform.current().openFileLimit());
    }

    @Test
    void aDuplicateIsCloseOnExecAndAnInheritedFdIsMadeNonBlocking() {
        Platform p = Platform.current();
        int fd = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM, 0); // blocking, inheritable
        int dup = p.duplicate(fd);
        assertTrue(dup > fd);
        assertEquals(Fd.FD_CLOEXEC, Fd.fcntl(dup, Fd.F_GETFD, 0) & Fd.FD_CLOEXEC);
        assertEquals(0, p.makeNonBlockingCloexec(fd));
        assertNonBlockingCloexec(fd);
        assertEquals(-Err.EBADF, p.makeNonBlockingCloexec(1_000_000));
        p.close(dup);
        p.close(fd);
    }
}
