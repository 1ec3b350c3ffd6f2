package io.ffpoll.http;

import io.ffpoll.multiplexer.EventLoop;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs set-up and shut-down steps on a loop's thread from the server's, and waits for them. */
final class OnLoop {
    private OnLoop() {}

    /** Runs {@code r} on {@code loop} and waits; a loop that is gone already is not an error. */
    static void run(EventLoop loop, Runnable r) {
        try {
            loop.submit(() -> {
                r.run();
                return null;
            }).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the loop is gone already
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (TimeoutException e) {
            throw new IllegalStateException("event loop " + loop.name() + " did not answer in 30 s", e);
        }
    }

    /** Runs {@code c} on {@code loop} and returns its result, rethrowing what it threw. */
    static <T> T call(EventLoop loop, java.util.concurrent.Callable<T> c) throws IOException {
        try {
            return loop.submit(c).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("event loop " + loop.name() + " did not answer in 30 s", e);
        }
    }
}
