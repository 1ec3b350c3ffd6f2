package io.ffpoll.bindings.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * errno capture for downcalls, and the per-thread scratch memory they share.
 *
 * <p>errno is a thread-local macro in C, so it cannot be read after the call from Java: the
 * linker copies it into a capture segment as part of the call
 * ({@code Linker.Option.captureCallState("errno")}). Each thread owns one capture segment
 * (plus a few bytes of argument scratch), allocated once and reused by every call it makes.
 */
public final class Errno {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            STATE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");
    // Short calls that never block may skip the Java-to-native thread transition.
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);

    private static final long SCRATCH_BYTES = 64;
    private static final ThreadLocal<PerThread> PER_THREAD = ThreadLocal.withInitial(PerThread::new);
    private static final java.util.concurrent.atomic.AtomicLong THREAD_STATES = new java.util.concurrent.atomic.AtomicLong();

    private Errno() {}

    /** One thread's capture segment and argument scratch, never freed before the thread is. */
    public static final class PerThread {
        /** Where the linker stores errno; pass as the first argument of a capturing handle. */
        public final MemorySegment state;
        /** {@value #SCRATCH_BYTES} bytes for small by-reference arguments (an int, a socklen_t). */
        public final MemorySegment scratch;

        private PerThread() {
            THREAD_STATES.incrementAndGet();
            Arena arena = Arena.ofAuto();
            state = arena.allocate(STATE_LAYOUT);
            scratch = arena.allocate(SCRATCH_BYTES, 8);
        }

        /**
         * errno as captured by the last call that used this state.
         *
         * @return the errno value
         */
        public int errno() {
            return Errno.errno(state);
        }
    }

    /**
     * The calling thread's capture state.
     *
     * @return this thread's state
     */
    public static PerThread current() {
        return PER_THREAD.get();
    }

    /**
     * How many threads have made their capture state so far. Each costs an arena and a
     * Cleaner, so a short-lived (virtual) thread should not make one just to wake a loop.
     *
     * @return how many
     */
    public static long threadStates() {
        return THREAD_STATES.get();
    }

    /**
     * A capture segment owned by the caller, for a call made from threads that should not make
     * their own (see {@link #threadStates()}); read it with {@link #errno(MemorySegment)}.
     *
     * @param arena the arena that owns the memory
     * @return the segment
     */
    public static MemorySegment allocateState(Arena arena) {
        return arena.allocate(STATE_LAYOUT);
    }

    /**
     * errno as captured into {@code state} by the last call that used it.
     *
     * @param state a capture state segment ({@link #allocateState})
     * @return the errno value
     */
    public static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /**
     * Links a downcall that captures errno. Its handle takes the capture segment first, then the
     * C arguments. {@code critical} must be true only for calls that cannot block.
     *
     * @param address the address
     * @param descriptor the function descriptor
     * @param critical whether the call cannot block (linked critical)
     * @param extra more fields
     * @return the method handle
     */
    public static MethodHandle link(MemorySegment address, FunctionDescriptor descriptor, boolean critical,
                                    Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + (critical ? 2 : 1)];
        options[0] = CAPTURE;
        if (critical) {
            options[1] = CRITICAL;
        }
        System.arraycopy(extra, 0, options, critical ? 2 : 1, extra.length);
        return LINKER.downcallHandle(address, descriptor, options);
    }
}
