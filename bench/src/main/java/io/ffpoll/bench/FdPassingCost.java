package io.ffpoll.bench;

import io.ffpoll.bindings.Processes;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.net.FdPassingChannel;
import io.ffpoll.multiplexer.net.ReceivedFds;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What does passing a descriptor cost? On one thread, over a socketpair: send one byte with K
 * descriptors, receive it, close the K received ones; K = 1, 4 and 16. Beside it, the floor of
 * making a descriptor in this process at all: {@code fcntl(F_DUPFD_CLOEXEC)} of stdout and
 * close, K times.
 * Reports nanoseconds per message and per descriptor, the syscalls of one message when run with
 * {@code -Dffpoll.countSyscalls=true}, and checks that the process ends with the descriptors it
 * started with. Usage: {@code FdPassingCost [messages]} (default 200,000 per K).
 */
public final class FdPassingCost {
    private FdPassingCost() {}

    private static long openFds() throws Exception {
        try (Stream<Path> fds = Files.list(Path.of(Files.isDirectory(Path.of("/proc/self/fd")) ? "/proc/self/fd" : "/dev/fd"))) {
            return fds.count();
        }
    }

    private static java.util.Set<String> fdNames() throws Exception {
        java.util.Set<String> names = new java.util.TreeSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) fds::iterator) {
                try {
                    names.add(p.getFileName() + " -> " + Files.readSymbolicLink(p));
                } catch (java.io.IOException gone) {
                    // the directory's own descriptor, closed by now
                }
            }
        }
        return names;
    }

    /**
     * Runs the measurement.
     *
     * @param args the number of messages per K
     * @throws Exception if a message does not pass whole, or a descriptor is left open
     */
    public static void main(String[] args) throws Exception {
        int messages = args.length > 0 && !args[0].isBlank() ? Integer.parseInt(args[0].trim()) : 200_000;
        Platform os = Platform.current();
        for (FdPassingChannel end : FdPassingChannel.pair(1)) {
            end.close(); // first use opens what the JVM keeps (class path jars): not counted below
        }
        java.util.Set<String> namesBefore = fdNames();
        long fdsBefore = openFds();
        System.out.printf("%-28s %12s %14s %s%n", "what", "ns/message", "ns/descriptor", "syscalls/message");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(1);
            MemorySegment in = arena.allocate(64);
            for (int k : new int[] {1, 4, 16}) {
                FdPassingChannel[] ends = FdPassingChannel.pair(k);
                int[] pipe = new int[2];
                if (Processes.pipe(pipe) != 0) {
                    throw new IllegalStateException("pipe failed");
                }
                int[] fds = new int[k];
                java.util.Arrays.fill(fds, pipe[0]); // one pipe's read end, k times: k new descriptors at the receiver
                ReceivedFds received = new ReceivedFds();
                for (int round = 0; round < 2; round++) { // the first round warms up
                    Map<String, Long> before = Syscalls.snapshot();
                    long start = System.nanoTime();
                    for (int m = 0; m < messages; m++) {
                        if (ends[0].send(one, fds) != 1 || ends[1].receive(in, received) != 1 || received.count() != k) {
                            throw new IllegalStateException("message " + m + " did not pass whole: " + received);
                        }
                        received.closeAll();
                    }
                    long ns = System.nanoTime() - start;
                    if (round == 1) {
                        System.out.printf("%-28s %12.0f %14.0f %s%n", "pass " + k + " fd(s)", (double) ns / messages,
                                (double) ns / messages / k, perMessage(before, messages));
                    }
                }
                ends[0].close();
                ends[1].close();
                os.close(pipe[0]);
                os.close(pipe[1]);
                for (int round = 0; round < 2; round++) {
                    Map<String, Long> before = Syscalls.snapshot();
                    long start = System.nanoTime();
                    for (int m = 0; m < messages; m++) {
                        for (int i = 0; i < k; i++) {
                            int dup = os.duplicate(1);
                            if (dup < 0) {
                                throw new IllegalStateException("dup: " + os.describe(-dup));
                            }
                            os.close(dup);
                        }
                    }
                    long ns = System.nanoTime() - start;
                    if (round == 1) {
                        System.out.printf("%-28s %12.0f %14.0f %s%n", "dup+close " + k + " fd(s) in-process",
                                (double) ns / messages, (double) ns / messages / k, perMessage(before, messages));
                    }
                }
            }
        }
        long fdsAfter = openFds();
        System.out.printf("descriptors open before %d, after %d%n", fdsBefore, fdsAfter);
        if (fdsAfter != fdsBefore) {
            java.util.Set<String> left = fdNames();
            left.removeAll(namesBefore);
            throw new IllegalStateException("descriptors leaked: " + left);
        }
    }

    private static String perMessage(Map<String, Long> before, int messages) {
        if (!Syscalls.COUNTING) {
            return "(run with -Dffpoll.countSyscalls=true)";
        }
        StringBuilder b = new StringBuilder();
        Syscalls.snapshot().forEach((name, n) -> {
            long d = n - before.getOrDefault(name, 0L);
            if (d >= messages / 2) {
                b.append(b.isEmpty() ? "" : " ").append(name).append('=').append(String.format("%.2f", (double) d / messages));
            }
        });
        return b.toString();
    }
}
