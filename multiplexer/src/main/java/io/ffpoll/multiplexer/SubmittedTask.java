package io.ffpoll.multiplexer;

import io.ffpoll.multiplexer.internal.Described;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * A task of {@link EventLoop#submit}: it completes its future with what the task returned or
 * threw. JFR events about slow callbacks name it by the task's class, not this one's.
 */
record SubmittedTask<T>(Callable<T> task, CompletableFuture<T> result) implements Runnable, Described {
    @Override
    public void run() {
        try {
            result.complete(task.call());
        } catch (Throwable t) {
            result.completeExceptionally(t);
        }
    }

    @Override
    public String describeCallback() {
        return task.getClass().getName();
    }
}
