package io.ffpoll.multiplexer.internal;

import io.ffpoll.multiplexer.EventLoop;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The futures the loop and the connection layer hand out. Waiting for one on a loop thread
 * ({@code get}, {@code join}) while it is not done is refused with an
 * {@link IllegalStateException} (see {@link Blocking}): the loop that would complete it may be
 * the one waiting. Their default executor is the loop,
 * so a dependent added with an {@code *Async} method ({@code thenAcceptAsync},
 * {@code whenCompleteAsync}, ...) runs on the loop thread, where it may use the connection,
 * whichever thread completed the future or added the dependent (as Netty notifies a channel's
 * listeners on its event loop). A plain dependent runs where CompletableFuture runs it: on the
 * thread that completes the future, or at once on the caller's if it is complete already.
 */
public final class LoopFuture<T> extends CompletableFuture<T> {
    private final EventLoop loop;

    public LoopFuture(EventLoop loop) {
        this.loop = loop;
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        refuseToWait();
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        refuseToWait();
        return super.get(timeout, unit);
    }

    @Override
    public T join() {
        refuseToWait();
        return super.join();
    }

    private void refuseToWait() {
        if (!isDone()) {
            Blocking.refuseOnLoop("a future of loop '" + loop.name() + "'",
                    "a dependent (thenAccept, whenComplete), or an asynchronous route in http-lite");
        }
    }

    @Override
    public Executor defaultExecutor() {
        return loop;
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new LoopFuture<>(loop);
    }

    /** A future of {@code loop} completed with {@code value}. */
    public static <T> LoopFuture<T> completed(EventLoop loop, T value) {
        LoopFuture<T> f = new LoopFuture<>(loop);
        f.complete(value);
        return f;
    }

    /** A future of {@code loop} failed with {@code failure}. */
    public static <T> LoopFuture<T> failed(EventLoop loop, Throwable failure) {
        LoopFuture<T> f = new LoopFuture<>(loop);
        f.completeExceptionally(failure);
        return f;
    }
}
