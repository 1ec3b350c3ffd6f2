package io.ffpoll.multiplexer.net;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Receives what happens on a {@link DatagramEndpoint}, on its loop's thread.
 *
 * <p><b>Views.</b> Handing a datagram over allocates nothing and copies nothing to the heap: the
 * payload is a read-only view of the endpoint's own native receive memory, and the sender a
 * {@link DatagramAddress} view that the endpoint points at each datagram in turn. Both are
 * valid during the call only. Keep the bytes by copying them ({@code payload.toArray(...)},
 * {@link MemorySegment#copy}), and the sender with {@link DatagramAddress#copy()},
 * {@link DatagramAddress#toInetSocketAddress()} or (Unix) {@link DatagramAddress#toUnixAddress()}. Replying during the call with
 * {@link DatagramEndpoint#send(MemorySegment, DatagramAddress)} copies both into the send
 * queue, and allocates nothing.
 *
 * <p><b>A view kept past its call</b> is not the datagram it was handed for but a place in the
 * endpoint's receive memory, which later datagrams reuse: each datagram is put at the same
 * place before its call (a payload of the same length may even be the same object), and the
 * datagrams of a GRO receive are handed over where the kernel put them. So:
 * <ul>
 * <li>read on the loop thread later, it shows what is at its place now: bytes of a later
 *     datagram once one has come, or of one received and not yet handed over;</li>
 * <li>read on another thread, it throws {@link WrongThreadException}, during the call too;</li>
 * <li>once the endpoint is closed, it throws {@link IllegalStateException}: the memory is freed
 *     with the endpoint, never given to another socket.</li>
 * </ul>
 * It never shows another endpoint's datagrams. A kept sender view likewise names the sender of
 * whichever datagram came last, and throws in the same two cases.
 *
 * <p><b>Identity.</b> The endpoint keeps one payload view per length it has seen and hands the
 * same object for every datagram of that length (and the same sender view for every datagram):
 * never tell datagrams apart by {@code ==}, nor key a map by a view's identity. The views are
 * confined to the loop thread, during the call as well: a thread the callback hands one to
 * (and waits for) gets {@link WrongThreadException}; copy the bytes for it instead. The views
 * kept are bounded: at most {@link DatagramOptions#maxDatagramSize()} + 1 payload views (one
 * per length, an object of a few tens of bytes each, made the first time that length comes and
 * kept until the endpoint closes), plus, with GRO, at most 64 segment views per receive slot.
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
     * @param payload its bytes, read-only; valid during this call only (see the class comment)
     * @param sender who sent it; a view valid during this call only
     */
    void onDatagram(DatagramEndpoint endpoint, MemorySegment payload, DatagramAddress sender);

    /**
     * A datagram longer than {@link DatagramOptions#maxDatagramSize()}: the kernel kept only its
     * first bytes and dropped the rest. It is counted ({@link DatagramStats#truncated()}) and
     * never passed to {@link #onDatagram}. By default nothing else happens.
     *
     * @param endpoint the endpoint it came to
     * @param prefix the bytes that were kept, read-only; valid during this call only
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
