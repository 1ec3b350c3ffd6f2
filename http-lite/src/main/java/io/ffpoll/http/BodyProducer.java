package io.ffpoll.http;

/**
 * The pieces of a streamed response body ({@link Response#stream}), asked for one at a time
 * on the connection's loop thread while the client keeps up. Must not block.
 */
@FunctionalInterface
public interface BodyProducer {
    /**
     * The next piece of the body, which the server may keep (do not change it afterwards); an
     * empty array is skipped.
     *
     * @return the next piece, or null when the body is complete
     * @throws Exception to abort the response (the connection is reset)
     */
    byte[] next() throws Exception;
}
