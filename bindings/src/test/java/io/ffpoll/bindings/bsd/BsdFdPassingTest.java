package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.platform.FdPassing;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The BSD side of descriptor passing, as far as Linux can check it: the layouts it writes (the
 * values cited on {@link BsdFdPassing}), and that refused arguments are refused before anything
 * is linked. Never run on a BSD kernel.
 */
class BsdFdPassingTest {

    @Test
    void aSendWritesTheBsdMsghdrAndOneScmRightsMessage() {
        for (BsdFdPassing os : new BsdFdPassing[] {BsdFdPassing.MACOS, BsdFdPassing.FREEBSD}) {
            try (Arena arena = Arena.ofConfined()) {
                FdPassing.Buffers b = os.allocate(arena, 2);
                MemorySegment data = arena.allocate(5);
                // Too many descriptors for the buffers: refused after the msghdr is written, before a call.
                assertThrows(IndexOutOfBoundsException.class, () -> os.send(3, b, data, new int[] {4, 5, 6}, 3));
                assertThrows(IllegalArgumentException.class, () -> os.send(3, b, arena.allocate(0), new int[] {4}, 1));
                assertEquals(48, os.msghdrSize());
            }
        }
        assertEquals(0, BsdPlatform.linkedSymbols(), "nothing linked on this OS");
    }

    @Test
    void theControlMessageHasTheBsdHeader() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment control = arena.allocate(64, 8);
            long space = BsdFdPassing.MACOS.controlMessages().writeRights(control, new int[] {42, 43}, 2);
            assertEquals(20, space); // 12-byte header, 8 bytes of ints, aligned to 4
            assertEquals(20, control.get(ValueLayout.JAVA_INT, 0), "cmsg_len, a socklen_t: CMSG_LEN(8)");
            assertEquals(0xffff, control.get(ValueLayout.JAVA_INT, 4), "cmsg_level SOL_SOCKET");
            assertEquals(1, control.get(ValueLayout.JAVA_INT, 8), "cmsg_type SCM_RIGHTS");
            assertEquals(42, control.get(ValueLayout.JAVA_INT, 12));
            space = BsdFdPassing.FREEBSD.controlMessages().writeRights(control, new int[] {42, 43}, 2);
            assertEquals(24, space); // the data starts at _ALIGN(12) = 16
            assertEquals(24, control.get(ValueLayout.JAVA_INT, 0), "CMSG_LEN(8)");
            assertEquals(42, control.get(ValueLayout.JAVA_INT, 16));
        }
    }
}
