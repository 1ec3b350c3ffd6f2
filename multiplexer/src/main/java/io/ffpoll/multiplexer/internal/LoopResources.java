package io.ffpoll.multiplexer.internal;

/**
 * One loop's resources, in the order they were adopted, linked through their own fields: adopting
 * and releasing one allocate nothing. Each belongs to one loop's list at most. Loop thread only.
 */
public final class LoopResources {
    private LoopResource head;
    private LoopResource tail;
    private int size;

    private boolean holds(LoopResource r) {
        return r.prev != null || head == r;
    }

    /** Adds {@code r} at the end; nothing if it is here already. */
    public void add(LoopResource r) {
        if (holds(r)) {
            return;
        }
        r.prev = tail;
        r.next = null;
        if (tail == null) {
            head = r;
        } else {
            tail.next = r;
        }
        tail = r;
        size++;
    }

    /** Takes {@code r} out; nothing if it is not here. */
    public void remove(LoopResource r) {
        if (!holds(r)) {
            return;
        }
        if (r.prev == null) {
            head = r.next;
        } else {
            r.prev.next = r.next;
        }
        if (r.next == null) {
            tail = r.prev;
        } else {
            r.next.prev = r.prev;
        }
        r.prev = null;
        r.next = null;
        size--;
    }

    public boolean isEmpty() {
        return head == null;
    }

    /** Takes every resource out, and returns them in the order they were adopted. */
    public LoopResource[] takeAll() {
        LoopResource[] all = new LoopResource[size];
        for (int i = 0; i < all.length; i++) {
            LoopResource r = head;
            remove(r);
            all[i] = r;
        }
        return all;
    }
}
