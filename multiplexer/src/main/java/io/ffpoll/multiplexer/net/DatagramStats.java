package io.ffpoll.multiplexer.net;

/**
 * What a {@link DatagramEndpoint} has done so far. Read on the loop thread they are exact;
 * elsewhere they may be a moment old.
 *
 * @param received              datagrams handed to {@link DatagramHandler#onDatagram}
 * @param truncated             datagrams longer than the maximum, reported as such and not passed on
 * @param receiveErrors         errors a receive call reported (an ICMP error, say)
 * @param sent                  datagrams the kernel took
 * @param sendErrors            datagrams dropped because the kernel refused them (each reported)
 * @param overflows             sends refused because the queue was full (their datagrams were never queued)
 * @param segmentationFallbacks times UDP GSO or GRO was asked for and refused, so that the datagrams
 *                              went or came one by one
 * @param droppedOnClose        datagrams still queued when the endpoint closed, which the socket did not take
 * @param queuedDatagrams       datagrams waiting in the send queue now
 * @param queuedBytes           their payload bytes
 */
public record DatagramStats(long received, long truncated, long receiveErrors, long sent, long sendErrors,
                            long overflows, long segmentationFallbacks, long droppedOnClose, int queuedDatagrams,
                            long queuedBytes) {
    /** What {@code r} and {@code q} counted (either null before the endpoint is on its loop), and the rest. */
    static DatagramStats of(DatagramReceiver r, DatagramSendQueue q, long segmentationFallbacks, long droppedOnClose) {
        return new DatagramStats(r == null ? 0 : r.received, r == null ? 0 : r.truncated, r == null ? 0 : r.receiveErrors,
                q == null ? 0 : q.sent, q == null ? 0 : q.sendErrors, q == null ? 0 : q.overflows,
                segmentationFallbacks, droppedOnClose, q == null ? 0 : q.datagrams(), q == null ? 0 : q.bytes());
    }
}
