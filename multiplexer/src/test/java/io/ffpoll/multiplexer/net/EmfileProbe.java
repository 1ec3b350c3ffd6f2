package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.platform.Platform;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Run by SocketHelpersTest in a child JVM whose fd limit is small, so that filling the fd table
 * hurts nobody: a listener under EMFILE must pause instead of spinning, and accept the waiting
 * connection once descriptors are free. Prints one RESULT line.
 */
public final class EmfileProbe {
    private EmfileProbe() {}

    private static final Platform OS = Platform.current();

    private static long accepts() {
        return Syscalls.count("accept4") + Syscalls.count("accept");
    }

    private static int blockingSocket() {
        int fd = OS.socket(OS.family(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        check(fd >= 0 && OS.setBlocking(fd, true) == 0, "a client socket");
        return fd;
    }

    public static void main(String[] args) throws Exception {
        // With "jfr", a recording of ffpoll's events runs throughout: the accept path must not
        // need a class (nor so a descriptor) it has not loaded, and each failure is an event.
        jdk.jfr.Recording recording = null;
        if (args.length > 0 && args[0].equals("jfr")) {
            recording = new jdk.jfr.Recording(jdk.jfr.Configuration.create(java.nio.file.Path.of("..", "jfr", "ffpoll.jfc")));
            recording.start();
        }
        int lfd = Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128, false);
        InetSocketAddress address = Tcp.localAddress(lfd);
        BlockingQueue<Integer> accepted = new LinkedBlockingQueue<>();
        try (EventLoop loop = EventLoop.start("emfile"); Arena arena = Arena.ofConfined()) {
            Listener listener = Listener.start(loop, lfd, (fd, peer) -> accepted.add(fd)).get();
            // Warm up every code path first: under EMFILE even loading a class can fail.
            MemorySegment sa = OS.allocateSockaddr(arena);
            int len = OS.encode(address, sa);
            int warm = blockingSocket();
            check(OS.connect(warm, sa, len) == 0, "warm-up connect");
            OS.close(accepted.take());
            loop.submit(() -> loop.schedule(Duration.ofMillis(1), () -> OS.describe(Err.EMFILE))).get();
            warmUpWaitingGet(loop);
            int client = blockingSocket();

            // Read before the fd table is full: its classes load now.
            long emfileBefore = loop.metrics().acceptErrors().getOrDefault("EMFILE", 0L);
            int[] filler = new int[1 << 16];
            int filled = 0;
            int r;
            while ((r = OS.duplicate(warm)) >= 0) {
                filler[filled++] = r;
            }
            check(r == -Err.EMFILE, "filling the fd table ended with " + OS.describe(-r));
            long accepts = accepts();
            long pausesBefore = loop.submit(listener::pauses).get();
            // The handshake completes in the kernel; accept then has no fd to give.
            check(OS.connect(client, sa, len) == 0, "connect under EMFILE");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long pauses;
            while ((pauses = loop.submit(listener::pauses).get() - pausesBefore) < 3) {
                check(System.nanoTime() < deadline, "accepting never paused three times");
                Thread.sleep(10);
            }
            long attempts = accepts() - accepts;
            // On io_uring the ring accepts: a failed try is an accept completion, not a syscall.
            long emfile = loop.metrics().acceptErrors().getOrDefault("EMFILE", 0L) - emfileBefore;
            boolean acceptedUnderEmfile = !accepted.isEmpty();
            for (int i = 0; i < filled; i++) {
                OS.close(filler[i]);
            }
            Integer late = accepted.poll(60, TimeUnit.SECONDS);
            String events = "";
            if (recording != null) {
                recording.stop();
                java.nio.file.Path file = java.nio.file.Files.createTempFile("emfile", ".jfr");
                recording.dump(file);
                long failures = jdk.jfr.consumer.RecordingFile.readAllEvents(file).stream()
                        .filter(e -> e.getEventType().getName().equals("ffpoll.AcceptFailure")
                                && e.getString("error").startsWith("EMFILE")).count();
                java.nio.file.Files.delete(file);
                events = " acceptFailureEvents=" + failures;
            }
            System.out.println("RESULT attempts=" + attempts + " emfile=" + emfile + " pauses=" + pauses + " acceptedUnderEmfile="
                    + acceptedUnderEmfile + " acceptedAfter=" + (late != null) + events);
            if (late != null) {
                OS.close(late);
            }
            OS.close(client);
            OS.close(warm);
        }
    }

    /**
     * A get() that finds its future not done takes a path of its own (the loop-thread check,
     * the JDK's parking) whose classes load on first use: with no fd free, that load fails
     * with NoClassDefFoundError. So this main thread waits once on a loop task that only
     * finishes after the thread is seen parked in get().
     */
    private static void warmUpWaitingGet(EventLoop loop) throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Thread waiter = Thread.currentThread();
        Thread opener = new Thread(() -> {
            while (waiter.getState() != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
            gate.countDown();
        });
        opener.start();
        loop.submit(() -> {
            gate.await();
            return null;
        }).get();
        opener.join();
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("RESULT failed: " + what);
            System.exit(1);
        }
    }
}
