package io.ffpoll.multiplexer;

import io.ffpoll.multiplexer.observe.CallbackWatch;

import java.util.Arrays;

/**
 * A binary min-heap of timers by deadline in which each timer knows its index, so a cancel
 * removes it in O(log n) at once: loops that reset idle timeouts on every request would
 * otherwise fill with dead entries.
 */
final class TimerHeap {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EventLoop.class);
    private Timer[] heap = new Timer[64];
    private int size;

    int size() {
        return size;
    }

    Timer peek() {
        return size == 0 ? null : heap[0];
    }

    void add(Timer t) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        heap[size] = t;
        t.heapIndex = size;
        siftUp(size++);
    }

    Timer poll() {
        Timer top = heap[0];
        removeAt(0);
        return top;
    }

    void remove(Timer t) {
        int i = t.heapIndex;
        if (i >= 0 && i < size && heap[i] == t) {
            removeAt(i);
        }
    }

    private void removeAt(int i) {
        Timer removed = heap[i];
        removed.heapIndex = -1;
        size--;
        if (i != size) {
            heap[i] = heap[size];
            heap[i].heapIndex = i;
            heap[size] = null;
            siftDown(i);
            siftUp(i);
        } else {
            heap[size] = null;
        }
    }

    private void siftUp(int i) {
        Timer t = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!t.before(heap[parent])) {
                break;
            }
            place(heap[parent], i);
            i = parent;
        }
        place(t, i);
    }

    private void siftDown(int i) {
        Timer t = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1].before(heap[child])) {
                child++;
            }
            if (!heap[child].before(t)) {
                break;
            }
            place(heap[child], i);
            i = child;
        }
        place(t, i);
    }

    private void place(Timer t, int i) {
        heap[i] = t;
        t.heapIndex = i;
    }

    /**
     * Runs the timers that are due, on the loop thread; a periodic one is added back for its
     * next run. Returns how many ran.
     */
    int runExpired(String loopName, CallbackWatch watch) {
        if (size == 0) {
            return 0;
        }
        long now = System.nanoTime();
        int ran = 0;
        Timer t;
        while ((t = peek()) != null && t.deadline - now <= 0) {
            poll();
            if (t.fire()) {
                ran++;
                boolean timed = watch.timing();
                long started = timed ? watch.enter() : 0;
                try {
                    t.task.run();
                } catch (Throwable e) {
                    LOG.warn("event loop '{}': timer task threw", loopName, e);
                }
                if (timed) {
                    watch.exit(started, t.task, "timer");
                }
                if (t.rearm(now)) {
                    add(t);
                }
            }
        }
        return ran;
    }
}
