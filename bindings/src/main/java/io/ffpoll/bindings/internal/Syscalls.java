package io.ffpoll.bindings.internal;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counting mode: with {@code -Dffpoll.countSyscalls=true} every downcall made through the
 * bindings is counted by its C name, so tests and benchmarks can assert exact syscall budgets.
 *
 * <p>Off by default. The switch is a {@code static final} read once at class initialisation,
 * so when it is off the JIT folds each {@link Counter#hit()} away and counting costs nothing.
 * Counts are kept for the process and for each thread ({@link #count(String, Thread)}):
 * a test that asserts an exact budget counts the calls of the thread that makes them (a loop's,
 * its own), so that a loop another test left running cannot add to them. Thread-safe.
 */
public final class Syscalls {

    /** Whether counting mode is on for this process. */
    public static final boolean COUNTING = Boolean.getBoolean("ffpoll.countSyscalls");

    private static final Map<String, Counter> COUNTERS = new ConcurrentHashMap<>();

    private Syscalls() {}

    /** The counter of one downcall; facades keep one in a {@code static final} field. */
    public static final class Counter {
        private final String name;
        private final LongAdder adder = new LongAdder();
        // Per thread: each thread finds its own count with no lookup, and others read it by id.
        private final Map<Long, LongAdder> byThread = new ConcurrentHashMap<>();
        private final ThreadLocal<LongAdder> mine = ThreadLocal.withInitial(() -> {
            LongAdder a = new LongAdder();
            byThread.put(Thread.currentThread().threadId(), a);
            return a;
        });

        private Counter(String name) {
            this.name = name;
        }

        /** Counts one call when counting mode is on; a no-op otherwise. */
        public void hit() {
            if (COUNTING) {
                adder.increment();
                mine.get().increment();
            }
        }

        /**
         * The errno to fail this call with instead of making it, under fault injection
         * ({@link Faults}); 0 (always, when injection is off) to make it.
         *
         * @return an errno, or 0
         */
        public int fault() {
            return Faults.ENABLED ? Faults.next(name) : 0;
        }

        /**
         * Whether {@link #fault()} may fail the call on this thread now: a path that would
         * bypass the call (and its injected faults) takes the call instead while so.
         *
         * @return false unless fault injection is on and its plan names the call
         */
        public boolean mayFault() {
            return Faults.ENABLED && Faults.planned(name);
        }

        /** {@return the call's name} */
        public String name() {
            return name;
        }

        /** {@return the calls counted so far} */
        public long count() {
            return adder.sum();
        }

        /**
         * The calls {@code thread} made so far.
         *
         * @param thread the thread
         * @return how many
         */
        public long count(Thread thread) {
            LongAdder a = byThread.get(thread.threadId());
            return a == null ? 0 : a.sum();
        }
    }

    /**
     * The counter for {@code name}, created on first use.
     *
     * @param name the name
     * @return the counter
     */
    public static Counter counter(String name) {
        return COUNTERS.computeIfAbsent(name, Counter::new);
    }

    /**
     * Calls of {@code name} since start or the last {@link #reset()}; 0 if never called.
     *
     * @param name the name
     * @return how many calls
     */
    public static long count(String name) {
        Counter c = COUNTERS.get(name);
        return c == null ? 0 : c.count();
    }

    /**
     * Calls of {@code name} made by {@code thread} (a loop's, a test's), since
     * start or the last {@link #reset()}; 0 if it never made one.
     *
     * @param name the name
     * @param thread the thread
     * @return how many calls
     */
    public static long count(String name, Thread thread) {
        Counter c = COUNTERS.get(name);
        return c == null ? 0 : c.count(thread);
    }

    /**
     * All non-zero counts, sorted by name.
     *
     * @return counts by name
     */
    public static Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        COUNTERS.forEach((name, c) -> {
            long n = c.count();
            if (n != 0) {
                out.put(name, n);
            }
        });
        return out;
    }

    /** Sets every count to zero. Not atomic with respect to calls made meanwhile. */
    public static void reset() {
        COUNTERS.values().forEach(c -> {
            c.adder.reset();
            c.byThread.values().forEach(LongAdder::reset);
        });
    }
}
