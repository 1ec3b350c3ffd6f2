package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link OpenDirectory#openFile}: beneath the directory by any spelling and link that stays
 * inside (an absolute link too, by its real path), never outside; one openat2 a file on Linux.
 */
class OpenDirectoryTest {
    @TempDir
    Path tmp;

    @Test
    void filesBeneathOpenAndEveryWayOutIsRefused() throws Exception {
        long fds = Loopback.openFds();
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.writeString(tmp.resolve("secret"), "out");
        Files.writeString(root.resolve("a.txt"), "a");
        Files.createDirectories(root.resolve("sub"));
        Files.createSymbolicLink(root.resolve("rel-link"), Path.of("a.txt"));
        Files.createSymbolicLink(root.resolve("abs-link"), root.resolve("a.txt"));
        Files.createSymbolicLink(root.resolve("out-link"), tmp.resolve("secret"));
        Files.createSymbolicLink(root.resolve("sub/out-dir"), tmp);
        long openat2 = Syscalls.count("openat2");
        try (OpenDirectory dir = OpenDirectory.open(root)) {
            for (String inside : new String[] {"a.txt", "rel-link", "abs-link", "sub/../a.txt"}) {
                try (OpenFile f = dir.openFile(inside)) {
                    assertTrue(f.isRegularFile(), inside);
                    assertEquals(1, f.size(), inside);
                }
            }
            try (OpenFile d = dir.openFile("sub")) {
                assertTrue(d.isDirectory());
                assertFalse(d.isRegularFile());
            }
            try (OpenFile d = dir.openFile("")) {
                assertTrue(d.isDirectory(), "the directory itself");
            }
            for (String outside : new String[] {"../secret", "out-link", "sub/out-dir/secret", "sub/../../secret", "/etc/passwd"}) {
                assertThrows(FileSystemException.class, () -> dir.openFile(outside).close(), outside);
            }
            assertThrows(NoSuchFileException.class, () -> dir.openFile("missing"));
            // Names that name nothing a client can be served: each is NoSuchFileException, not another failure.
            for (String nothing : new String[] {"a".repeat(300), "a.txt/more", "../secret", "out-link", "x\0y"}) {
                assertThrows(NoSuchFileException.class, () -> dir.openFile(nothing).close(), nothing);
            }
            if (Syscalls.COUNTING) {
                assertTrue(Syscalls.count("openat2") > openat2, "the kernel checked it, in one call a file");
            }
            dir.close();
            assertThrows(IOException.class, () -> dir.openFile("a.txt"));
        }
        assertEquals(fds, Loopback.openFds(), "descriptors leaked");
    }
}
