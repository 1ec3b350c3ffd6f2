package io.ffpoll.multiplexer.net;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What asked during one loop iteration to be flushed before the next poll: connections
 * ({@link LoopIo}) and datagram endpoints ({@link DatagramLoop}). Two lists swap, so that what
 * a flush asks for goes to the next iteration instead of growing the one being walked, and
 * nothing is allocated per iteration. Loop thread only.
 *
 * @param <T> what is flushed
 */
final class FlushList<T> {
    private List<T> toFlush = new ArrayList<>();
    private List<T> flushing = new ArrayList<>();

    void add(T t) {
        toFlush.add(t);
    }

    boolean isEmpty() {
        return toFlush.isEmpty();
    }

    /** Flushes what was asked for so far; what {@code flush} asks for waits for the next call. */
    void flushEach(Consumer<T> flush) {
        List<T> batch = toFlush;
        toFlush = flushing;
        flushing = batch;
        for (int i = 0; i < batch.size(); i++) {
            flush.accept(batch.get(i));
        }
        batch.clear();
    }

    void clear() {
        toFlush.clear();
    }
}
