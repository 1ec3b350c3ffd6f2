package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.platform.FileCalls;
import io.ffpoll.bindings.platform.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * open, fstat, pread and sendfile on Linux: the hand-written {@code struct stat} offsets read
 * what {@code java.nio.file} reads for the same file, O_NOFOLLOW refuses a link, and sendfile
 * moves a file's bytes into a socket from an offset without touching the file's position.
 */
class LinuxFileCallsTest {
    private static final int ELOOP = 40; // Linux's, on every architecture
    private final FileCalls files = Platform.current().files();

    @TempDir
    Path dir;

    private static MemorySegment cPath(Arena arena, Path p) {
        return arena.allocateFrom(p.toString());
    }

    @Test
    void fstatReadsTheSizeTimeInodeAndTypeThatJavaSees() throws Exception {
        Path f = dir.resolve("a.txt");
        Files.write(f, new byte[12_345]);
        Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2024-02-29T12:34:56.789Z")));
        try (Arena arena = Arena.ofConfined()) {
            int fd = files.openForReading(cPath(arena, f), true);
            assertTrue(fd >= 0, "open: " + fd);
            try {
                MemorySegment st = arena.allocate(files.statSize(), 8);
                assertEquals(0, files.fstat(fd, st));
                assertEquals(12_345, files.size(st));
                assertEquals(Instant.parse("2024-02-29T12:34:56Z").getEpochSecond(), files.modifiedSeconds(st));
                assertEquals(789_000_000, files.modifiedNanos(st));
                assertEquals(((Number) Files.getAttribute(f, "unix:ino")).longValue(), files.inode(st));
                assertEquals(((Number) Files.getAttribute(f, "unix:dev")).longValue(), files.device(st));
                assertTrue(files.isRegularFile(st));
                assertFalse(files.isDirectory(st));
            } finally {
                assertEquals(0, Fd.close(fd));
            }
            int d = files.openForReading(cPath(arena, dir), false);
            assertTrue(d >= 0, "open dir: " + d);
            MemorySegment st = arena.allocate(files.statSize(), 8);
            assertEquals(0, files.fstat(d, st));
            assertFalse(files.isRegularFile(st), "a directory is not a regular file");
            assertTrue(files.isDirectory(st));
            assertEquals(0, Fd.close(d));
        }
    }

    @Test
    void noFollowRefusesALinkAndAMissingFileSaysEnoent() throws Exception {
        Path target = dir.resolve("t");
        Files.writeString(target, "x");
        Path link = Files.createSymbolicLink(dir.resolve("l"), target);
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(-ELOOP, files.openForReading(cPath(arena, link), true));
            int fd = files.openForReading(cPath(arena, link), false);
            assertTrue(fd >= 0);
            assertEquals(0, Fd.close(fd));
            assertEquals(-Err.ENOENT, files.openForReading(cPath(arena, dir.resolve("missing")), true));
        }
    }

    @Test
    void preadAndSendfileTakeBytesFromAnOffsetAndAreCounted() throws Exception {
        byte[] data = new byte[100_000];
        new Random(7).nextBytes(data);
        Path f = dir.resolve("data.bin");
        Files.write(f, data);
        try (Arena arena = Arena.ofConfined()) {
            int fd = files.openForReading(cPath(arena, f), true);
            MemorySegment buf = arena.allocate(1000);
            assertEquals(1000, files.pread(fd, buf, 1000, 5000));
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 5000, 6000), buf.toArray(ValueLayout.JAVA_BYTE));
            assertEquals(0, files.pread(fd, buf, 1000, data.length), "pread at the end reads nothing");

            MemorySegment pair = arena.allocate(ValueLayout.JAVA_INT, 2);
            assertEquals(0, UnixMessages.socketpair(UnixMessages.AF_UNIX, Sockets.SOCK_STREAM, 0, pair));
            int a = pair.getAtIndex(ValueLayout.JAVA_INT, 0);
            int b = pair.getAtIndex(ValueLayout.JAVA_INT, 1);
            try {
                long before = Syscalls.count("sendfile");
                assertEquals(3000, files.sendfile(a, fd, 10_000, 3000));
                assertEquals(0, files.sendfile(a, fd, data.length, 10), "the file ends there");
                assertEquals(Syscalls.COUNTING ? before + 2 : before, Syscalls.count("sendfile"));
                MemorySegment in = arena.allocate(3000);
                long got = 0;
                while (got < 3000) {
                    long n = Fd.read(b, in.asSlice(got), 3000 - got);
                    assertTrue(n > 0, "read: " + n);
                    got += n;
                }
                assertArrayEquals(java.util.Arrays.copyOfRange(data, 10_000, 13_000), in.toArray(ValueLayout.JAVA_BYTE));
                // pread and sendfile leave the file's own position alone.
                assertEquals(1000, Fd.read(fd, buf, 1000));
                assertArrayEquals(java.util.Arrays.copyOfRange(data, 0, 1000), buf.toArray(ValueLayout.JAVA_BYTE));
                assertEquals(-Err.EBADF, files.sendfile(a, 999_999, 0, 10));
            } finally {
                assertEquals(0, Fd.close(a));
                assertEquals(0, Fd.close(b));
                assertEquals(0, Fd.close(fd));
            }
        }
    }

    @Test
    void openBeneathRefusesEveryPathThatLeavesTheDirectory() throws Exception {
        final int EXDEV = 18;
        final int ENOTDIR = 20;
        Path root = java.nio.file.Files.createDirectories(dir.resolve("root"));
        Files.writeString(dir.resolve("outside.txt"), "out");
        Files.writeString(root.resolve("in.txt"), "in");
        Files.createDirectories(root.resolve("sub"));
        Files.createSymbolicLink(root.resolve("out-link"), dir.resolve("outside.txt"));
        Files.createSymbolicLink(root.resolve("in-link"), Path.of("in.txt"));
        Files.createSymbolicLink(root.resolve("abs-link"), root.resolve("in.txt")); // absolute, though inside
        Files.createSymbolicLink(root.resolve("sub/up"), Path.of(".."));
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(-ENOTDIR, files.openDirectory(cPath(arena, root.resolve("in.txt"))));
            int d = files.openDirectory(cPath(arena, root));
            assertTrue(d >= 0, "open dir: " + d);
            try {
                for (String inside : new String[] {"in.txt", "in-link", "sub/../in.txt", "sub/up/in.txt"}) {
                    int fd = files.openBeneath(d, arena.allocateFrom(inside));
                    assertTrue(fd >= 0, inside + ": " + fd);
                    assertEquals(0, Fd.close(fd));
                }
                // RESOLVE_BENEATH refuses every absolute path, a link's too, wherever it points:
                // callers check such a path by its real path instead.
                for (String leaving : new String[] {"../outside.txt", "/etc/passwd", "out-link", "sub/../../outside.txt",
                        "sub/up/../outside.txt", "abs-link"}) {
                    assertEquals(-EXDEV, files.openBeneath(d, arena.allocateFrom(leaving)), leaving);
                }
                assertEquals(-Err.ENOENT, files.openBeneath(d, arena.allocateFrom("missing")));
            } finally {
                assertEquals(0, Fd.close(d));
            }
        }
    }
}
