package io.ffpoll.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Pins the calling thread to one CPU (Linux sched_setaffinity), so benchmarks say where each side ran. */
final class Affinity {
    // Absent off Linux (macOS has no CPU affinity call): there the benchmarks run unpinned.
    private static final MethodHandle SET = Linker.nativeLinker().defaultLookup().find("sched_setaffinity")
            .map(f -> Linker.nativeLinker().downcallHandle(f,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS)))
            .orElse(null);

    private Affinity() {}

    /** Pins the calling thread to {@code cpu} (when the machine has it); returns whether it did. */
    static boolean pin(int cpu) {
        if (SET == null || cpu >= Runtime.getRuntime().availableProcessors()) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(128);
            mask.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte) (1 << (cpu % 8)));
            return (int) SET.invokeExact(0, 128L, mask) == 0;
        } catch (Throwable e) {
            return false;
        }
    }

    /** Lets the calling thread run on every CPU again. */
    static void unpin() {
        if (SET == null) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(128);
            mask.fill((byte) 0xff);
            int r = (int) SET.invokeExact(0, 128L, mask);
            assert r == 0;
        } catch (Throwable e) {
            // best effort
        }
    }
}
