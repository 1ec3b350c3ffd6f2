package io.ffpoll.bindings.testing;

import io.ffpoll.bindings.internal.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A segment of {@code size} bytes sliced from the start of a larger allocation whose remaining
 * {@value #GUARD} bytes hold a sentinel, so that a test can tell whether a call touched memory
 * past the segment: native code is given only the address, and nothing else would notice.
 */
public final class Guarded {
    /** The bytes after the segment, as many. */
    public static final long GUARD = 512;
    /** What they hold until something writes over them. */
    public static final byte SENTINEL = (byte) 0xA5;

    private final MemorySegment whole;
    private final MemorySegment segment;
    private byte[] baseline;

    /**
     * @param arena the arena that owns the memory
     * @param size the segment's size in bytes
     */
    public Guarded(Arena arena, long size) {
        whole = arena.allocate(size + GUARD, 8);
        whole.fill(SENTINEL);
        segment = whole.asSlice(0, size);
        seal();
    }

    /** The segment to pass to the call under test. */
    public MemorySegment segment() {
        return segment;
    }

    /** The whole allocation, segment and guard, for setting up what lies past the segment. */
    public MemorySegment whole() {
        return whole;
    }

    /** Takes what lies past the segment now as what must still be there after the call. */
    public Guarded seal() {
        baseline = whole.asSlice(segment.byteSize()).toArray(ValueLayout.JAVA_BYTE);
        return this;
    }

    /** How many bytes past the segment differ from what was there when sealed. */
    public int overwritten() {
        byte[] now = whole.asSlice(segment.byteSize()).toArray(ValueLayout.JAVA_BYTE);
        int n = 0;
        for (int i = 0; i < now.length; i++) {
            if (now[i] != baseline[i]) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return overwritten() + " bytes written past the " + segment.byteSize() + "-byte segment";
    }

    /**
     * Asserts that {@code call} throws {@code type} with a message naming {@code syscall} (it
     * starts with {@code "syscall: "}), without making that syscall (its count in counting mode
     * stays the same) and without touching a byte past any of {@code guards}.
     *
     * @return the exception, for checking its message
     */
    public static <X extends RuntimeException> X rejects(Class<X> type, String syscall, Callable<?> call,
                                                         Guarded... guards) {
        long before = Syscalls.count(syscall);
        Object result;
        try {
            result = call.call();
        } catch (Throwable t) {
            if (!type.isInstance(t)) {
                throw new AssertionError(syscall + ": expected " + type.getSimpleName() + ", got " + t, t);
            }
            X x = type.cast(t);
            assertTrue(x.getMessage() != null && x.getMessage().startsWith(syscall + ": "),
                    "the message names the call: " + x.getMessage());
            assertEquals(before, Syscalls.count(syscall), syscall + " was made all the same");
            List<String> touched = new ArrayList<>();
            for (Guarded g : guards) {
                if (g.overwritten() != 0) {
                    touched.add(g.toString());
                }
            }
            assertTrue(touched.isEmpty(), syscall + " threw but " + touched);
            return x;
        }
        return fail(syscall + ": no " + type.getSimpleName() + ": it returned " + result + "; "
                + Arrays.toString(guards) + " (" + (Syscalls.count(syscall) - before) + " " + syscall + " call(s) made)");
    }
}
