package io.ffpoll.http;

/**
 * The pieces of a streamed response body ({@link Response#stream}), asked for one at a time on
 * the connection's loop thread while the client keeps up. Must not block.
 *
 * <p>Two shapes. A <em>pull</em> producer always has its next piece (a file, a cursor, a
 * generator): it implements {@link #next()} alone. A <em>push</em> producer gets its data
 * from elsewhere (another connection, a queue, a timer): when it has nothing yet, {@link #next()}
 * returns an empty array, and the server stops asking (the loop goes on serving others) until
 * the producer runs the {@code resume} handle {@link #start} gave it, from any thread. When
 * the client goes away first, the producer hears of it through {@link #onCancel()}.
 *
 * <p>Threads: {@link #start}, {@link #next()} and {@link #onCancel()} are called on the
 * connection's loop thread, never concurrently; only {@code resume} may be run from anywhere.
 */
@FunctionalInterface
public interface BodyProducer {
    /**
     * The next piece of the body, which the server may keep (do not change it afterwards).
     *
     * @return the next piece; an empty array when there is nothing yet (the server asks again
     *     only after {@code resume} ran: see {@link #start}); null when the body is complete
     * @throws Exception to abort the response (the connection is reset; {@link #onCancel()}
     *     is not called)
     */
    byte[] next() throws Exception;

    /**
     * Called once, before the first {@link #next()}, with the handle that makes the server ask
     * for more after {@link #next()} returned an empty array. {@code resume.run()} may be
     * called from any thread, any number of times, cheaply (calls before the server next asks
     * are merged into one ask); one made while {@link #next()} is returning empty is not lost.
     * After the body is complete or cancelled, or the server stopped, it does nothing. The
     * default ignores the handle: right for a producer that never returns an empty array.
     *
     * @param resume makes the server call {@link #next()} again, on the loop
     * @throws Exception to abort the response, as {@link #next()} may
     */
    default void start(Runnable resume) throws Exception {}

    /**
     * The body will not be completed: the client went away or the connection was closed (an
     * error, the write timeout, the server's shutdown) before {@link #next()} returned null.
     * Called at most once, on the loop, and never after {@link #next()} returned null or threw
     * (or produced more than a declared length, which aborts the response); release what the producer holds here. Exceptions are logged and otherwise ignored.
     * Note that a client leaving while the body waits for its producer is noticed when the
     * server next writes to it, as for any server that is not reading from that client.
     */
    default void onCancel() {}
}
