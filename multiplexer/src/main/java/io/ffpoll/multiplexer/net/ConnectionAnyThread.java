package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.internal.LoopFuture;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * What any thread may ask of a {@link Connection}: writes and a close that run on its loop and
 * tell, through a future, when they are done. Netty users write from any thread; here the
 * loop-thread methods stay free of synchronisation, and these hop.
 */
abstract sealed class ConnectionAnyThread extends ConnectionPeer permits ConnectionClosing {

    ConnectionAnyThread(EventLoop loop, int fd, java.net.SocketAddress remote, ConnectionHandler handler) {
        super(loop, fd, remote, handler);
    }

    /** {@code Connection.close()}, which lives further up. */
    public abstract void close();

    /**
     * Writes {@code bytes} from any thread: on the loop thread at once, elsewhere a copy is
     * written on the loop. The future completes once the socket has taken these bytes and
     * everything written before them ("flushed up to here"); it fails with a
     * {@link ClosedConnectionException} if the connection was closing or closed or had shut
     * down its output ({@code shutdownOutput}), a
     * {@link WriteQueueFullException} if its queue held its cap ({@link #setMaxQueued}), or the
     * connection's failure if it ended first. The future completes on the loop thread, in a task
     * after the send: a dependent added in time runs there and may use the connection; one added
     * later runs on the caller's thread, unless added with an {@code *Async} method, whose
     * default executor is the loop.
     *
     * @param bytes the bytes
     * @return a future completed once they are sent
     */
    public final CompletableFuture<Void> writeAsync(byte[] bytes) {
        return onLoopAnyThread(loop.inEventLoop() ? bytes : bytes.clone());
    }

    /**
     * {@link #writeAsync(byte[])} of the buffer's remaining bytes, copied when this is called
     * (the buffer's position is not moved).
     *
     * @param buffer the bytes
     * @return a future completed once they are sent
     */
    public final CompletableFuture<Void> writeAsync(ByteBuffer buffer) {
        byte[] copy = new byte[buffer.remaining()];
        buffer.get(buffer.position(), copy);
        return onLoopAnyThread(copy);
    }

    private CompletableFuture<Void> onLoopAnyThread(byte[] bytes) {
        CompletableFuture<Void> done = new LoopFuture<>(loop);
        Runnable write = () -> {
            boolean open = acceptsWrites();
            if (write(bytes)) {
                flushed().whenComplete((x, failure) -> completeLater(done, failure));
            } else {
                completeLater(done, open && !closed ? queueFull() : new ClosedConnectionException(
                        "the connection to " + who() + (closed ? " is closed" : closing ? " is closing"
                                : " has its output shut down (shutdownOutput, or a TLS 1.2 peer's close_notify)")));
            }
        };
        if (loop.inEventLoop()) {
            write.run();
        } else {
            try {
                loop.execute(write);
            } catch (RejectedExecutionException gone) {
                done.completeExceptionally(new ClosedConnectionException("event loop '" + loop.name()
                        + "' is closed, and the connection to " + who() + " with it"));
            }
        }
        return done;
    }

    /**
     * {@link #close()} from any thread. The future completes once the connection is closed
     * (its {@code onClosed} has run), also when it was closed already or its loop closes it; on
     * the loop thread, in a task after the close (see {@link #writeAsync(byte[])}).
     *
     * @return a future completed once closed
     */
    public final CompletableFuture<Void> closeAsync() {
        CompletableFuture<Void> done = new LoopFuture<>(loop);
        Runnable close = () -> {
            close();
            if (closed) {
                completeLater(done, null);
            } else {
                if (whenClosed == null) {
                    whenClosed = new LoopFuture<>(loop);
                }
                whenClosed.whenComplete((x, failure) -> done.complete(null));
            }
        };
        if (loop.inEventLoop()) {
            close.run();
        } else {
            try {
                loop.execute(close);
            } catch (RejectedExecutionException gone) {
                // The loop closes its connections as it stops: done once it has.
                loop.closeAsync().whenComplete((x, failure) -> done.complete(null));
            }
        }
        return done;
    }
}
