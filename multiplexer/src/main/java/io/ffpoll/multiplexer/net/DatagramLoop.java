package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopLocal;


/**
 * The send queues of one loop's datagram endpoints with sends queued in this iteration: each is flushed once, in
 * the loop's hook just before its next poll, so that everything an iteration queued on an
 * endpoint leaves in one batch (one sendmmsg) and the loop still makes one wait per iteration.
 * Loop thread only.
 */
final class DatagramLoop implements LoopLocal {
    private final FlushList<DatagramSendQueue> toFlush = new FlushList<>();

    /** {@code loop}'s list, made on first use. Loop thread only. */
    static DatagramLoop of(EventLoop loop) {
        return LoopAccess.get().local(loop, DatagramLoop.class, l -> new DatagramLoop());
    }

    void requestFlush(DatagramSendQueue e) {
        toFlush.add(e);
    }

    @Override
    public boolean hasWork() {
        return !toFlush.isEmpty();
    }

    /** Flushes the endpoints that queued sends; those their callbacks queue go next iteration. */
    @Override
    public void beforePoll() {
        toFlush.flushEach(DatagramSendQueue::flushAtEndOfIteration);
    }

    @Override
    public void closeBecauseLoopStopped() {
        toFlush.clear();
    }
}
