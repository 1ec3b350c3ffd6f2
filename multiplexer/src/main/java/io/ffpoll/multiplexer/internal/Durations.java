package io.ffpoll.multiplexer.internal;

import java.time.Duration;
import java.util.Objects;

/** Argument checks and conversions of the Durations the public API takes. */
public final class Durations {
    private Durations() {}

    /** {@code d}, if it is positive; {@code what} names it in the exception. */
    public static Duration positive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
        return d;
    }

    /** {@code d} in nanoseconds, or {@code Long.MAX_VALUE} if it does not fit. */
    public static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }
}
