package io.ffpoll.bindings.internal;

import io.ffpoll.bindings.Err;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Fault injection, for tests: with {@code -Dffpoll.faults=true}, chosen calls made through the
 * bindings fail with chosen errnos instead of being made, at random points from a fixed seed,
 * on the threads a plan names. Like counting mode ({@link Syscalls}), the switch is a
 * {@code static final} read once, so when it is off the check folds away and costs nothing.
 *
 * <p>The calls that can fail so are the ones an event loop makes on behalf of its peers: read,
 * write, send, sendmsg, accept, accept4, the registration (epoll_ctl: ENOSPC at the
 * max_user_watches limit, ENOMEM, EPERM for a file epoll cannot watch) and the wait
 * (epoll_wait, epoll_pwait2). close never fails here: a close that reports an error has still
 * released the descriptor.
 */
public final class Faults {
    /** Whether injection can happen in this process at all. */
    public static final boolean ENABLED = Boolean.getBoolean("ffpoll.faults");

    /**
     * One kind of fault: {@code call} fails with {@code errno} with probability
     * {@code probability} per call.
     *
     * @param call        a C name, e.g. {@code "read"}
     * @param errno       the errno it fails with (this OS's number, e.g. {@link Err#ECONNRESET})
     * @param probability per call, in (0, 1]
     */
    public record Rule(String call, int errno, double probability) {
        /**
         * Checks the rule.
         *
         * @throws IllegalArgumentException for a probability outside (0, 1] or an errno below 1
         */
        public Rule {
            Objects.requireNonNull(call, "call");
            if (!(probability > 0 && probability <= 1) || errno < 1) {
                throw new IllegalArgumentException("probability in (0, 1] and a positive errno, got " + probability + ", " + errno);
            }
        }
    }

    private record Plan(long seed, List<Rule> rules, String threadPrefix) {}

    private static volatile Plan plan;
    private static final ThreadLocal<SplittableRandom> RANDOM = new ThreadLocal<>();
    private static final Map<String, LongAdder> INJECTED = new ConcurrentHashMap<>();

    private Faults() {}

    /**
     * Starts injecting {@code rules} on threads whose name starts with {@code threadPrefix}
     * (an event loop's name, say), each thread drawing from a generator seeded with
     * {@code seed} and its name.
     *
     * @param seed         the seed
     * @param rules        what fails, how and how often
     * @param threadPrefix the threads to fail calls on
     * @throws IllegalStateException unless the process runs with {@code -Dffpoll.faults=true}
     */
    public static void install(long seed, List<Rule> rules, String threadPrefix) {
        if (!ENABLED) {
            throw new IllegalStateException("fault injection needs -Dffpoll.faults=true");
        }
        plan = new Plan(seed, List.copyOf(rules), Objects.requireNonNull(threadPrefix, "threadPrefix"));
    }

    /** Stops injecting; what was injected stays counted. */
    public static void clear() {
        plan = null;
    }

    /**
     * Faults injected into {@code call} so far.
     *
     * @param call the C name
     * @return how many
     */
    public static long injected(String call) {
        LongAdder a = INJECTED.get(call);
        return a == null ? 0 : a.sum();
    }

    /**
     * All injected faults by call name.
     *
     * @return counts by name
     */
    public static Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        INJECTED.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** For {@link Syscalls.Counter#mayFault()}: whether the plan can fail {@code call} on this thread. */
    static boolean planned(String call) {
        Plan p = plan;
        if (p == null || !Thread.currentThread().getName().startsWith(p.threadPrefix())) {
            return false;
        }
        for (Rule r : p.rules()) {
            if (r.call().equals(call)) {
                return true;
            }
        }
        return false;
    }

    /** For {@link Syscalls.Counter#fault()}: the errno to fail {@code call} with now, or 0. */
    static int next(String call) {
        Plan p = plan;
        if (p == null) {
            return 0;
        }
        Thread current = Thread.currentThread();
        if (!current.getName().startsWith(p.threadPrefix())) {
            return 0;
        }
        SplittableRandom random = RANDOM.get();
        if (random == null) {
            random = new SplittableRandom(p.seed() ^ current.getName().hashCode());
            RANDOM.set(random);
        }
        for (Rule r : p.rules()) {
            if (r.call().equals(call) && random.nextDouble() < r.probability()) {
                INJECTED.computeIfAbsent(call, k -> new LongAdder()).increment();
                return r.errno();
            }
        }
        return 0;
    }
}
