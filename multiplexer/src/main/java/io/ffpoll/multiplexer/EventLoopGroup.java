package io.ffpoll.multiplexer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N {@link EventLoop}s started and closed together, like Netty's {@code EventLoopGroup}: one
 * loop per core is the usual size. {@link #next()} places work (an outbound connection, a
 * handed-off socket) round-robin; {@code io.ffpoll.multiplexer.net.GroupListener} spreads
 * accepted connections over the loops. Thread-safe.
 */
public final class EventLoopGroup implements AutoCloseable {
    private final String name;
    private final List<EventLoop> loops;
    private final AtomicInteger next = new AtomicInteger();

    private EventLoopGroup(String name, List<EventLoop> loops) {
        this.name = name;
        this.loops = Collections.unmodifiableList(loops);
    }

    /**
     * Starts {@code size} loops named {@code name-0}, {@code name-1}, ... on this OS's poller.
     *
     * @param name the name
     * @param size the number of loops
     * @return the running group
     * @throws IOException if a poller cannot be opened
     */
    public static EventLoopGroup start(String name, int size) throws IOException {
        return start(name, size, null);
    }

    /**
     * Starts {@code size} loops on the named backend ({@link Poller#open(String)}), or the OS's
     * own for null. If one cannot start, those started already are closed and the error thrown.
     *
     * @throws IllegalArgumentException if {@code size} is below 1
     * @param name the name
     * @param size the number of loops
     * @param backend as {@link Poller#open(String)} names it: "epoll", "io_uring", "auto" or "kqueue"
     * @return the running group
     * @throws IOException if a poller cannot be opened
     * @throws IllegalStateException for kqueue on Linux where libkqueue is not found
     * @throws UnsupportedOperationException for io_uring on another OS than Linux
     */
    public static EventLoopGroup start(String name, int size, String backend) throws IOException {
        if (size < 1) {
            throw new IllegalArgumentException("a group needs at least one loop, got " + size);
        }
        List<EventLoop> started = new ArrayList<>(size);
        try {
            for (int i = 0; i < size; i++) {
                Poller poller = backend == null ? Poller.open() : Poller.open(backend);
                started.add(EventLoop.start(name + "-" + i, poller, 1024));
            }
        } catch (IOException | RuntimeException e) {
            started.forEach(EventLoop::close);
            throw e;
        }
        return new EventLoopGroup(name, started);
    }

    /**
     * The sum of the loops' {@link EventLoop#metrics()}, named after the group. Any thread;
     * never waits for a loop. Each loop's part is consistent in itself; the parts are taken one
     * after another.
     *
     * @return the sum
     */
    public LoopMetrics metrics() {
        return LoopMetrics.sum(name, loopMetrics());
    }

    /**
     * Each loop's {@link EventLoop#metrics()}, in the loops' order. Any thread.
     *
     * @return the snapshots
     */
    public List<LoopMetrics> loopMetrics() {
        List<LoopMetrics> all = new ArrayList<>(loops.size());
        for (EventLoop loop : loops) {
            all.add(loop.metrics());
        }
        return all;
    }

    /** {@return the number of loops} */
    public int size() {
        return loops.size();
    }

    /**
     * Loop {@code i}, from 0.
     *
     * @param i the index, from 0
     * @return the loop
     */
    public EventLoop get(int i) {
        return loops.get(i);
    }

    /**
     * The loops, in order; the list cannot be modified.
     *
     * @return the loops
     */
    public List<EventLoop> loops() {
        return loops;
    }

    /**
     * The next loop, round-robin.
     *
     * @return a loop
     */
    public EventLoop next() {
        return loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
    }

    /**
     * The loop whose thread is the caller's, or null.
     *
     * @return the loop, or null
     */
    public EventLoop current() {
        for (EventLoop loop : loops) {
            if (loop.inEventLoop()) {
                return loop;
            }
        }
        return null;
    }

    /**
     * Closes every loop, and with them everything registered on them (see
     * {@link EventLoop#close()}); the loops stop together. Off every loop thread this waits for
     * all of them; on a loop thread it only starts closing and returns, since a loop cannot wait
     * for itself or for a loop that may be waiting for it ({@link #closeAsync()} tells when it
     * is done). Idempotent.
     */
    @Override
    public void close() {
        CompletableFuture<Void> done = closeAsync();
        if (EventLoop.current() == null) {
            done.join();
        }
    }

    /**
     * Starts closing every loop and returns at once. Any thread.
     *
     * @return a future completed once every loop's thread has ended
     */
    public CompletableFuture<Void> closeAsync() {
        for (EventLoop loop : loops) {
            loop.stop();
        }
        return CompletableFuture.allOf(loops.stream().map(EventLoop::closeAsync).toArray(CompletableFuture[]::new));
    }

    /** {@return whether every loop is closed} */
    public boolean isClosed() {
        return loops.stream().allMatch(EventLoop::isClosed);
    }
}
