package io.ffpoll.multiplexer.net;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * The futures of {@link Connection#writeAsync}: each completes once the socket has taken every
 * byte written up to its write ("flushed up to here"), in write order, or fails when the
 * connection ends first. Positions count the connection's bytes from its first write, so a
 * check after a send is one comparison. Made on the first such write. Loop thread only.
 *
 * <p>A future is completed in a task of the loop's, never inside the send that took its bytes:
 * what depends on it may write, close or abort, and must not run in the middle of a flush.
 */
final class FlushWaiters {
    private record Waiter(long upTo, CompletableFuture<Void> future) {}

    private final ConnectionState connection;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>(4);

    FlushWaiters(ConnectionState connection) {
        this.connection = connection;
    }

    /** {@code future} completes once {@code upTo} bytes have been sent in all. */
    void add(long upTo, CompletableFuture<Void> future) {
        waiting.addLast(new Waiter(upTo, future));
    }

    /** The socket has taken {@code sent} bytes in all: complete the writes that fit. */
    void sent(long sent) {
        Waiter w;
        while ((w = waiting.peekFirst()) != null && w.upTo <= sent) {
            waiting.pollFirst();
            connection.completeLater(w.future, null);
        }
    }

    /** The connection ended: what was not sent fails with {@code cause}. */
    void fail(Throwable cause) {
        Waiter w;
        while ((w = waiting.pollFirst()) != null) {
            connection.completeLater(w.future, cause);
        }
    }
}
