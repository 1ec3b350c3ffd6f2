package io.ffpoll.multiplexer.net;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * What a protocol implements to use a {@link Connection}. Every method is called on the
 * connection's loop thread.
 */
public interface ConnectionHandler {

    /**
     * The connection is established (accepted, or a connect completed); over TLS, once the
     * handshake is done. A connection whose TLS handshake fails or times out is never opened:
     * its handler hears only {@link #onClosed}, with the reason.
     *
     * @param connection the connection
     */
    default void onOpen(Connection connection) {}

    /**
     * Bytes arrived. {@code data} is a view of exactly the unconsumed bytes so far (bytes left
     * over from earlier calls first), valid only during this call: copy what must outlive it.
     * Return how many bytes, from the start, were used; the rest is kept and offered again,
     * followed by new bytes, when more arrive. Returning less than everything is how a parser
     * waits for the rest of a message; only then does the connection hold a buffer of its own.
     *
     * @param connection the connection
     * @param data the bytes
     * @return how many bytes, from the start, were used (0 to all)
     */
    long onData(Connection connection, MemorySegment data);

    /**
     * The peer shut down its side (EOF) with no incomplete message pending. Writing may still
     * work. The default closes the connection gracefully. While reading is paused
     * ({@link Connection#pauseReading()}) the end waits, as data does, for the resume: a
     * handler answering its last message later (from another thread, a streamed body) hears
     * of it after the answer. On a TLS connection the end is the
     * peer's close_notify or a bare TCP FIN between records, which
     * {@link Connection#closeNotifyReceived()} tells apart (a FIN may be a truncation).
     *
     * @param connection the connection
     */
    default void onReadClosed(Connection connection) {
        connection.close();
    }

    /**
     * An incomplete message outgrew {@link Connection#setMaxPending} ({@code pending} bytes
     * unconsumed): reading has stopped and the bytes are dropped. The handler may write an
     * answer (a protocol error); then the connection closes, lingering so the answer reaches the
     * peer before its unread bytes would reset it ({@link Connection#closeLingering()}), unless
     * the handler closed or aborted it itself. The default writes nothing.
     *
     * @param connection the connection
     * @param pending the unconsumed bytes
     */
    default void onInputTooLarge(Connection connection, long pending) {}

    /**
     * The write queue rose above the high watermark ({@code writable == false}: stop producing)
     * or fell below the low watermark again ({@code true}: resume).
     *
     * @param connection the connection
     * @param writable false above the high watermark, true below the low one again
     */
    default void onWritabilityChanged(Connection connection, boolean writable) {}

    /**
     * The connection has been idle for a timeout set with {@link Connection#setIdleTimeouts}:
     * nothing read ({@link IdleState#READ}), nothing sent ({@link IdleState#WRITE}), or neither
     * ({@link IdleState#ALL}). The default does nothing; a server typically closes, a client
     * sends a heartbeat.
     *
     * @param connection the connection
     * @param state what it has been idle in
     */
    default void onIdle(Connection connection, IdleState state) {}

    /**
     * Called exactly once when the connection is gone. {@code cause} is null when it was closed
     * by {@link Connection#close()} or {@link Connection#abort()}, otherwise why it failed: a
     * refused connect, a reset ({@link java.net.SocketException}), an EOF in the middle of a
     * message ({@link java.io.EOFException}), the loop closing ({@link ClosedConnectionException}).
     *
     * @param connection the connection
     * @param cause why, or null
     */
    default void onClosed(Connection connection, IOException cause) {}
}
