package io.ffpoll.bindings.platform;

import io.ffpoll.bindings.bsd.BsdFdPassing;
import io.ffpoll.bindings.linux.LinuxFdPassing;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CMSG arithmetic of the three ABIs: Linux's against glibc's own macros (compiled here),
 * macOS's and FreeBSD's against the values their headers' macros give (cited on BsdFdPassing),
 * and the walk over several control messages in one buffer.
 */
class ControlMessagesTest {
    private static final ControlMessages LINUX = LinuxFdPassing.INSTANCE.controlMessages();
    private static final ControlMessages MACOS = BsdFdPassing.MACOS.controlMessages();
    private static final ControlMessages FREEBSD = BsdFdPassing.FREEBSD.controlMessages();

    @Test
    void linuxMatchesGlibcsMacros() throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"), "SKIPPED: glibc's macros need Linux");
        Path dir = Files.createTempDirectory("ffpoll-cmsg-probe");
        Path source = dir.resolve("cmsg.c");
        Path exe = dir.resolve("cmsg");
        Files.writeString(source, """
                #include <stdio.h>
                #include <sys/socket.h>
                int main(void) {
                    char buf[4096];
                    struct msghdr m = {0};
                    m.msg_control = buf;
                    m.msg_controllen = sizeof buf;
                    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
                    printf("%zu", (size_t) ((unsigned char *) CMSG_DATA(c) - (unsigned char *) c));
                    for (int n = 0; n <= 9; n++) {
                        printf(" %zu %zu", (size_t) CMSG_LEN(n * sizeof(int)), (size_t) CMSG_SPACE(n * sizeof(int)));
                    }
                    printf("\\n");
                    return 0;
                }
                """);
        try {
            Process cc;
            try {
                cc = new ProcessBuilder("cc", "-Wall", "-Werror", "-o", exe.toString(), source.toString())
                        .redirectErrorStream(true).start();
            } catch (IOException noCompiler) {
                Assumptions.abort("SKIPPED: no C compiler (cc) to read the headers with");
                return;
            }
            String errors = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(cc.waitFor(60, TimeUnit.SECONDS) && cc.exitValue() == 0, "cc: " + errors);
            Process probe = new ProcessBuilder(exe.toString()).start();
            String printed = new String(probe.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            assertTrue(probe.waitFor(60, TimeUnit.SECONDS));
            StringBuilder ours = new StringBuilder().append(LINUX.dataOffset());
            for (int n = 0; n <= 9; n++) {
                ours.append(' ').append(LINUX.len(4L * n)).append(' ').append(LINUX.space(4L * n));
            }
            assertEquals(printed, ours.toString());
        } finally {
            Files.deleteIfExists(exe);
            Files.deleteIfExists(source);
            Files.delete(dir);
        }
    }

    @Test
    void theBsdsAsTheirHeadersDefineThem() {
        // XNU: __DARWIN_ALIGN32(12) = 12, so CMSG_LEN(l) = 12 + l, CMSG_SPACE(l) = 12 + ALIGN32(l).
        assertEquals(12, MACOS.dataOffset());
        assertEquals(16, MACOS.len(4));
        assertEquals(16, MACOS.space(4));
        assertEquals(24, MACOS.space(12));
        assertEquals(20, MACOS.space(5));
        // FreeBSD amd64/arm64: _ALIGN to 8, so _ALIGN(12) = 16.
        assertEquals(16, FREEBSD.dataOffset());
        assertEquals(20, FREEBSD.len(4));
        assertEquals(24, FREEBSD.space(4));
        assertEquals(32, FREEBSD.space(12));
    }

    @Test
    void roomIsWhatTheKernelFitsIntoCmsgSpace() {
        try (Arena arena = Arena.ofConfined()) {
            // One fd: CMSG_SPACE(4) is 24 on Linux and FreeBSD, which holds two ints after the
            // 16-byte header (the kernel installs two if two come); 16 on macOS, which holds one.
            assertEquals(2, LinuxFdPassing.INSTANCE.allocate(arena, 1).fdRoom());
            assertEquals(2, BsdFdPassing.FREEBSD.allocate(arena, 1).fdRoom());
            assertEquals(1, BsdFdPassing.MACOS.allocate(arena, 1).fdRoom());
            assertEquals(4, LinuxFdPassing.INSTANCE.allocate(arena, 4).fdRoom());
            assertEquals(0, LinuxFdPassing.INSTANCE.allocate(arena, 0).fdRoom());
            assertThrows(IndexOutOfBoundsException.class, () -> LinuxFdPassing.INSTANCE.allocate(arena, 254));
        }
    }

    @Test
    void theWalkFindsEveryMessageAndStopsAtTheReportedLength() {
        for (ControlMessages c : new ControlMessages[] {LINUX, MACOS, FREEBSD}) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment control = arena.allocate(256, 8);
                long first = c.writeRights(control, new int[] {7, 8, 9}, 3);
                assertEquals(c.space(12), first);
                long second = c.writeRights(control.asSlice(first), new int[] {10}, 1);
                long total = first + second;
                assertEquals(0, c.first(total));
                assertTrue(c.isRights(control, 0));
                assertEquals(3, c.rightsCount(control, total, 0));
                assertEquals(8, control.get(ValueLayout.JAVA_INT_UNALIGNED, c.dataOffset() + 4));
                long next = c.next(control, total, 0);
                assertEquals(first, next, c + ": the second header");
                assertEquals(1, c.rightsCount(control, total, next));
                assertEquals(10, control.get(ValueLayout.JAVA_INT_UNALIGNED, next + c.dataOffset()));
                assertEquals(-1, c.next(control, total, next), "no third");
                assertEquals(-1, c.next(control, first, 0), "the second lies past the reported length");
                // A truncated message claims more than the kernel filled: count what is there.
                assertEquals(1, c.rightsCount(control, c.dataOffset() + 4, 0));
                assertEquals(-1, c.first(c.dataOffset() - 5), "no room for a header");
            }
        }
    }

    @Test
    void aHeaderShorterThanAHeaderEndsTheWalk() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment control = arena.allocate(128, 8);
            LINUX.writeRights(control, new int[] {1}, 1);
            control.set(ValueLayout.JAVA_LONG, 0, 3); // cmsg_len 3: would loop or step backwards
            assertEquals(-1, LINUX.next(control, 128, 0));
            assertEquals(0, LINUX.rightsCount(control, 128, 0));
        }
    }
}
