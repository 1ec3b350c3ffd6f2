package io.ffpoll.http.websocket;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Back-pressure for a WebSocket's sends made off its loop: what is handed to the loop and not
 * yet queued is counted, and a virtual thread that sends waits while the peer is not reading
 * (the queue above its high watermark) or {@link #MOST_IN_FLIGHT} is on its way, so a blocking
 * handler that sends in a loop is held back instead of filling the queue to its cap. A lock,
 * not a monitor: a virtual thread waiting on a monitor pins its carrier before JDK 24.
 */
final class WebSocketSendGate {
    private static final long MOST_IN_FLIGHT = 256 * 1024;
    private static final long OVERHEAD = 64; // a send's task, beyond its frame: a flood of empty frames is bounded too

    private final WebSocketSession session;
    private final AtomicLong inFlight = new AtomicLong();
    private final ReentrantLock room = new ReentrantLock();
    private final Condition roomChanged = room.newCondition();
    private volatile int waiters;

    WebSocketSendGate(WebSocketSession session) {
        this.session = session;
    }

    /** Waits for room; false if the waiting thread was interrupted (it is being stopped). */
    boolean waitForRoom() {
        room.lock();
        try {
            waiters++;
            while (session.isOpen() && (!session.isWritable() || inFlight.get() > MOST_IN_FLIGHT)) {
                roomChanged.await();
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            waiters--;
            room.unlock();
        }
    }

    /** A frame of {@code length} bytes is handed to the loop: its cost, to give back with {@link #queued}. */
    long handed(int length) {
        long cost = length + OVERHEAD;
        inFlight.addAndGet(cost);
        return cost;
    }

    /** The loop queued (or dropped) what cost {@code cost}. */
    void queued(long cost) {
        inFlight.addAndGet(-cost);
        changed();
    }

    /** Writability or the socket's state changed: waiting senders look again. */
    void changed() {
        if (waiters == 0) {
            return;
        }
        room.lock();
        try {
            roomChanged.signalAll();
        } finally {
            room.unlock();
        }
    }
}
