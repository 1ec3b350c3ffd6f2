package io.ffpoll.multiplexer;

import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.internal.LoopCounters;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one loop (or, summed, a group of loops) has done since it started: one consistent
 * snapshot, taken as the loop ended an iteration. Counters ({@code ...Total} in Prometheus
 * terms) only grow; gauges ({@link #openConnections}, {@link #pausedConnections},
 * {@link #buffersInUse}, {@link #buffersFree}) are the value at that moment.
 *
 * <p>The loop keeps these figures always: each is a plain field that only the loop's thread
 * adds to, copied once per iteration for readers. Reading them ({@link EventLoop#metrics()},
 * {@link EventLoopGroup#metrics()}) never stops or waits for a loop. A loop blocked in its poll
 * has published everything it did before blocking.
 *
 * @param loop              the loop's name, or the group's for a sum
 * @param iterations        polls made, one per iteration
 * @param events            ready events dispatched to handlers
 * @param tasksRun          tasks run (submitted with {@code execute}, {@code submit} or {@code onLoop}; also
 *                          a timer scheduled from another thread, which reaches the loop as a task)
 * @param timersFired       timer tasks run (each run of a periodic timer counts)
 * @param wakeups           wake signals other threads sent to the loop while it was blocked in
 *                          (or about to block in) its poll, each one write to the kernel (eventfd,
 *                          or kevent); work handed over while the loop was awake costs none and is
 *                          not counted
 * @param busyNanos         time spent outside the poll: handlers, timers, tasks, flushes
 * @param idleNanos         time spent in polls that could wait, a wait still under way included
 *                          (a poll that cannot wait, as work is queued, counts as busy)
 * @param openConnections   connections open on the loop now (a {@code Connector}'s, from the
 *                          start of its connect)
 * @param accepts           connections accepted by the loop's listeners
 * @param acceptErrors      failed accept(2) calls by errno name ({@code "EMFILE"}; {@code "errno N"}
 *                          for one the bindings do not name); an errno with none is absent
 * @param bytesIn           bytes read from stream sockets by connections (ciphertext on TLS
 *                          connections); an {@code FdPassingChannel}'s are not counted
 * @param bytesOut          bytes connections' sockets took (sent, or by sendfile)
 * @param datagramsIn       datagrams received
 * @param datagramsOut      datagrams sent
 * @param pausedConnections connections whose write queue is above its high watermark now
 *                          (unwritable: back-pressure holds their producer)
 * @param pauses            times a connection became unwritable so far
 * @param buffersInUse      pooled native buffers handed out now; once a connection has run on
 *                          the loop, one is the read buffer all its connections share
 * @param buffersFree       pooled native buffers kept free for reuse now
 */
public record LoopMetrics(String loop, long iterations, long events, long tasksRun, long timersFired, long wakeups,
                          long busyNanos, long idleNanos, long openConnections, long accepts,
                          Map<String, Long> acceptErrors, long bytesIn, long bytesOut, long datagramsIn,
                          long datagramsOut, long pausedConnections, long pauses, long buffersInUse, long buffersFree) {

    /** The map is copied, sorted by errno name, and cannot be modified. */
    public LoopMetrics {
        acceptErrors = java.util.Collections.unmodifiableMap(new TreeMap<>(acceptErrors));
    }

    /** {@return all failed accepts, whatever their errno} */
    public long acceptErrorsTotal() {
        long sum = 0;
        for (long n : acceptErrors.values()) {
            sum += n;
        }
        return sum;
    }

    /**
     * The sum of {@code parts}, named {@code name}: every counter and gauge added up, accept
     * errors by errno.
     *
     * @param name the sum's name
     * @param parts the snapshots to add
     * @return the sum
     */
    public static LoopMetrics sum(String name, Collection<LoopMetrics> parts) {
        long[] s = new long[LoopCounters.SLOTS];
        Map<String, Long> errors = new TreeMap<>();
        for (LoopMetrics m : parts) {
            long[] c = m.slots();
            for (int i = 0; i < s.length; i++) {
                s[i] += c[i];
            }
            m.acceptErrors.forEach((errno, n) -> errors.merge(errno, n, Long::sum));
        }
        return of(name, s, errors);
    }

    static LoopMetrics of(String name, long[] c, long[] acceptErrorsByErrno) {
        Map<String, Long> errors = new TreeMap<>();
        if (c[LoopCounters.ACCEPT_ERRORS] != 0) {
            for (int errno = 0; errno < acceptErrorsByErrno.length; errno++) {
                if (acceptErrorsByErrno[errno] != 0) {
                    errors.merge(errnoName(errno), acceptErrorsByErrno[errno], Long::sum);
                }
            }
        }
        return of(name, c, errors);
    }

    private static LoopMetrics of(String name, long[] c, Map<String, Long> errors) {
        return new LoopMetrics(name, c[LoopCounters.ITERATIONS], c[LoopCounters.EVENTS], c[LoopCounters.TASKS_RUN],
                c[LoopCounters.TIMERS_FIRED], c[LoopCounters.WAKEUPS], c[LoopCounters.BUSY_NANOS],
                c[LoopCounters.IDLE_NANOS], c[LoopCounters.OPEN_CONNECTIONS], c[LoopCounters.ACCEPTS], errors,
                c[LoopCounters.BYTES_IN], c[LoopCounters.BYTES_OUT], c[LoopCounters.DATAGRAMS_IN],
                c[LoopCounters.DATAGRAMS_OUT], c[LoopCounters.PAUSED_NOW], c[LoopCounters.PAUSED_TOTAL],
                c[LoopCounters.BUFFERS_IN_USE], c[LoopCounters.BUFFERS_FREE]);
    }

    private long[] slots() {
        long[] c = new long[LoopCounters.SLOTS];
        c[LoopCounters.ITERATIONS] = iterations;
        c[LoopCounters.EVENTS] = events;
        c[LoopCounters.TASKS_RUN] = tasksRun;
        c[LoopCounters.TIMERS_FIRED] = timersFired;
        c[LoopCounters.WAKEUPS] = wakeups;
        c[LoopCounters.BUSY_NANOS] = busyNanos;
        c[LoopCounters.IDLE_NANOS] = idleNanos;
        c[LoopCounters.OPEN_CONNECTIONS] = openConnections;
        c[LoopCounters.ACCEPTS] = accepts;
        c[LoopCounters.ACCEPT_ERRORS] = acceptErrorsTotal();
        c[LoopCounters.BYTES_IN] = bytesIn;
        c[LoopCounters.BYTES_OUT] = bytesOut;
        c[LoopCounters.DATAGRAMS_IN] = datagramsIn;
        c[LoopCounters.DATAGRAMS_OUT] = datagramsOut;
        c[LoopCounters.PAUSED_NOW] = pausedConnections;
        c[LoopCounters.PAUSED_TOTAL] = pauses;
        c[LoopCounters.BUFFERS_IN_USE] = buffersInUse;
        c[LoopCounters.BUFFERS_FREE] = buffersFree;
        return c;
    }

    /** {@code "EMFILE"} from {@code "EMFILE (Too many open files)"}; {@code "errno 97"} for one not named. */
    private static String errnoName(int errno) {
        String d = Platform.current().describe(errno);
        int space = d.indexOf(" (");
        return space > 0 ? d.substring(0, space) : d;
    }
}
