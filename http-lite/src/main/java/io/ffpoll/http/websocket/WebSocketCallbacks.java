package io.ffpoll.http.websocket;

import io.ffpoll.multiplexer.EventLoop;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A blocking WebSocket handler's callbacks, run one at a time and in order on a virtual thread
 * started when there is work. The bytes of messages not yet handled are counted: above the
 * limit the loop stops reading the connection ({@link #behind}), and reads on once the thread
 * has caught up to half of it.
 */
final class WebSocketCallbacks {
    private record Task(WebSocketSession.Callback callback, long size) {}

    // What a queued callback costs beyond its message (the task, the lambda, a pong's payload):
    // counted so that a flood of empty frames is bounded as a flood of large ones is.
    private static final long OVERHEAD = 64;

    private final WebSocketSession session;
    private final EventLoop loop;
    private final long limit;
    private final ConcurrentLinkedQueue<Task> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong pendingBytes = new AtomicLong();

    WebSocketCallbacks(WebSocketSession session, EventLoop loop, long limit) {
        this.session = session;
        this.loop = loop;
        this.limit = Math.max(limit, 64 * 1024);
    }

    /** Whether the handler has more than the limit of messages still to handle. */
    boolean behind() {
        return pendingBytes.get() > limit;
    }

    void add(WebSocketSession.Callback callback, long size) {
        long cost = size + OVERHEAD;
        pendingBytes.addAndGet(cost);
        queue.add(new Task(callback, cost));
        if (running.compareAndSet(false, true)) {
            Thread.startVirtualThread(this::drain);
        }
    }

    private void drain() {
        while (true) {
            Task t;
            while ((t = queue.poll()) != null) {
                try {
                    t.callback().run();
                } catch (Throwable e) {
                    session.handlerFailed(e);
                }
                long left = pendingBytes.addAndGet(-t.size());
                if (session.pausedForCallbacks && left <= limit / 2) {
                    try {
                        loop.execute(session::callbacksCaughtUp);
                    } catch (RejectedExecutionException loopGone) {
                        // the server stopped
                    }
                }
            }
            running.set(false);
            if (queue.isEmpty() || !running.compareAndSet(false, true)) {
                return;
            }
        }
    }
}
