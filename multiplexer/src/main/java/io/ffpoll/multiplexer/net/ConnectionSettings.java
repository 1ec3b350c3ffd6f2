package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;

import java.time.Duration;

/**
 * The settings of a {@link Connection} its owner may change on the loop thread: watermarks,
 * read budget, the bounds of pending input and of the write queue, how long closing may take,
 * and the idle timeouts. Each change makes (or shares) an immutable {@link ConnectionOptions},
 * so an untouched connection carries none of its own.
 */
abstract sealed class ConnectionSettings extends ConnectionStartTls permits ConnectionPeer {

    ConnectionSettings(EventLoop loop, int fd, java.net.SocketAddress remote, ConnectionHandler handler) {
        super(loop, fd, remote, handler);
    }

    /**
     * Sets the write queue's watermarks: above {@code high} the connection reports itself not writable ({@link ConnectionHandler#onWritabilityChanged}), below {@code low} writable again. Loop thread only.
     * @param low the low watermark in bytes
     * @param high the high watermark in bytes, above {@code low}
     */
    public final void setWriteWatermarks(long low, long high) {
        checkLoop("setWriteWatermarks");
        options = options.withWatermarks(low, high);
    }

    /**
     * How many reads this connection makes per turn before the loop serves its other connections
     * (then it continues in the next iteration, without a syscall to get there).
     *
     * @param reads reads per turn, at least 1
     */
    public final void setReadBudget(int reads) {
        checkLoop("setReadBudget");
        options = options.withReadBudget(reads);
    }

    /**
     * Caps the bytes an incomplete message may hold; beyond it the connection fails.
     *
     * @param bytes the bytes
     */
    public final void setMaxPending(long bytes) {
        checkLoop("setMaxPending");
        options = options.withMaxPending(bytes);
    }

    /**
     * How long {@link Connection#close()} may wait for the peer to take what is queued before it
     * aborts, counted from the last time the peer took some: a slow reader of a large response
     * gets all of it, a peer that stops reading is aborted this long after it stopped.
     *
     * @param timeout how long to wait at most
     */
    public final void setCloseTimeout(Duration timeout) {
        checkLoop("setCloseTimeout");
        options = options.withCloseTimeout(timeout);
    }

    /**
     * Bounds of {@link Connection#closeLingering()}: while the queue is sent, at most
     * {@code time} without the peer taking any of it; then, from the FIN, at most {@code time}
     * of reading and discarding, and {@code maxBytes} discarded.
     *
     * @param time how long at most
     * @param maxBytes the most bytes to discard
     */
    public final void setLingering(Duration time, long maxBytes) {
        checkLoop("setLingering");
        options = options.withLingering(time, maxBytes);
    }

    /**
     * Caps the write queue at {@code bytes}: a write that would take it further is refused, or
     * the connection is aborted, as {@code policy} says (default {@link Connection#DEFAULT_MAX_QUEUED},
     * {@link Connection.Overflow#CLOSE}). The watermarks ({@link #setWriteWatermarks}) tell a producer to
     * slow down; this bound holds when it does not. Loop thread only.
     *
     * @param bytes the most bytes queued at once, at least 1
     * @param policy what a write past it does
     */
    public final void setMaxQueued(long bytes, Connection.Overflow policy) {
        checkLoop("setMaxQueued");
        options = options.withMaxQueued(bytes, policy);
    }

    /**
     * Reports idleness to {@link ConnectionHandler#onIdle}: nothing read for {@code read},
     * nothing sent for {@code write}, neither for {@code all} ({@link Duration#ZERO} turns one
     * off; all zero turns the watch off). Each is reported once per full period without
     * activity, then again after another period. Setting them again starts them afresh. Costs
     * one timer per connection, moved only when it fires. Loop thread only.
     *
     * @param read the read idle timeout, or zero
     * @param write the write idle timeout, or zero
     * @param all the timeout of both, or zero
     */
    public final void setIdleTimeouts(Duration read, Duration write, Duration all) {
        checkLoop("setIdleTimeouts");
        java.util.Objects.requireNonNull(read, "read (Duration.ZERO turns it off)");
        java.util.Objects.requireNonNull(write, "write (Duration.ZERO turns it off)");
        java.util.Objects.requireNonNull(all, "all (Duration.ZERO turns it off)");
        for (Duration d : new Duration[] {read, write, all}) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("negative idle timeout " + d);
            }
        }
        if (idle != null) {
            idle.cancel();
            idle = null;
        }
        if (!closed && !(read.isZero() && write.isZero() && all.isZero())) {
            idle = new IdleWatch((Connection) this, read, write, all);
        }
    }

    final void idle(IdleState state) {
        try {
            handler.onIdle((Connection) this, state);
        } catch (Throwable t) {
            handlerFailed("onIdle", t);
        }
    }
}
