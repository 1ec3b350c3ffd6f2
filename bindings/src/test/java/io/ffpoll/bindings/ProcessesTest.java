package io.ffpoll.bindings;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.platform.Platform;
import org.junit.jupiter.api.Assumptions;
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
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * posix_spawn with descriptor placements, waitid, waitpid, kill and pipe: a child gets exactly
 * the descriptors placed for it (everything else of this JVM closed), its exit status and its
 * killing signal come back, waitid waits for the exit without reaping, a program that does not
 * exist is an errno, and this process is left with the descriptors it had.
 */
class ProcessesTest {
    private static final Platform OS = Platform.current();
    private static final int ECHILD = 10; // on Linux, macOS and FreeBSD alike

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
        // Not kill(pid, 0): once reaped, the pid may already be another process's.
        assertEquals(-ECHILD, Processes.waitid(pid), "the reaped child is no longer ours to wait for");
    }

    @Test
    void waitidWaitsForTheExitAndLeavesTheChildToWaitpid() throws Exception {
        long waitids = Syscalls.count("waitid");
        long pid = Processes.spawn("/bin/sh", List.of("sh", "-c", "exit 3"), Map.of(), new int[0][]);
        assertTrue(pid > 0, "spawn: " + pid);
        int r;
        do {
            r = Processes.waitid(pid);
        } while (r == -OS.errno(ErrnoName.EINTR));
        assertEquals(0, r, "waitid");
        assertEquals('Z', state(pid), "exited and unreaped: a zombie, still holding its pid");
        assertEquals("exit 3", Processes.describe(Processes.waitpid(pid, Processes.WNOHANG)), "reaped without blocking");
        assertEquals(-ECHILD, Processes.waitid(pid), "reaped");
        assertTrue(Syscalls.count("waitid") >= waitids + 2, "counted by name");
    }

    @Test
    void waitpidWithWnohangOnARunningChildIsEagain() {
        long pid = Processes.spawn("/bin/sleep", List.of("sleep", "60"), Map.of(), new int[0][]);
        assertTrue(pid > 0, "spawn: " + pid);
        assertEquals(-OS.errno(ErrnoName.EAGAIN), Processes.waitpid(pid, Processes.WNOHANG));
        assertEquals(0, Processes.kill(pid, Processes.SIGKILL));
        assertEquals("killed by signal 9", Processes.describe(waitFor(pid)));
    }

    @Test
    void theWaitAndSpawnFlagsAreThoseOfThisSystemsHeaders() throws Exception {
        Assumptions.assumeTrue(OS.name().equals("linux"), "SKIPPED: the flags of " + OS.name() + " are from its headers, untested");
        Path dir = Files.createTempDirectory("ffpoll-wait-probe");
        Path source = dir.resolve("probe.c");
        Path exe = dir.resolve("probe");
        Files.writeString(source, """
                #define _GNU_SOURCE
                #include <spawn.h>
                #include <stdio.h>
                #include <sys/wait.h>
                int main(void) {
                    printf("%d %d %d %d %d\\n", (int) P_PID, WEXITED, WNOWAIT, WNOHANG, POSIX_SPAWN_SETSIGMASK);
                    return 0;
                }
                """);
        try {
            Process cc;
            try {
                cc = new ProcessBuilder("cc", "-Wall", "-Werror", "-o", exe.toString(), source.toString()).redirectErrorStream(true).start();
            } catch (IOException noCompiler) {
                Assumptions.abort("SKIPPED: no C compiler (cc) to read the headers with");
                return;
            }
            String errors = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(cc.waitFor(60, TimeUnit.SECONDS) && cc.exitValue() == 0, "cc: " + errors);
            Process probe = new ProcessBuilder(exe.toString()).start();
            String printed = new String(probe.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            assertTrue(probe.waitFor(60, TimeUnit.SECONDS));
            Processes.WaitFlags w = Processes.WaitFlags.of("linux");
            assertEquals(printed, w.pPid() + " " + w.wExited() + " " + w.wNoWait() + " " + Processes.WNOHANG + " "
                    + Processes.SpawnFlags.of("linux").setSigmask());
        } finally {
            Files.deleteIfExists(exe);
            Files.deleteIfExists(source);
            Files.delete(dir);
        }
    }

    @Test
    void aMissingProgramIsAnErrno() {
        long r = Processes.spawn("/nonexistent/program", List.of("program"), Map.of(), new int[0][]);
        assertEquals(-OS.errno(ErrnoName.ENOENT), r);
    }

    @Test
    void signalSetsADispositionAndReturnsThePreviousOne() throws Exception {
        int sigwinch = 28; // on Linux, macOS and FreeBSD alike; the JVM leaves it alone
        assertEquals(Processes.SIG_DFL, Processes.signal(sigwinch, Processes.SIG_IGN));
        try {
            assertTrue(ignored(sigwinch), "SIGWINCH is in SigIgn");
        } finally {
            assertEquals(Processes.SIG_IGN, Processes.signal(sigwinch, Processes.SIG_DFL));
        }
        assertFalse(ignored(sigwinch), "SIGWINCH is back to its default");
        assertEquals(-OS.errno(ErrnoName.EINVAL), Processes.signal(0, Processes.SIG_DFL), "signal 0");
        assertEquals(-OS.errno(ErrnoName.EINVAL), Processes.signal(Processes.SIGKILL, Processes.SIG_IGN), "SIGKILL cannot be ignored");
        assertThrows(IllegalArgumentException.class, () -> Processes.signal(sigwinch, 0x1234), "only SIG_DFL and SIG_IGN");
    }

    /** Whether this process ignores {@code signal}: its bit in SigIgn of /proc/self/status. */
    private static boolean ignored(int signal) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(l.substring(7).trim(), 16) & 1L << (signal - 1)) != 0;
            }
        }
        throw new AssertionError("no SigIgn in /proc/self/status");
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

    /** The state letter in /proc/PID/stat: R, S, Z... */
    private static char state(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }

    private static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
