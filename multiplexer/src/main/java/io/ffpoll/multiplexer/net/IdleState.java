package io.ffpoll.multiplexer.net;

/**
 * What a connection has been idle in, for {@link ConnectionHandler#onIdle}: as Netty's
 * {@code IdleStateHandler} reports it.
 */
public enum IdleState {
    /** Nothing was read for the read timeout. */
    READ,
    /** Nothing was sent for the write timeout. */
    WRITE,
    /** Nothing was read nor sent for the timeout of both. */
    ALL
}
