package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * What any thread may ask of a {@link Connection}: writes and a close that run on its loop and
 * tell, through a future, when they are done. Netty users write from any thread; here the
 * loop-thread methods stay free of synchronisation, and these hop.
 */
abstract sealed class ConnectionAnyThread extends ConnectionSettings permits Connection {

    ConnectionAnyThread(EventLoop loop, int fd, InetSocketAddress remote, ConnectionHandler handler) {
        super(loop, fd, remote, handler);
    }

    /** {@code Connection.close()}, which lives further up. */
    public abstract void close();

    /**
     * Writes {@code bytes} from any thread: on the loop thread at once (then, unlike
     * {@link #write(byte[])}, the caller may change the array afterwards), elsewhere a copy is
     * written on the loop. The future completes once the socket has taken these bytes and
     * everything written before them ("flushed up to here"), and fails with a
     * {@link ClosedConnectionException} (or the connection's failure) if they were not taken:
     * the connection was closing or closed, the write went past {@link #setMaxQueued}, or it
     * ended first.
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
    public final CompletableFuture<Void> writeAsync(java.nio.ByteBuffer buffer) {
        byte[] copy = new byte[buffer.remaining()];
        buffer.get(buffer.position(), copy);
        return onLoopAnyThread(copy);
    }

    private CompletableFuture<Void> onLoopAnyThread(byte[] bytes) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable write = () -> {
            if (write(bytes)) {
                flushed().whenComplete((x, failure) -> complete(done, failure));
            } else {
                done.completeExceptionally(new ClosedConnectionException("the connection to " + remote
                        + (closed || closing ? " is closed" : " refused the write: over its queue cap of "
                        + options.maxQueued() + " bytes")));
            }
        };
        if (loop.inEventLoop()) {
            write.run();
        } else {
            try {
                loop.execute(write);
            } catch (java.util.concurrent.RejectedExecutionException gone) {
                done.completeExceptionally(new ClosedConnectionException("event loop '" + loop.name()
                        + "' is closed, and the connection to " + remote + " with it"));
            }
        }
        return done;
    }

    private static void complete(CompletableFuture<Void> f, Throwable failure) {
        if (failure == null) {
            f.complete(null);
        } else {
            f.completeExceptionally(OnLoop.unwrap(failure));
        }
    }

    /**
     * {@link #close()} from any thread. The future completes once the connection is closed
     * (its {@code onClosed} has run), also when it was closed already or its loop closes it.
     *
     * @return a future completed once closed
     */
    public final CompletableFuture<Void> closeAsync() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable close = () -> {
            close();
            closedFuture().whenComplete((x, failure) -> complete(done, failure));
        };
        if (loop.inEventLoop()) {
            close.run();
        } else {
            try {
                loop.execute(close);
            } catch (java.util.concurrent.RejectedExecutionException gone) {
                // The loop closes its connections as it stops: done once it has.
                loop.closeAsync().whenComplete((x, failure) -> complete(done, failure));
            }
        }
        return done;
    }

    private CompletableFuture<Void> closedFuture() {
        if (whenClosed == null) {
            whenClosed = closed ? CompletableFuture.completedFuture(null) : new CompletableFuture<>();
        }
        return whenClosed;
    }
}
