package io.ffpoll.multiplexer.example;

import io.ffpoll.bindings.Processes;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The README's descriptor-passing example ({@link PassDescriptor}) works as written. */
class PassDescriptorTest {
    @Test
    void theHandedOverCopyReadsThePipe() throws Exception {
        Platform os = Platform.current();
        long before = Loopback.openFds();
        int[] pipe = new int[2];
        assertEquals(0, Processes.pipe(pipe));
        int copy = PassDescriptor.handOver(pipe[0]);
        assertNotEquals(pipe[0], copy);
        assertEquals(0, os.close(pipe[0]));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocateFrom(ValueLayout.JAVA_BYTE, new byte[] {'o', 'k'});
            assertEquals(2, os.write(pipe[1], out, 2));
            MemorySegment in = arena.allocate(8);
            assertEquals(2, os.read(copy, in, 8));
            assertEquals('k', in.get(ValueLayout.JAVA_BYTE, 1));
        }
        os.close(copy);
        os.close(pipe[1]);
        assertEquals(before, Loopback.openFds(), "file descriptors leaked");
    }
}
