package io.ffpoll.multiplexer.internal;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.IoHandler;

import java.util.function.Function;

/**
 * What the layers above the loop (the socket and connection layer) may do with an
 * {@link EventLoop} beyond its public API. The loop installs the one implementation when its
 * class is initialized; this package is not exported, so users see none of it. Loop thread only.
 */
public abstract class LoopAccess {
    private static volatile LoopAccess installed;

    protected LoopAccess() {}

    /**
     * Called once, by EventLoop's static initializer. Public only because EventLoop lives in
     * another package: a call from anywhere else, or a second one, is refused, so that nothing
     * on the class path can put itself between the loops and the connection layer.
     *
     * @throws IllegalStateException if called from another class or a second time
     */
    public static void install(LoopAccess access) {
        Class<?> caller = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).getCallerClass();
        synchronized (LoopAccess.class) {
            if (caller != EventLoop.class || installed != null) {
                throw new IllegalStateException("LoopAccess is installed once, by EventLoop");
            }
            installed = access;
        }
    }

    public static LoopAccess get() {
        LoopAccess a = installed;
        if (a != null) {
            return a;
        }
        try {
            // A caller holding a loop has initialized the class already; this covers the rest.
            Class.forName(EventLoop.class.getName(), true, EventLoop.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
        return installed;
    }

    /** {@code r} is closed when the loop stops, unless released first. */
    public abstract void adopt(EventLoop loop, LoopResource r);

    /** {@code r} closed by itself: the loop no longer needs to. */
    public abstract void release(EventLoop loop, LoopResource r);

    /** Registers a file that other loops also wait on (a shared listening socket). */
    public abstract void registerShared(EventLoop loop, int fd, Interest interest, IoHandler handler);

    /**
     * Runs {@code r} on the loop after its next poll has applied the changes queued so far and
     * its events were dispatched (a registration's failure comes as such an event); on a
     * closing loop, as it closes.
     */
    public abstract void afterNextPoll(EventLoop loop, Runnable r);

    /** Delivers remembered readiness again on the next poll, without a syscall. */
    public abstract void redeliver(EventLoop loop, int fd, Interest which);

    public abstract boolean isRegistered(EventLoop loop, int fd);

    /**
     * {@link System#nanoTime()} as read once when this iteration's poll returned: one clock read
     * per iteration for the callbacks that can take a time as old as the iteration (a response's
     * Date, a last-activity stamp), as nginx caches its time once per iteration. Loop thread only.
     */
    public abstract long polledAt(EventLoop loop);

    /** The loop's counters, which the connection layer adds to (bytes, accepts). Loop thread only. */
    public abstract LoopCounters counters(EventLoop loop);

    /** The loop's backend, for the connection layer's completed sends (io_uring). */
    public abstract io.ffpoll.multiplexer.backend.Backend backend(EventLoop loop);

    /** The loop's {@code type} state, made by {@code factory} on first use. */
    public abstract <T extends LoopLocal> T local(EventLoop loop, Class<T> type, Function<EventLoop, T> factory);

    /** The loop's {@code type} state, or null if none was made. */
    public abstract <T extends LoopLocal> T localIfPresent(EventLoop loop, Class<T> type);
}
