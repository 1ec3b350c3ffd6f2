package io.ffpoll.multiplexer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The state of one {@link Connection}, shared by the layers it is built from (this one, then
 * {@link ConnectionReading}, {@link ConnectionWriting} and {@code Connection} itself, each
 * package-private but the last). Loop thread only.
 */
abstract sealed class ConnectionState implements IoHandler, LoopResource permits ConnectionReading {
    static final Logger LOG = LoggerFactory.getLogger(Connection.class);

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
    boolean reading = true;
    boolean writable = true;
    boolean waitingForWritable;
    boolean flushRequested;
    boolean delivering;           // inside onData: the handler holds a view of the input
    boolean closing;
    boolean lingering;
    boolean outputShutdownRequested;
    boolean outputShut;
    boolean closed;

    ConnectionState(EventLoop loop, int fd, InetSocketAddress remote, ConnectionHandler handler) {
        this.loop = loop;
        this.io = loop.io();
        this.fd = fd;
        this.remote = remote;
        this.handler = java.util.Objects.requireNonNull(handler, "handler");
        this.queue = new WriteQueue(io.pool);
        this.input = new PendingInput(io.pool);
    }

    /** Closes for good, once: frees memory, closes the socket, tells the handler. */
    abstract void finish(IOException cause, boolean reset);

    /** A handler callback threw: this connection is aborted, the loop goes on. */
    final void handlerFailed(String callback, Throwable t) {
        LOG.warn("{} of the handler of {} threw; aborting the connection", callback, remote, t);
        finish(new IOException(callback + " threw " + t, t), true);
    }

    final Interest interest() {
        return Interest.of((reading || lingering ? Interest.READ : 0) | (waitingForWritable ? Interest.WRITE : 0));
    }

    final void updateInterest() {
        if (connected && !closed) {
            loop.modify(fd, interest());
        }
    }
}
