package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.Event;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.IoHandler;
import io.ffpoll.multiplexer.Timer;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The state of one {@link Connection}, shared by the layers it is built from (this one, then
 * {@link ConnectionReading}, {@link ConnectionWriting} and {@code Connection} itself, each
 * package-private but the last). Loop thread only.
 */
abstract sealed class ConnectionState permits ConnectionReading {
    static final Logger LOG = LoggerFactory.getLogger(Connection.class);
    static final LoopAccess LOOPS = LoopAccess.get();

    /** What the loop holds for this connection (its events, its closing), kept off the public API. */
    final class LoopSide implements IoHandler, LoopResource {
        @Override
        public void onEvent(Event event) {
            ConnectionState.this.onEvent(event);
        }

        @Override
        public void closeBecauseLoopStopped() {
            loopStopped();
        }
    }

    final LoopSide loopSide = new LoopSide();

    final EventLoop loop;
    final LoopIo io;
    final ConnectionHandler handler;
    final InetSocketAddress remote;
    final WriteQueue queue;
    final PendingInput input;
    ConnectionOptions options = ConnectionOptions.DEFAULTS;
    int fd;
    Connector.Pending connecting; // while a connect is in progress
    Timer closeTimer;             // while a graceful or lingering close is bounded
    long discarded;               // bytes thrown away while lingering
    boolean connected;
    boolean reading = true;       // the handler takes data (false: paused, or closing)
    boolean inputEnded;           // the peer sent FIN: nothing more to read
    IOException closeCause;       // reported when a graceful close completes
    boolean writable = true;
    boolean waitingForWritable;
    boolean flushRequested;
    boolean delivering;           // inside onData: the handler holds a view of the input
    boolean closing;
    boolean lingering;
    boolean outputShutdownRequested;
    boolean outputShut;
    boolean closed;
    IdleWatch idle;               // while idle timeouts are set
    FlushWaiters flushWaiters;    // from the first writeAsync on
    java.util.concurrent.CompletableFuture<Void> whenClosed; // from the first closeAsync on

    ConnectionState(EventLoop loop, int fd, InetSocketAddress remote, ConnectionHandler handler) {
        this.loop = loop;
        this.io = LoopIo.of(loop);
        this.fd = fd;
        this.remote = remote;
        this.handler = java.util.Objects.requireNonNull(handler, "handler");
        this.queue = new WriteQueue(io.pool);
        this.input = new PendingInput(io.pool);
    }

    /** Whether the socket is read now; see {@code ConnectionReading}. */
    abstract boolean readsSocket();

    /** The loop's entry point for this connection's readiness. */
    abstract void onEvent(Event event);

    /** The loop is stopping: close now. */
    abstract void loopStopped();

    /** Closes for good, once: frees memory, closes the socket, tells the handler. */
    abstract void finish(IOException cause, boolean reset);

    /**
     * Refuses a call from a thread other than the loop's, before it changes anything: the
     * connection's state is the loop thread's alone.
     */
    final void checkLoop(String method) {
        if (!loop.inEventLoop()) {
            throw new WrongThreadException("Connection." + method + " on thread '" + Thread.currentThread().getName()
                    + "': " + remote + " belongs to loop '" + loop.name()
                    + "'; call it there (connection.loop().execute) or use writeAsync/closeAsync");
        }
    }

    /** A handler callback threw: this connection is aborted, the loop goes on. */
    final void handlerFailed(String callback, Throwable t) {
        LOG.warn("{} of the handler of {} threw; aborting the connection", callback, remote, t);
        finish(new IOException(callback + " threw " + t, t), true);
    }

    final Interest interest() {
        boolean read = readsSocket();
        return read && waitingForWritable ? Interest.BOTH
                : read ? Interest.READABLE : waitingForWritable ? Interest.WRITABLE : Interest.NONE;
    }

    final void updateInterest() {
        if (connected && !closed) {
            loop.modify(fd, interest());
        }
    }
}
