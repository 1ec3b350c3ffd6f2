package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.Timer;

import java.time.Duration;

/**
 * The idle timeouts of one {@link Connection}: one loop timer at the nearest deadline, moved
 * only when it fires (activity just records the time), so a busy connection costs a clock read
 * per read or send and no timer work. Each kind is reported once per full period without
 * activity, again after another period, like Netty's IdleStateHandler. Loop thread only.
 */
final class IdleWatch {
    private final Connection connection;
    private final long[] period = new long[3];   // by IdleState.ordinal(); 0: off
    private final long[] reported = new long[3]; // when each kind was last reported
    long lastRead;
    long lastWrite;
    private Timer timer;
    private boolean cancelled; // replaced by other timeouts, or the connection closed

    IdleWatch(Connection connection, Duration read, Duration write, Duration all) {
        this.connection = connection;
        period[IdleState.READ.ordinal()] = read.toNanos();
        period[IdleState.WRITE.ordinal()] = write.toNanos();
        period[IdleState.ALL.ordinal()] = all.toNanos();
        long now = System.nanoTime();
        lastRead = now;
        lastWrite = now;
        java.util.Arrays.fill(reported, now);
        arm(now);
    }

    private long last(IdleState kind) {
        return switch (kind) {
            case READ -> lastRead;
            case WRITE -> lastWrite;
            case ALL -> Math.max(lastRead, lastWrite);
        };
    }

    /** When {@code kind} is next due: a period after its last activity or its last report. */
    private long due(IdleState kind) {
        return Math.max(last(kind), reported[kind.ordinal()]) + period[kind.ordinal()];
    }

    private void arm(long now) {
        long next = Long.MAX_VALUE;
        for (IdleState kind : IdleState.values()) {
            if (period[kind.ordinal()] > 0) {
                next = Math.min(next, due(kind));
            }
        }
        if (next != Long.MAX_VALUE) {
            timer = connection.loop().schedule(Duration.ofNanos(Math.max(0, next - now)), this::fire);
        }
    }

    private void fire() {
        timer = null;
        long now = System.nanoTime();
        for (IdleState kind : IdleState.values()) {
            if (cancelled) {
                return; // closed, or the handler set other timeouts in the report before
            }
            if (period[kind.ordinal()] > 0 && now >= due(kind)) {
                reported[kind.ordinal()] = now;
                connection.idle(kind);
            }
        }
        if (!cancelled) {
            arm(now);
        }
    }

    void cancel() {
        cancelled = true;
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }
}
