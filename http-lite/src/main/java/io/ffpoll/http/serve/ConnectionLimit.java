package io.ffpoll.http.serve;

import io.ffpoll.multiplexer.net.GroupListener;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The server's open connections against its limit. At the limit every listener stops accepting
 * (nginx does the same): further connections wait in the kernel's backlog, and beyond it the
 * clients retry, instead of being accepted only to be closed or refused with a 503, which would
 * cost a descriptor the process may not have. When a connection closes, accepting resumes.
 * Thread-safe: connections open and close on every loop.
 */
public final class ConnectionLimit {
    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicBoolean suspended = new AtomicBoolean();
    private final java.util.List<GroupListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private CompletableFuture<Void> whenNone; // guarded by lock

    ConnectionLimit(int max) {
        this.max = max;
    }

    /** Suspends and resumes {@code l} with the others (plain HTTP's and HTTPS's listeners). */
    void watch(GroupListener l) {
        listeners.add(l);
        if (suspended.get()) {
            l.suspendAccepting();
        }
    }

    public int open() {
        return open.get();
    }

    public boolean acceptingSuspended() {
        return suspended.get();
    }

    /**
     * A connection was accepted: counts it and returns true, or returns false when loops racing
     * each other took the last place already (the caller closes it). Reaching the limit
     * suspends accepting on every listener.
     */
    boolean admit() {
        int n = open.incrementAndGet();
        if (n >= max) {
            suspendAll();
        }
        if (n > max) {
            closed();
            return false;
        }
        return true;
    }

    /** A connection closed: below the limit, accepting resumes. */
    void closed() {
        int n = open.decrementAndGet();
        if (n < max && suspended.compareAndSet(true, false)) {
            resume();
        }
        if (n == 0) {
            CompletableFuture<Void> done;
            lock.lock();
            try {
                done = whenNone;
                whenNone = null;
            } finally {
                lock.unlock();
            }
            if (done != null) {
                done.complete(null); // outside the lock: what depends on it may run here
            }
        }
    }

    private void suspendAll() {
        if (suspended.compareAndSet(false, true)) {
            // On the accepting loop this takes effect at once, before its next accept.
            for (GroupListener l : listeners) {
                l.suspendAccepting();
            }
            // A close that came between the count and the flag found nothing to resume.
            if (open.get() < max && suspended.compareAndSet(true, false)) {
                resume();
            }
        }
    }

    private void resume() {
        for (GroupListener l : listeners) {
            l.resumeAccepting();
        }
    }

    /** A future completed once no connection is open (at once if none is now). */
    CompletableFuture<Void> none() {
        lock.lock();
        try {
            if (open.get() == 0) {
                return CompletableFuture.completedFuture(null);
            }
            if (whenNone == null) {
                whenNone = new CompletableFuture<>();
            }
            return whenNone.copy();
        } finally {
            lock.unlock();
        }
    }

    /** A limit for when none is configured: the process's descriptor limit less what the JVM and the loops need. */
    static int fromDescriptorLimit(long rlimitNofile, int reserve) {
        if (rlimitNofile < 0 || rlimitNofile - reserve > Integer.MAX_VALUE) {
            return Integer.MAX_VALUE; // RLIM_INFINITY, or more than an int
        }
        return (int) Math.max(1, rlimitNofile - reserve);
    }
}
