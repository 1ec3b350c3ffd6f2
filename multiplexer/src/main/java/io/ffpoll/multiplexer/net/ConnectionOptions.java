package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.internal.Durations;

import java.time.Duration;

/**
 * The settings of a {@link Connection}, immutable, so that every connection shares the defaults
 * and only one that changes a setting makes its own copy: an idle connection stays small.
 */
record ConnectionOptions(long lowWatermark, long highWatermark, long maxPending, int readBudget,
                         Duration closeTimeout, Duration lingerTime, long lingerBytes,
                         long maxQueued, Connection.Overflow overflow) {

    static final ConnectionOptions DEFAULTS = new ConnectionOptions(Connection.DEFAULT_LOW_WATERMARK,
            Connection.DEFAULT_HIGH_WATERMARK, Connection.DEFAULT_MAX_PENDING, Connection.DEFAULT_READ_BUDGET,
            Connection.DEFAULT_CLOSE_TIMEOUT, Connection.DEFAULT_LINGER_TIME, Connection.DEFAULT_LINGER_BYTES,
            Connection.DEFAULT_MAX_QUEUED, Connection.Overflow.CLOSE);

    // Equal settings share one instance, so that a server setting the same option on each of its
    // connections keeps one copy, not one per connection. Bounded: past it, copies are made.
    private static final int MAX_INTERNED = 256;
    private static final java.util.concurrent.ConcurrentHashMap<ConnectionOptions, ConnectionOptions> INTERNED =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static ConnectionOptions intern(ConnectionOptions o) {
        ConnectionOptions known = INTERNED.get(o);
        if (known != null) {
            return known;
        }
        if (INTERNED.size() >= MAX_INTERNED) {
            return o;
        }
        known = INTERNED.putIfAbsent(o, o);
        return known == null ? o : known;
    }

    ConnectionOptions withWatermarks(long low, long high) {
        if (low < 0 || high < low) {
            throw new IllegalArgumentException("need 0 <= low <= high, got low " + low + ", high " + high);
        }
        return intern(new ConnectionOptions(low, high, maxPending, readBudget, closeTimeout, lingerTime, lingerBytes,
                maxQueued, overflow));
    }

    ConnectionOptions withMaxPending(long bytes) {
        if (bytes < 1 || bytes > BufferPool.maxBufferSize()) {
            throw new IllegalArgumentException("max pending must be in 1.." + BufferPool.maxBufferSize() + ", got " + bytes);
        }
        return intern(new ConnectionOptions(lowWatermark, highWatermark, bytes, readBudget, closeTimeout, lingerTime,
                lingerBytes, maxQueued, overflow));
    }

    ConnectionOptions withReadBudget(int reads) {
        if (reads < 1) {
            throw new IllegalArgumentException("read budget must be at least 1, got " + reads);
        }
        return intern(new ConnectionOptions(lowWatermark, highWatermark, maxPending, reads, closeTimeout, lingerTime,
                lingerBytes, maxQueued, overflow));
    }

    ConnectionOptions withCloseTimeout(Duration timeout) {
        return intern(new ConnectionOptions(lowWatermark, highWatermark, maxPending, readBudget,
                Durations.positive(timeout, "close timeout"), lingerTime, lingerBytes, maxQueued, overflow));
    }

    ConnectionOptions withLingering(Duration time, long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("linger bytes must not be negative, got " + maxBytes);
        }
        return intern(new ConnectionOptions(lowWatermark, highWatermark, maxPending, readBudget, closeTimeout,
                Durations.positive(time, "linger time"), maxBytes, maxQueued, overflow));
    }

    ConnectionOptions withMaxQueued(long bytes, Connection.Overflow policy) {
        if (bytes < 1) {
            throw new IllegalArgumentException("max queued must be at least 1 byte, got " + bytes);
        }
        return intern(new ConnectionOptions(lowWatermark, highWatermark, maxPending, readBudget, closeTimeout,
                lingerTime, lingerBytes, bytes, java.util.Objects.requireNonNull(policy, "policy")));
    }
}
