package io.ffpoll.multiplexer;

/**
 * Which readiness a registration wants delivered: an immutable set of {@link #READABLE} and
 * {@link #WRITABLE}. {@link #NONE} pauses delivery without forgetting readiness (see
 * {@link Poller#modify}). The four values are shared constants, so combining them allocates
 * nothing.
 */
public final class Interest {
    static final int READ = io.ffpoll.multiplexer.backend.EventBuffer.READ;
    static final int WRITE = io.ffpoll.multiplexer.backend.EventBuffer.WRITE;

    /** Nothing: readiness is remembered, not delivered. */
    public static final Interest NONE = new Interest(0);
    /** Readable (and EOF, errors). */
    public static final Interest READABLE = new Interest(READ);
    /** Writable (and errors). */
    public static final Interest WRITABLE = new Interest(WRITE);
    /** Readable and writable. */
    public static final Interest BOTH = new Interest(READ | WRITE);

    private static final Interest[] BY_BITS = {NONE, READABLE, WRITABLE, BOTH};

    final int bits;

    private Interest(int bits) {
        this.bits = bits;
    }

    static Interest of(int bits) {
        return BY_BITS[bits & (READ | WRITE)];
    }

    /** {@return whether READABLE is in the set} */
    public boolean isReadable() {
        return (bits & READ) != 0;
    }

    /** {@return whether WRITABLE is in the set} */
    public boolean isWritable() {
        return (bits & WRITE) != 0;
    }

    /**
     * This set plus {@code other}'s members.
     *
     * @param other the other set
     * @return the union
     */
    public Interest add(Interest other) {
        return of(bits | other.bits);
    }

    /**
     * This set without {@code other}'s members.
     *
     * @param other the other set
     * @return the difference
     */
    public Interest remove(Interest other) {
        return of(bits & ~other.bits);
    }

    @Override
    public String toString() {
        return switch (bits) {
            case 0 -> "NONE";
            case READ -> "READABLE";
            case WRITE -> "WRITABLE";
            default -> "READABLE|WRITABLE";
        };
    }
}
