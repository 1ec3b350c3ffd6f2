package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Runs set-up on a loop from any thread: at once on the loop's own thread, else submitted to it
 * and waited for (so the caller gets the result, or what it threw, as if it had run it).
 */
final class OnLoop {
    private OnLoop() {}

    /**
     * {@code body}'s result, computed on {@code loop}'s thread.
     *
     * @throws java.util.concurrent.RejectedExecutionException if the loop is closed
     */
    static <T> T call(EventLoop loop, Supplier<T> body) {
        if (loop.inEventLoop()) {
            return body.get();
        }
        CompletableFuture<T> result = loop.submit(body::get);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return result.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the loop runs it promptly: finish, then restore the flag
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    if (cause instanceof Error error) {
                        throw error;
                    }
                    throw new IllegalStateException(cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
