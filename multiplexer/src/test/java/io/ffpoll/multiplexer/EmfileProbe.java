package io.ffpoll.multiplexer;

import io.ffpoll.bindings.Syscalls;
import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.EventFd;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.linux.SockAddr;
import io.ffpoll.bindings.linux.Sockets;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Run by SocketHelpersTest in a child JVM whose fd limit is small, so that filling the fd table
 * hurts nobody: a listener under EMFILE must pause instead of spinning, and accept the waiting
 * connection once descriptors are free. Prints one RESULT line.
 */
public final class EmfileProbe {
    private EmfileProbe() {}

    public static void main(String[] args) throws Exception {
        int lfd = Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128, false);
        InetSocketAddress address = Tcp.localAddress(lfd);
        BlockingQueue<Integer> accepted = new LinkedBlockingQueue<>();
        try (EventLoop loop = EventLoop.start("emfile"); Arena arena = Arena.ofConfined()) {
            Listener listener = loop.submit(() -> Listener.start(loop, lfd, (fd, peer) -> accepted.add(fd))).get();
            // Warm up every code path first: under EMFILE even loading a class can fail.
            MemorySegment sa = SockAddr.allocateStorage(arena);
            int len = SockAddr.encode(address, sa);
            int warm = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, 0);
            check(Sockets.connect(warm, sa, len) == 0, "warm-up connect");
            Fd.close(accepted.take());
            loop.submit(() -> loop.schedule(Duration.ofMillis(1), () -> ErrnoCodes.describe(ErrnoCodes.EMFILE))).get();
            int client = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, 0);

            int[] filler = new int[1 << 16];
            int filled = 0;
            int r;
            while ((r = EventFd.eventfd(0, EventFd.EFD_CLOEXEC)) >= 0) {
                filler[filled++] = r;
            }
            check(r == -ErrnoCodes.EMFILE, "filling the fd table ended with " + ErrnoCodes.describe(-r));
            long accepts = Syscalls.count("accept4");
            long pausesBefore = loop.submit(listener::pauses).get();
            // The handshake completes in the kernel; accept4 then has no fd to give.
            check(Sockets.connect(client, sa, len) == 0, "connect under EMFILE");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long pauses;
            while ((pauses = loop.submit(listener::pauses).get() - pausesBefore) < 3) {
                check(System.nanoTime() < deadline, "accepting never paused three times");
                Thread.sleep(10);
            }
            long attempts = Syscalls.count("accept4") - accepts;
            boolean acceptedUnderEmfile = !accepted.isEmpty();
            for (int i = 0; i < filled; i++) {
                Fd.close(filler[i]);
            }
            Integer late = accepted.poll(60, TimeUnit.SECONDS);
            System.out.println("RESULT attempts=" + attempts + " pauses=" + pauses + " acceptedUnderEmfile="
                    + acceptedUnderEmfile + " acceptedAfter=" + (late != null));
            if (late != null) {
                Fd.close(late);
            }
            Fd.close(client);
            Fd.close(warm);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("RESULT failed: " + what);
            System.exit(1);
        }
    }
}
