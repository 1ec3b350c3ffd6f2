package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.Event;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.IoHandler;
import io.ffpoll.multiplexer.Timer;
import io.ffpoll.multiplexer.internal.Described;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * The state of one {@link Connection}, shared by the layers it is built from (this one, then
 * {@link ConnectionReading}, {@link ConnectionWriting} and {@code Connection} itself, each
 * package-private but the last). Loop thread only.
 */
abstract sealed class ConnectionState permits ConnectionReading {
    static final Logger LOG = LoggerFactory.getLogger(Connection.class);
    static final LoopAccess LOOPS = LoopAccess.get();

    /** What the loop holds for this connection (its events, its closing), kept off the public API. */
    final class LoopSide extends LoopResource implements IoHandler, Described {
        @Override
        public void onEvent(Event event) {
            ConnectionState.this.onEvent(event);
        }

        @Override
        public String describeCallback() {
            return handler instanceof Described d ? d.describeCallback()
                    : handler.getClass().getName() + " (connection " + who() + ")";
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
    // Null until asked for (a Unix peer, learned by getpeername; or no socket at all). Written
    // once on the loop, read on any thread (remoteAddress, peerAddress, who), hence volatile. A
    // plain field is not enough although what is written is safe to publish racily (UnixAddress
    // and InetSocketAddress keep their state behind final fields): a reader could go on seeing
    // null for good, as the JIT may read a plain field once for a whole loop of reads
    // (PeerAddressVisibilityTest saw that every time). A volatile read is a plain load on x86
    // (a load-acquire on arm64), and no per-event or per-byte path reads it.
    volatile java.net.SocketAddress remote;
    final WriteQueue queue;
    // The loop's shared empty one until bytes are first kept: most connections never keep any.
    PendingInput input;
    ConnectionOptions options = ConnectionOptions.DEFAULTS;
    int fd;
    Connector.Pending connecting; // while a connect is in progress
    Timer closeTimer;             // while a graceful or lingering close is bounded
    long discarded;               // bytes thrown away while lingering
    long bytesRead;               // from the socket (ciphertext with TLS), for ConnectionClosedEvent
    final long openedAt;          // the loop's clock when it was made, for ConnectionClosedEvent
    boolean connected;
    boolean reading = true;       // the handler takes data (false: paused, or closing)
    boolean inputEnded;           // the peer sent FIN: nothing more to read
    boolean inputFinished;        // what came before the FIN was taken and the end reported
    IOException closeCause;       // reported when a graceful close completes
    boolean writable = true;
    boolean waitingForWritable;
    boolean flushRequested;
    boolean delivering;           // inside onData: the handler holds a view of the input
    long offers;                  // onData calls so far: whether a resume's read offered anything
    boolean lastOfferTookNone;    // the handler's last onData used none of what it was offered
    boolean closing;
    boolean lingering;
    boolean lingeringAfterTlsClose; // close() over TLS lingers once its FIN is out (Connection.close)
    boolean outputShutdownRequested;
    boolean outputShut;
    boolean closed;
    boolean receiving;            // the loop's ring receives the socket's input (LoopIo.receiver)
    boolean notSocket;            // a pipe, terminal or file: read/write/writev, no shutdown or SO_LINGER
    boolean writeOnly;            // a descriptor opened write-only (a pipe's write end): never read
    IdleWatch idle;               // while idle timeouts are set
    TlsLayer tls;                 // a TLS connection's engine and records; null for plain bytes
    FlushWaiters flushWaiters;    // from the first writeAsync on
    CompletableFuture<Void> whenClosed; // from the first closeAsync on
    CompletableFuture<Connection> opening; // a connect's result, until the connect has ended

    ConnectionState(EventLoop loop, int fd, java.net.SocketAddress remote, ConnectionHandler handler) {
        this.loop = loop;
        this.io = LoopIo.of(loop);
        this.fd = fd;
        this.remote = remote;
        this.handler = Objects.requireNonNull(handler, "handler");
        this.queue = new WriteQueue(io.pool, io.counts);
        this.input = io.noInput;
        this.openedAt = LOOPS.polledAt(loop);
    }

    /** This connection's own pending input, made when it first keeps bytes. */
    final PendingInput ownInput() {
        if (input == io.noInput) {
            input = new PendingInput(io.pool);
        }
        return input;
    }

    /** The peer's address, or the descriptor, for messages. */
    final String who() {
        return remote != null ? remote.toString() : notSocket ? "fd " + fd + " (not a socket)" : "fd " + fd;
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
                    + "': " + who() + " belongs to loop '" + loop.name()
                    + "'; call it there (connection.loop().execute) or use writeAsync/closeAsync");
        }
    }

    /**
     * Completes {@code f} with {@code value}, or fails it with {@code failure} if that is not
     * null, in a task of the loop's, after the callback or send in progress: what depends on it
     * runs on the loop thread, but never in the middle of the connection's own work. On a loop
     * that has ended, at once.
     */
    final <T> void completeLater(CompletableFuture<T> f, T value, Throwable failure) {
        try {
            loop.execute(() -> complete(f, value, failure));
        } catch (RejectedExecutionException ended) {
            complete(f, value, failure);
        }
    }

    final void completeLater(CompletableFuture<Void> f, Throwable failure) {
        completeLater(f, null, failure);
    }

    private static <T> void complete(CompletableFuture<T> f, T value, Throwable failure) {
        if (failure == null) {
            f.complete(value);
        } else {
            f.completeExceptionally(failure);
        }
    }

    /** A handler callback threw: this connection is aborted, the loop goes on; returns the cause it closed with. */
    final IOException handlerFailed(String callback, Throwable t) {
        LOG.warn("{} of the handler of {} threw; aborting the connection", callback, who(), t);
        IOException cause = new IOException(callback + " threw " + t, t);
        finish(cause, true);
        return cause;
    }

    final Interest interest() {
        if (writeOnly) {
            return Interest.WRITABLE; // the reader's close comes as an error edge: it must pass
        }
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
