package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.internal.Blocking;
import io.ffpoll.multiplexer.EventLoop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one way the socket layer waits for a loop, for its blocking conveniences: never on a loop
 * thread (a loop waiting for another that waits for it would stop both for good), and with what
 * the work threw rethrown as the caller would have seen it had it run the work itself.
 */
final class OnLoop {
    private OnLoop() {}

    /**
     * {@code future}'s result, waited for off every loop thread.
     *
     * @param what what is waited for, for the message if called on a loop thread
     * @param instead the asynchronous call to use there, for the message
     * @throws IllegalStateException on a loop thread
     * @throws IOException what the work threw, if it was one
     */
    static <T> T await(CompletableFuture<T> future, String what, String instead) throws IOException {
        Blocking.refuseOnLoop(what, instead);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return future.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the loop runs it promptly: finish, then restore the flag
                } catch (ExecutionException e) {
                    throw rethrow(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static IOException rethrow(Throwable cause) {
        if (cause instanceof IOException io) {
            return io;
        }
        if (cause instanceof UncheckedIOException unchecked) {
            return unchecked.getCause();
        }
        if (cause instanceof RuntimeException re) {
            throw re;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        throw new CompletionException(cause);
    }

    /** The cause a dependent stage sees: the thrown exception itself, not its CompletionException. */
    static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null && !(t instanceof CancellationException)
                ? t.getCause() : t;
    }
}
