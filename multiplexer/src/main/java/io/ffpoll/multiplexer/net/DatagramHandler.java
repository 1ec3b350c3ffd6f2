package io.ffpoll.multiplexer.net;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Receives what happens on a {@link DatagramEndpoint}, on its loop's thread.
 *
 * <p><b>Views.</b> The payload is a read-only view of the loop's pooled native memory, and the
 * sender a {@link DatagramAddress} view that the endpoint points at each datagram in turn: both
 * are valid only during the call. Nothing is copied to hand them over; keep the bytes by
 * copying them, and the sender with {@link DatagramAddress#copy()},
 * {@link DatagramAddress#toInetSocketAddress()} or (Unix) {@link DatagramAddress#toUnixAddress()}.
 * Replying during the call with
 * {@link DatagramEndpoint#send(MemorySegment, DatagramAddress)} copies both into the send
 * queue, and allocates nothing.
 *
 * <p>A callback that throws closes its endpoint (the loop and its other endpoints go on), and
 * {@link #onClosed} hears why.
 */
public interface DatagramHandler {
    /**
     * One whole datagram (a datagram coalesced by UDP GRO is handed over as the datagrams it was
     * made of, one call each).
     *
     * @param endpoint the endpoint it came to
     * @param payload its bytes; valid during this call only
     * @param sender who sent it; a view valid during this call only
     */
    void onDatagram(DatagramEndpoint endpoint, MemorySegment payload, DatagramAddress sender);

    /**
     * A datagram longer than {@link DatagramOptions#maxDatagramSize()}: the kernel kept only its
     * first bytes and dropped the rest. It is counted ({@link DatagramStats#truncated()}) and
     * never passed to {@link #onDatagram}. By default nothing else happens.
     *
     * @param endpoint the endpoint it came to
     * @param prefix the bytes that were kept; valid during this call only
     * @param sender who sent it; a view valid during this call only
     */
    default void onTruncated(DatagramEndpoint endpoint, MemorySegment prefix, DatagramAddress sender) {
    }

    /**
     * An error the kernel reported for one datagram, or for the socket, that does not end the
     * endpoint: the message names the call, the peer and the errno. Send errors (EMSGSIZE for a
     * datagram too long for the path, EACCES for a broadcast without SO_BROADCAST, ...) each
     * drop the datagram they came with ({@link DatagramStats#sendErrors()}); an ICMP error
     * (ECONNREFUSED: nothing listens on a connected peer's port, as a
     * {@link java.net.ConnectException}) comes with the next receive or send after it arrived.
     * On a Unix datagram socket: ECONNREFUSED or ENOENT for a path nobody serves, EAGAIN for a
     * named peer whose receive queue is full, and a reply to an unnamed sender, each dropping its
     * datagram.
     * The endpoint goes on serving. By default nothing else happens (both are counted).
     *
     * @param endpoint the endpoint
     * @param error what happened
     */
    default void onError(DatagramEndpoint endpoint, IOException error) {
    }

    /**
     * The endpoint is closed: by {@link DatagramEndpoint#close()} (cause null), because its loop
     * stopped ({@link ClosedConnectionException}), or because a callback threw (that exception).
     * Called once.
     *
     * @param endpoint the endpoint
     * @param cause why, or null for a close asked for
     */
    default void onClosed(DatagramEndpoint endpoint, Throwable cause) {
    }
}
