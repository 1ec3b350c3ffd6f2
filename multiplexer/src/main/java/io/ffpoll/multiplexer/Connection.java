package io.ffpoll.multiplexer;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.linux.Sockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * A non-blocking TCP connection on an {@link EventLoop}, for writing protocols without fds.
 *
 * <p><b>Reading.</b> Bytes are read into the loop's shared buffer and handed to
 * {@link ConnectionHandler#onData} as a read-only view; a connection reads at most 16 times per
 * turn ({@link #setReadBudget}), so a peer that sends without pause cannot starve the loop's
 * other connections. Only bytes the handler leaves unconsumed are copied into a buffer of the
 * connection's own, from the loop's {@link BufferPool}, which goes back to the pool once they
 * are consumed (never while the handler still holds the view): an idle connection holds none.
 *
 * <p><b>Writing.</b> {@code write} copies the bytes once into pooled chunks and returns; the
 * loop sends everything a connection queued during an iteration with one gathering
 * {@code sendmsg(MSG_NOSIGNAL)} just before its next poll, or at once on {@link #flush()}.
 * Large native segments written to an empty queue go to the socket directly, and only what it
 * does not take is copied. Past the high watermark {@link #isWritable()} turns false and the
 * handler hears of it; below the low one, again.
 *
 * <p><b>Closing.</b> {@link #close()} stops reading and closes once the queue is sent, or aborts
 * when that takes longer than the close timeout; {@link #closeLingering()} also discards what
 * the peer still sends, so that it reads the last response instead of a reset;
 * {@link #abort()} drops the queue and resets the connection; {@link #shutdownOutput()} sends
 * FIN after the queue. Errors (reset, broken pipe, EOF inside a message), and exceptions thrown
 * by the handler, close the connection and reach {@link ConnectionHandler#onClosed} once; the
 * loop serves everyone else on. Closing the loop closes its connections.
 *
 * <p>All methods must be called on the loop thread.
 */
public final class Connection implements IoHandler, LoopResource {
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
    /** Default high and low watermarks of the write queue, as in Netty. */
    public static final long DEFAULT_HIGH_WATERMARK = 64 * 1024;
    public static final long DEFAULT_LOW_WATERMARK = 32 * 1024;
    /** Default cap on bytes a handler may leave unconsumed (one incomplete message). */
    public static final long DEFAULT_MAX_PENDING = 8L << 20;
    /** Default reads per turn before the loop's other connections get theirs (1 MiB with the shared buffer). */
    public static final int DEFAULT_READ_BUDGET = 16;
    /** Default time a graceful close may take to send what is queued before it aborts. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);
    /** Default bounds of a lingering close: time in all, and bytes discarded (nginx: 30 s and no byte cap). */
    public static final Duration DEFAULT_LINGER_TIME = Duration.ofSeconds(5);
    public static final long DEFAULT_LINGER_BYTES = 16L << 20;
    private static final long DIRECT_WRITE_THRESHOLD = WriteQueue.CHUNK;

    private final EventLoop loop;
    private final LoopIo io;
    private final ConnectionHandler handler;
    private final InetSocketAddress remote;
    private final WriteQueue queue;
    private final PendingInput input;
    private int fd;
    private Connector.Pending connecting;
    private Timer closeTimer;
    private long highWatermark = DEFAULT_HIGH_WATERMARK;
    private long lowWatermark = DEFAULT_LOW_WATERMARK;
    private long maxPending = DEFAULT_MAX_PENDING;
    private int readBudget = DEFAULT_READ_BUDGET;
    private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
    private Duration lingerTime = DEFAULT_LINGER_TIME;
    private long lingerBytes = DEFAULT_LINGER_BYTES;
    private long discarded;
    private boolean connected;
    private boolean reading = true;
    private boolean writable = true;
    private boolean waitingForWritable;
    private boolean flushRequested;
    private boolean delivering;
    private boolean closing;
    private boolean lingering;
    private boolean outputShutdownRequested;
    private boolean outputShut;
    private boolean closed;

    private Connection(EventLoop loop, int fd, InetSocketAddress remote, ConnectionHandler handler) {
        this.loop = loop;
        this.io = loop.io();
        this.fd = fd;
        this.remote = remote;
        this.handler = java.util.Objects.requireNonNull(handler, "handler");
        this.queue = new WriteQueue(io.pool);
        this.input = new PendingInput(io.pool);
        io.opened();
        loop.adopt(this);
    }

    /**
     * Wraps an accepted socket (non-blocking, e.g. from {@link Listener}) and starts reading.
     * The connection owns the fd from now on. Loop thread only.
     */
    public static Connection open(EventLoop loop, int fd, InetSocketAddress remote, ConnectionHandler handler) {
        Connection c = new Connection(loop, fd, remote, handler);
        c.connected = true;
        loop.register(fd, Interest.READABLE, c);
        c.opened();
        return c;
    }

    /**
     * Connects to {@code remote} without blocking. {@link ConnectionHandler#onOpen} follows on
     * success, {@link ConnectionHandler#onClosed} with the cause on failure. Writes made before
     * the connection is up are queued and sent once it is. Loop thread only.
     *
     * @throws IllegalArgumentException if {@code remote} is unresolved
     */
    public static Connection connect(EventLoop loop, InetSocketAddress remote, ConnectionHandler handler) {
        Connector.requireResolved(remote);
        Connection c = new Connection(loop, -1, remote, handler);
        c.connecting = Connector.start(loop, remote, new Connector.ConnectHandler() {
            @Override
            public void connected(int fd) {
                c.connecting = null;
                c.connected = true;
                loop.modify(fd, c.interest(), c);
                c.opened();
                if (!c.closed && (!c.queue.isEmpty() || c.outputShutdownRequested)) {
                    c.requestFlush();
                }
            }

            @Override
            public void connectFailed(IOException cause) {
                c.connecting = null;
                c.finish(cause, false);
            }

            @Override
            public void onEvent(Event event) {
                c.onEvent(event);
            }
        });
        c.fd = c.connecting.fd;
        return c;
    }

    private void opened() {
        try {
            handler.onOpen(this);
        } catch (Throwable t) {
            handlerFailed("onOpen", t);
        }
    }

    /** A handler callback threw: this connection is aborted, the loop goes on. */
    private void handlerFailed(String callback, Throwable t) {
        LOG.warn("{} of the handler of {} threw; aborting the connection", callback, remote, t);
        finish(new IOException(callback + " threw " + t, t), true);
    }

    public int fd() {
        return fd;
    }

    public EventLoop loop() {
        return loop;
    }

    public InetSocketAddress remoteAddress() {
        return remote;
    }

    public boolean isOpen() {
        return !closed;
    }

    /** False while the write queue is above the high watermark (until it drains below the low). */
    public boolean isWritable() {
        return writable;
    }

    /** Bytes written but not yet taken by the socket. */
    public long queuedBytes() {
        return queue.bytes();
    }

    /** Bytes the socket has taken so far: it moves while the peer reads, and stalls while it does not. */
    public long sentBytes() {
        return queue.sent();
    }

    /** Whether the connection holds a read buffer of its own (an incomplete message is pending). */
    public boolean holdsReadBuffer() {
        return input.holdsBuffer();
    }

    public void setWriteWatermarks(long low, long high) {
        if (low < 0 || high < low) {
            throw new IllegalArgumentException("need 0 <= low <= high, got low " + low + ", high " + high);
        }
        lowWatermark = low;
        highWatermark = high;
    }

    /**
     * How many reads this connection makes per turn before the loop serves its other connections
     * (then it continues in the next iteration, without a syscall to get there).
     */
    public void setReadBudget(int reads) {
        if (reads < 1) {
            throw new IllegalArgumentException("read budget must be at least 1, got " + reads);
        }
        readBudget = reads;
    }

    /** Caps the bytes an incomplete message may hold; beyond it the connection fails. */
    public void setMaxPending(long bytes) {
        if (bytes < 1 || bytes > BufferPool.maxBufferSize()) {
            throw new IllegalArgumentException("max pending must be in 1.." + BufferPool.maxBufferSize() + ", got " + bytes);
        }
        maxPending = bytes;
    }

    /** How long {@link #close()} may wait for the peer to take what is queued before it aborts. */
    public void setCloseTimeout(Duration timeout) {
        closeTimeout = Durations.positive(timeout, "close timeout");
    }

    /** Bounds of {@link #closeLingering()}: at most {@code time} in all and {@code maxBytes} discarded. */
    public void setLingering(Duration time, long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("linger bytes must not be negative, got " + maxBytes);
        }
        lingerTime = Durations.positive(time, "linger time");
        lingerBytes = maxBytes;
    }

    private Interest interest() {
        return Interest.of((reading || lingering ? Interest.READ : 0) | (waitingForWritable ? Interest.WRITE : 0));
    }

    private void updateInterest() {
        if (connected && !closed) {
            loop.modify(fd, interest());
        }
    }

    /** Stops delivering data (back-pressure); the kernel's buffer then fills and TCP slows the peer. */
    public void pauseReading() {
        if (reading) {
            reading = false;
            updateInterest();
        }
    }

    /** Resumes delivery; data that arrived meanwhile is delivered without waiting for more. */
    public void resumeReading() {
        if (!reading && !closing && !closed) {
            reading = true;
            updateInterest();
            if (!input.isEmpty()) {
                // Bytes kept from before the pause may hold whole messages: offer them again
                // (on the loop, not from inside this call, which may be within onData).
                loop.execute(this::redeliver);
            }
        }
    }

    private void redeliver() {
        if (reading && !closed && !delivering && !input.isEmpty()) {
            deliver(input.view(), input.length());
        }
    }

    // ---- reading

    /** The loop's entry point for this connection's readiness; not for handlers. */
    @Override
    public void onEvent(Event event) {
        if (closed) {
            return;
        }
        if (event.isWritable() && waitingForWritable) {
            flushNow();
        }
        if (!closed && (reading || lingering) && (event.isReadable() || event.isError())) {
            // With a hang-up or error in the same edge, read on to EOF or the error: no further
            // edge will come to report them.
            readAll(event.isReadClosed() || event.isError());
        }
    }

    private void readAll(boolean toTheEnd) {
        int reads = 0;
        while ((reading || lingering) && !closed) {
            boolean behindKept = !lingering && input.holdsBuffer();
            if (behindKept && input.length() == input.capacity() && !input.grow(maxPending)) {
                finish(messageTooLarge(), true);
                return;
            }
            MemorySegment target = behindKept ? input.segment() : io.readBuffer.segment;
            long offset = behindKept ? input.length() : 0;
            long room = target.byteSize() - offset;
            long n = Fd.read(fd, offset == 0 ? target : target.asSlice(offset), room);
            if (n == -ErrnoCodes.EAGAIN) {
                loop.clearReadiness(fd, Interest.READABLE);
                return;
            }
            if (n < 0) {
                finish(Errors.exception("read(fd " + fd + ", " + remote + ")", (int) -n), false);
                return;
            }
            if (n == 0) {
                endOfStream();
                return;
            }
            if (lingering) {
                discarded += n;
                if (discarded > lingerBytes) {
                    finish(null, false); // the bound is reached: the kernel may now reset
                    return;
                }
            } else if (behindKept) {
                input.added(n);
                deliver(input.view(), input.length());
            } else {
                deliver(io.readBuffer.readOnly, n);
            }
            if (closed) {
                return;
            }
            if (n < room && !toTheEnd) {
                // A short read emptied the socket; epoll reports the next arrival as a new edge.
                loop.clearReadiness(fd, Interest.READABLE);
                return;
            }
            if (++reads == readBudget) {
                // Fairness: the loop's other connections wait while this one reads. Leave the rest
                // to the next iteration, which gets the remembered readiness without a syscall.
                loop.redeliver(fd, Interest.READABLE);
                return;
            }
        }
    }

    private void deliver(MemorySegment view, long length) {
        long used;
        delivering = true;
        try {
            used = handler.onData(this, view.asSlice(0, length));
        } catch (Throwable t) {
            delivering = false;
            handlerFailed("onData", t);
            return;
        }
        delivering = false;
        if (closed || closing) {
            input.release(); // the handler no longer holds the view: now the buffer may go
            return;
        }
        if (used < 0 || used > length) {
            finish(new IOException("onData returned " + used + " of " + length + " bytes"), true);
        } else if (length - used > maxPending) {
            finish(messageTooLarge(), true);
        } else {
            input.keep(view, used, length);
        }
    }

    private IOException messageTooLarge() {
        return new IOException("incomplete message exceeds " + maxPending + " bytes on " + remote);
    }

    private void endOfStream() {
        loop.clearReadiness(fd, Interest.READABLE);
        reading = false;
        if (lingering) {
            lingering = false; // the peer is done: close once the queue is sent
            updateInterest();
            if (queue.isEmpty()) {
                finish(null, false);
            }
            return;
        }
        updateInterest();
        if (!input.isEmpty()) {
            finish(new EOFException("peer closed " + remote + " with " + input.length()
                    + " bytes of an incomplete message pending"), false);
            return;
        }
        try {
            handler.onReadClosed(this);
        } catch (Throwable t) {
            handlerFailed("onReadClosed", t);
        }
    }

    // ---- writing

    private void checkWritable() throws ClosedConnectionException {
        if (closed || closing || outputShutdownRequested) {
            throw new ClosedConnectionException("connection to " + remote + " is "
                    + (closed ? "closed" : closing ? "closing" : "shut down for output"));
        }
    }

    /** Queues {@code bytes[offset, offset + length)}, sent by the end of this iteration. */
    public void write(byte[] bytes, int offset, int length) throws ClosedConnectionException {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        checkWritable();
        queue.append(bytes, offset, length);
        queued();
    }

    public void write(byte[] bytes) throws ClosedConnectionException {
        write(bytes, 0, bytes.length);
    }

    /** Queues the buffer's remaining bytes and advances its position past them. */
    public void write(ByteBuffer buffer) throws ClosedConnectionException {
        checkWritable();
        int n = buffer.remaining();
        if (buffer.hasArray()) {
            queue.append(buffer.array(), buffer.arrayOffset() + buffer.position(), n);
        } else {
            queue.append(MemorySegment.ofBuffer(buffer), 0, n);
        }
        buffer.position(buffer.position() + n);
        queued();
    }

    /** Queues {@code data}; the caller may reuse it when this returns. */
    public void write(MemorySegment data) throws ClosedConnectionException {
        checkWritable();
        long length = data.byteSize();
        if (length >= DIRECT_WRITE_THRESHOLD && data.isNative() && queue.isEmpty() && connected
                && !waitingForWritable) {
            // Large and nothing queued: try the socket first; copy only what it does not take.
            long n = Sockets.send(fd, data, length, Sockets.MSG_NOSIGNAL);
            if (n < 0 && n != -ErrnoCodes.EAGAIN) {
                finish(Errors.exception("send(fd " + fd + ", " + remote + ")", (int) -n), false);
                return;
            }
            long sent = Math.max(n, 0);
            queue.sentDirectly(sent);
            if (sent == length) {
                return;
            }
            queue.append(data, sent, length - sent);
            waitForWritable(); // the socket took less than offered: it is full
            queued();
            return;
        }
        queue.append(data, 0, length);
        queued();
    }

    private void waitForWritable() {
        loop.clearReadiness(fd, Interest.WRITABLE);
        if (!waitingForWritable) {
            waitingForWritable = true;
            updateInterest();
        }
    }

    private void queued() {
        if (writable && queue.bytes() > highWatermark) {
            writable = false;
            writabilityChanged(false);
        }
        requestFlush();
    }

    private void writabilityChanged(boolean now) {
        try {
            handler.onWritabilityChanged(this, now);
        } catch (Throwable t) {
            handlerFailed("onWritabilityChanged", t);
        }
    }

    private void requestFlush() {
        if (!flushRequested && connected && !waitingForWritable && !closed) {
            flushRequested = true;
            io.requestFlush(this);
        }
    }

    /** Sends what is queued now instead of at the end of the iteration. */
    public void flush() {
        if (!closed && connected && !waitingForWritable) {
            flushNow();
        }
    }

    void flushAtEndOfIteration() {
        flushRequested = false;
        flush();
    }

    private void flushNow() {
        boolean full = false;
        while (true) {
            while (!queue.isEmpty()) {
                long n = queue.send(fd, io.iov, LoopIo.MAX_IOV, io.msghdr);
                if (n == -ErrnoCodes.EAGAIN) {
                    full = true;
                    break;
                }
                if (n < 0) {
                    finish(Errors.exception("sendmsg(fd " + fd + ", " + remote + ")", (int) -n), false);
                    return;
                }
                if (n < queue.gatheredBytes()) {
                    full = true; // the socket took less than offered: do not ask again just for EAGAIN
                    break;
                }
            }
            if (!writable && queue.bytes() <= lowWatermark) {
                writable = true;
                writabilityChanged(true);
                if (closed) {
                    return;
                }
                if (!full && !queue.isEmpty()) {
                    // The producer wrote more and the socket still has room. Waiting for an edge
                    // here would wait forever: the socket never stopped being writable.
                    continue;
                }
            }
            break;
        }
        if (!queue.isEmpty()) {
            waitForWritable();
            return;
        }
        if (waitingForWritable) {
            waitingForWritable = false;
            updateInterest();
        }
        afterDrained();
    }

    private void afterDrained() {
        if (closing && !lingering) {
            finish(null, false);
        } else if ((outputShutdownRequested || lingering) && !outputShut) {
            outputShut = true;
            int r = Sockets.shutdown(fd, Sockets.SHUT_WR);
            if (r < 0 && r != -ErrnoCodes.ENOTCONN) {
                finish(Errors.exception("shutdown(fd " + fd + ", SHUT_WR)", -r), false);
            }
        }
    }

    // ---- closing

    /** Sends FIN once the queued bytes are sent; reading goes on. Further writes fail. */
    public void shutdownOutput() throws ClosedConnectionException {
        checkWritable();
        outputShutdownRequested = true;
        if (queue.isEmpty() && connected) {
            afterDrained();
        }
    }

    /**
     * Closes gracefully: stops reading, sends what is queued, then closes. If the peer does not
     * take the queue within the close timeout ({@link #setCloseTimeout}), the connection is
     * aborted and {@link ConnectionHandler#onClosed} gets a {@link SocketTimeoutException}.
     * Idempotent.
     */
    public void close() {
        if (closed || closing) {
            return;
        }
        closing = true;
        reading = false;
        if (queue.isEmpty() || !connected) {
            finish(null, false);
            return;
        }
        updateInterest();
        requestFlush();
        startCloseTimer(closeTimeout);
    }

    /**
     * Closes the way a server does after an error response while the peer may still be sending
     * (nginx's {@code lingering_close}, Go's {@code closeWriteAndWait}): stops delivering data,
     * sends what is queued, shuts down output (FIN), and reads and discards what the peer still
     * sends until it closes too, or until the bounds of {@link #setLingering} pass; then closes.
     * Closing at once with unread input would make the kernel reset the connection, and a reset
     * destroys the response still on its way to the peer. Idempotent.
     */
    public void closeLingering() {
        if (closed || closing) {
            return;
        }
        if (!connected) {
            finish(null, false);
            return;
        }
        closing = true;
        lingering = true;
        reading = false;
        if (!delivering) {
            input.release();
        }
        updateInterest();
        startCloseTimer(lingerTime);
        if (queue.isEmpty()) {
            afterDrained();
        } else {
            requestFlush();
        }
    }

    private void startCloseTimer(Duration after) {
        closeTimer = loop.schedule(after, () -> {
            if (closed) {
                return;
            }
            if (queue.isEmpty()) {
                finish(null, false); // lingered long enough
            } else {
                finish(new SocketTimeoutException("closing " + remote + " timed out after " + after.toMillis()
                        + " ms with " + queue.bytes() + " bytes unsent"), true);
            }
        });
    }

    /** Closes at once with a reset (SO_LINGER 0): queued bytes are dropped. Idempotent. */
    public void abort() {
        if (!closed) {
            finish(null, true);
        }
    }

    @Override
    public void closeBecauseLoopStopped() {
        finish(new ClosedConnectionException("event loop '" + loop.name() + "' stopped"), true);
    }

    private void finish(IOException cause, boolean reset) {
        if (closed) {
            return;
        }
        closed = true;
        if (closeTimer != null) {
            closeTimer.cancel();
        }
        if (!delivering) {
            input.release(); // else once onData returns
        }
        queue.clear();
        if (connecting != null) {
            connecting.cancel();
            connecting = null;
        } else if (connected) {
            if (reset) {
                Sockets.setLinger(fd, true, 0);
            }
            try {
                loop.close(fd);
            } catch (IOException e) {
                LOG.debug("close of {} reported {}", remote, e.getMessage());
            }
        }
        io.closed();
        loop.release(this);
        try {
            handler.onClosed(this, cause);
        } catch (Throwable t) {
            LOG.warn("onClosed of the handler of {} threw", remote, t);
        }
    }

    @Override
    public String toString() {
        return "Connection[" + remote + (closed ? ", closed" : closing ? ", closing" : "") + "]";
    }
}
