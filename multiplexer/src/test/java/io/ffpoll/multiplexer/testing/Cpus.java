package io.ffpoll.multiplexer.testing;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Test helper: pins the calling thread to one CPU with sched_setaffinity(2) (Linux). */
public final class Cpus {
    private static final MethodHandle SCHED_SETAFFINITY = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("sched_setaffinity").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    private static final MethodHandle GETTID = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("gettid").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT));

    private Cpus() {}

    /** Restricts the calling thread (pid 0 = the caller, for sched_setaffinity) to {@code cpu}. */
    public static void pinCurrentThread(int cpu) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(128); // cpu_set_t: 1024 bits
            mask.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte) (1 << (cpu % 8)));
            int r = (int) SCHED_SETAFFINITY.invokeExact(0, 128L, mask);
            if (r != 0) {
                throw new AssertionError("sched_setaffinity failed");
            }
        } catch (Throwable e) {
            throw e instanceof AssertionError a ? a : new AssertionError(e);
        }
    }

    /** Allows the calling thread on every CPU of the machine again. */
    public static void unpinCurrentThread() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(128);
            for (int cpu = 0; cpu < Runtime.getRuntime().availableProcessors(); cpu++) {
                mask.set(ValueLayout.JAVA_BYTE, cpu / 8,
                        (byte) (mask.get(ValueLayout.JAVA_BYTE, cpu / 8) | (1 << (cpu % 8))));
            }
            int r = (int) SCHED_SETAFFINITY.invokeExact(0, 128L, mask);
            if (r != 0) {
                throw new AssertionError("sched_setaffinity failed");
            }
        } catch (Throwable e) {
            throw e instanceof AssertionError a ? a : new AssertionError(e);
        }
    }

    /** The kernel's id of the calling thread. */
    public static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
