package io.ffpoll.bindings;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * posix_spawn with descriptor placements, waitpid, kill and pipe: a child gets exactly the
 * descriptors placed for it (everything else of this JVM closed), its exit status and its
 * killing signal come back, a program that does not exist is an errno, and this process is
 * left with the descriptors it had.
 */
class ProcessesTest {
    private static final Platform OS = Platform.current();

    @Test
    void aChildHasOnlyTheDescriptorsPlacedForItAndItsStatusComesBack() throws Exception {
        long before = openFds();
        int[] out = new int[2];
        assertEquals(0, Processes.pipe(out));
        int[] in = new int[2];
        assertEquals(0, Processes.pipe(in));
        // The child lists its descriptors on fd 1 (our pipe), reads a line from fd 3, exits 7.
        long pid = Processes.spawn("/bin/sh", List.of("sh", "-c", "ls /proc/self/fd; read x <&3; echo \"got $x\"; exit 7"),
                Map.of("PATH", "/usr/bin:/bin"), new int[][] {{out[1], 1}, {in[0], 3}});
        assertTrue(pid > 0, "spawn: " + pid);
        OS.close(out[1]);
        OS.close(in[0]);
        write(in[1], "hello\n");
        OS.close(in[1]);
        String output = readAll(out[0]);
        OS.close(out[0]);
        int status = waitFor(pid);
        assertEquals("exit 7", Processes.describe(status));
        List<String> lines = output.lines().toList();
        assertEquals("got hello", lines.get(lines.size() - 1));
        // 0, 1, 2, 3, and the descriptor ls reads /proc/self/fd with: nothing of this JVM's.
        assertEquals(List.of("0", "1", "2", "3", "4"), lines.subList(0, lines.size() - 1));
        assertEquals(before, openFds(), "descriptors of this process");
    }

    @Test
    void aKilledChildReportsItsSignal() {
        long pid = Processes.spawn("/bin/sleep", List.of("sleep", "60"), Map.of(), new int[0][]);
        assertTrue(pid > 0, "spawn: " + pid);
        assertEquals(0, Processes.kill(pid, Processes.SIGKILL));
        int status = waitFor(pid);
        assertEquals("killed by signal 9", Processes.describe(status));
        assertTrue(Processes.kill(pid, 0) < 0, "the reaped child is gone (ESRCH)");
    }

    @Test
    void aMissingProgramIsAnErrno() {
        long r = Processes.spawn("/nonexistent/program", List.of("program"), Map.of(), new int[0][]);
        assertEquals(-OS.errno(ErrnoName.ENOENT), r);
    }

    private static int waitFor(long pid) {
        int status;
        do {
            status = Processes.waitpid(pid);
        } while (status == -OS.errno(ErrnoName.EINTR));
        assertTrue(status >= 0, "waitpid: " + status);
        return status;
    }

    private static void write(int fd, String text) {
        try (Arena arena = Arena.ofConfined()) {
            byte[] b = text.getBytes(StandardCharsets.US_ASCII);
            MemorySegment s = arena.allocate(b.length);
            MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
            assertEquals(b.length, OS.write(fd, s, b.length));
        }
    }

    private static String readAll(int fd) {
        StringBuilder sb = new StringBuilder();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096);
            long n;
            while ((n = OS.read(fd, buf, 4096)) != 0) {
                if (n == -OS.errno(ErrnoName.EINTR)) {
                    continue;
                }
                assertTrue(n > 0, "read: " + n);
                sb.append(new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
            }
        }
        return sb.toString();
    }

    private static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
