package io.ffpoll.bindings.bsd;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The BSDs' struct stat as {@link BsdFileCalls} reads it, on buffers filled by hand at the
 * offsets of FreeBSD 12's sys/stat.h and macOS's 64-bit-inode layout (there is no BSD kernel
 * here to fill them); loading the class links no libc symbol.
 */
class BsdFileCallsTest {
    @Test
    void eachLayoutReadsItsOwnFields() {
        try (Arena arena = Arena.ofConfined()) {
            for (boolean macos : new boolean[] {true, false}) {
                BsdFileCalls calls = macos ? BsdFileCalls.MACOS : BsdFileCalls.FREEBSD;
                assertEquals(macos ? 144 : 224, calls.statSize());
                MemorySegment st = arena.allocate(calls.statSize(), 8);
                if (macos) {
                    st.set(ValueLayout.JAVA_INT, 0, 0x1234_5678);
                    st.set(ValueLayout.JAVA_SHORT, 4, (short) 0x81A4); // S_IFREG | 0644
                    st.set(ValueLayout.JAVA_LONG, 8, 99L);
                    st.set(ValueLayout.JAVA_LONG, 48, 1_700_000_000L);
                    st.set(ValueLayout.JAVA_LONG, 56, 123L);
                    st.set(ValueLayout.JAVA_LONG, 96, 4096L);
                } else {
                    st.set(ValueLayout.JAVA_LONG, 0, 0x1234_5678L);
                    st.set(ValueLayout.JAVA_LONG, 8, 99L);
                    st.set(ValueLayout.JAVA_SHORT, 24, (short) 0x41ED); // S_IFDIR | 0755
                    st.set(ValueLayout.JAVA_LONG, 64, 1_700_000_000L);
                    st.set(ValueLayout.JAVA_LONG, 72, 123L);
                    st.set(ValueLayout.JAVA_LONG, 112, 4096L);
                }
                assertEquals(0x1234_5678L, calls.device(st));
                assertEquals(99, calls.inode(st));
                assertEquals(1_700_000_000L, calls.modifiedSeconds(st));
                assertEquals(123, calls.modifiedNanos(st));
                assertEquals(4096, calls.size(st));
                assertEquals(macos, calls.isRegularFile(st));
                assertEquals(!macos, calls.isDirectory(st));
                assertFalse(calls.hasSendfile(), "the BSDs read and send");
            }
        }
        assertTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "the offsets assume the little-endian layout tested here");
        assertEquals(0, BsdLibc.linked(), "nothing linked on Linux");
    }
}
