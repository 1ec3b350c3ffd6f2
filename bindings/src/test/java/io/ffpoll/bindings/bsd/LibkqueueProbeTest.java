package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.testing.Libkqueue;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * libkqueue on Linux, the real kevent() the kqueue backend is tested on here: its header's
 * struct kevent and constants against {@link KeventAbi#LIBKQUEUE} (compiled with cc), and one
 * kevent() call through {@link NativeKevent}.
 */
class LibkqueueProbeTest {
    private static NativeKevent libkqueue;

    @BeforeAll
    static void loadLibkqueue() {
        Libkqueue.require();
        libkqueue = NativeKevent.libkqueue();
    }

    private static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + command);
        assertEquals(0, p.exitValue(), command + " failed:\n" + out);
        return out;
    }

    @Test
    void theHeaderMatchesTheLayoutTheBackendUses() throws Exception {
        Path include = Libkqueue.headerDirectory();
        Path nativeDir = Path.of(System.getProperty("ffpoll.native.dir", "../native"));
        Path tmp = Files.createTempDirectory("ffpoll-kevent-probe");
        Path exe = tmp.resolve("probe");
        run(List.of("cc", "-Wall", "-Werror", "-I", include.toString(), "-o", exe.toString(),
                nativeDir.resolve("kevent_probe.c").toString()));
        Map<String, Long> probe = new LinkedHashMap<>();
        for (String line : run(List.of(exe.toString())).split("\n")) {
            String[] parts = line.trim().split(" ");
            probe.put(parts[0] + " " + parts[1], Long.parseLong(parts[2]));
        }
        Files.delete(exe);
        Files.delete(tmp);
        KeventAbi abi = KeventAbi.LIBKQUEUE;
        Map<String, Long> java = new LinkedHashMap<>();
        java.put("sizeof kevent", abi.size);
        java.put("offsetof kevent.ident", KeventAbi.IDENT);
        java.put("offsetof kevent.filter", abi.filterOffset);
        java.put("offsetof kevent.flags", abi.flagsOffset);
        java.put("offsetof kevent.fflags", abi.fflagsOffset);
        java.put("offsetof kevent.data", abi.dataOffset);
        java.put("offsetof kevent.udata", abi.udataOffset);
        java.put("const EVFILT_READ", (long) abi.evfiltRead);
        java.put("const EVFILT_WRITE", (long) abi.evfiltWrite);
        java.put("const EVFILT_USER", (long) abi.evfiltUser);
        java.put("const EV_ADD", (long) KeventAbi.EV_ADD);
        java.put("const EV_DELETE", (long) KeventAbi.EV_DELETE);
        java.put("const EV_ENABLE", (long) KeventAbi.EV_ENABLE);
        java.put("const EV_DISABLE", (long) KeventAbi.EV_DISABLE);
        java.put("const EV_ONESHOT", (long) KeventAbi.EV_ONESHOT);
        java.put("const EV_CLEAR", (long) KeventAbi.EV_CLEAR);
        java.put("const EV_RECEIPT", (long) KeventAbi.EV_RECEIPT);
        java.put("const EV_ERROR", (long) KeventAbi.EV_ERROR);
        java.put("const EV_EOF", (long) KeventAbi.EV_EOF);
        java.put("const NOTE_TRIGGER", (long) KeventAbi.NOTE_TRIGGER);
        assertEquals(java, probe, "libkqueue's sys/event.h differs from KeventAbi.LIBKQUEUE");
    }

    @Test
    void aUserEventTriggeredThroughKeventComesBack() {
        NativeKevent k = libkqueue;
        KeventAbi abi = k.abi();
        int kq = k.kqueue();
        assertTrue(kq >= 0, "kqueue: " + kq);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment change = abi.allocate(arena, 1);
            MemorySegment events = abi.allocate(arena, 4);
            abi.set(change, 0, 7, abi.evfiltUser, KeventAbi.EV_ADD | KeventAbi.EV_CLEAR, 0, 0, 42);
            assertEquals(0, k.kevent(kq, change, 1, events, 0, MemorySegment.NULL, null));
            // A change to an existing registration replaces its udata: the trigger repeats it.
            abi.set(change, 0, 7, abi.evfiltUser, 0, KeventAbi.NOTE_TRIGGER, 0, 42);
            MemorySegment zero = arena.allocate(16); // struct timespec {0, 0}: do not wait
            assertEquals(1, k.kevent(kq, change, 1, events, 4, zero, Errno.allocateState(arena)));
            assertEquals(7, abi.ident(events, 0));
            assertEquals(abi.evfiltUser, abi.filter(events, 0));
            assertEquals(42, abi.udata(events, 0));
        } finally {
            assertEquals(0, k.close(kq));
        }
    }
}
