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
import java.nio.ByteBuffer;

/**
 * A non-blocking TCP connection on an {@link EventLoop}, for writing protocols without fds.
 *
 * <p><b>Reading.</b> Bytes are read into the loop's shared buffer and handed to
 * {@link ConnectionHandler#onData} as a view; a connection reads at most 16 times per turn
 * ({@link #setReadBudget}), so a peer that sends without pause cannot starve the loop's other
 * connections. Only bytes the handler leaves unconsumed are copied
 * into a buffer of the connection's own, from the loop's {@link BufferPool}, which goes back to
 * the pool as soon as they are consumed: an idle connection holds no buffer.
 *
 * <p><b>Writing.</b> {@code write} copies the bytes once into pooled chunks and returns; the
 * loop sends everything a connection queued during an iteration with one gathering
 * {@code sendmsg(MSG_NOSIGNAL)} at the end of it, or at once on {@link #flush()}. Large native
 * segments written to an empty queue go to the socket directly, and only what it does not take
 * is copied. What the socket does not take waits for writability. Past the high watermark
 * {@link #isWritable()} turns false and the handler hears of it; below the low one, again.
 *
 * <p><b>Closing.</b> {@link #close()} stops reading and closes once the queue is sent;
 * {@link #abort()} drops the queue and resets the connection; {@link #shutdownOutput()} sends
 * FIN after the queue. Errors (reset, broken pipe, EOF inside a message) close the connection
 * and reach {@link ConnectionHandler#onClosed} once; the loop serves everyone else on.
 *
 * <p>All methods must be called on the loop thread.
 */
public final class Connection implements IoHandler {
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
    /** Default high and low watermarks of the write queue, as in Netty. */
    public static final long DEFAULT_HIGH_WATERMARK = 64 * 1024;
    public static final long DEFAULT_LOW_WATERMARK = 32 * 1024;
    /** Default cap on bytes a handler may leave unconsumed (one incomplete message). */
    public static final long DEFAULT_MAX_PENDING = 8L << 20;
    private static final long DIRECT_WRITE_THRESHOLD = WriteQueue.CHUNK;
    /** Default reads per turn before the loop's other connections get theirs (1 MiB with the shared buffer). */
    public static final int DEFAULT_READ_BUDGET = 16;

    private final EventLoop loop;
    private final LoopIo io;
    private final ConnectionHandler handler;
    private final InetSocketAddress remote;
    private final WriteQueue queue;
    private int fd;
    private BufferPool.Buffer pending; // unconsumed bytes, only while a message is incomplete
    private long pendingLength;
    private long highWatermark = DEFAULT_HIGH_WATERMARK;
    private long lowWatermark = DEFAULT_LOW_WATERMARK;
    private long maxPending = DEFAULT_MAX_PENDING;
    private int readBudget = DEFAULT_READ_BUDGET;
    private boolean connected;
    private boolean reading = true;
    private boolean writable = true;
    private boolean waitingForWritable;
    private boolean flushRequested;
    private boolean closing;
    private boolean outputShutdownRequested;
    private boolean outputShut;
    private boolean closed;

    private Connection(EventLoop loop, int fd, InetSocketAddress remote, ConnectionHandler handler) {
        this.loop = loop;
        this.io = loop.io();
        this.fd = fd;
        this.remote = remote;
        this.handler = handler;
        this.queue = new WriteQueue(io.pool);
    }

    /**
     * Wraps an accepted socket (non-blocking, e.g. from {@link Listener}) and starts reading.
     * The connection owns the fd from now on. Loop thread only.
     */
    public static Connection open(EventLoop loop, int fd, InetSocketAddress remote, ConnectionHandler handler) {
        Connection c = new Connection(loop, fd, remote, handler);
        c.connected = true;
        c.io.opened(c);
        loop.register(fd, Interest.READABLE, c);
        handler.onOpen(c);
        return c;
    }

    /**
     * Connects to {@code remote} without blocking. {@link ConnectionHandler#onOpen} follows on
     * success, {@link ConnectionHandler#onClosed} with the cause on failure. Writes made before
     * the connection is up are queued and sent once it is. Loop thread only.
     */
    public static Connection connect(EventLoop loop, InetSocketAddress remote, ConnectionHandler handler) {
        Connection c = new Connection(loop, -1, remote, handler);
        c.io.opened(c);
        Connector.connect(loop, remote, new Connector.ConnectHandler() {
            @Override
            public void connected(int fd) {
                c.fd = fd;
                if (c.closed) { // closed by the user while connecting
                    c.closeFd();
                    return;
                }
                c.connected = true;
                loop.modify(fd, c.interest(), c);
                handler.onOpen(c);
                if (!c.queue.isEmpty() || c.outputShutdownRequested) {
                    c.requestFlush();
                }
            }

            @Override
            public void connectFailed(IOException cause) {
                if (!c.closed) {
                    c.finish(cause, false);
                }
            }

            @Override
            public void onEvent(Event event) {
                c.onEvent(event);
            }
        });
        return c;
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

    /** Whether the connection holds a read buffer of its own (an incomplete message is pending). */
    public boolean holdsReadBuffer() {
        return pending != null;
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
            throw new IllegalArgumentException("max pending must be in 1.." + BufferPool.maxBufferSize());
        }
        maxPending = bytes;
    }

    private Interest interest() {
        return Interest.of((reading ? Interest.READ : 0) | (waitingForWritable ? Interest.WRITE : 0));
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
            if (pendingLength > 0) {
                // Bytes kept from before the pause may hold whole messages: offer them again
                // (on the loop, not from inside this call, which may be within onData).
                loop.execute(this::redeliver);
            }
        }
    }

    private void redeliver() {
        if (reading && !closed && pendingLength > 0) {
            deliver(pending.segment, pendingLength);
        }
    }

    // ---- reading

    @Override
    public void onEvent(Event event) {
        if (closed) {
            return;
        }
        if (event.isWritable() && waitingForWritable) {
            flushNow();
        }
        if (!closed && reading && (event.isReadable() || event.isError())) {
            // With a hang-up or error in the same edge, read on to EOF or the error: no further
            // edge will come to report them.
            readAll(event.isReadClosed() || event.isError());
        }
    }

    private void readAll(boolean toTheEnd) {
        int reads = 0;
        while (reading && !closed) {
            MemorySegment target;
            long offset;
            if (pending == null) {
                target = io.readBuffer.segment;
                offset = 0;
            } else {
                if (pendingLength == pending.capacity() && !growPending()) {
                    return;
                }
                target = pending.segment;
                offset = pendingLength;
            }
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
            deliver(target, offset + n);
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

    private boolean growPending() {
        if (pending.capacity() >= maxPending) {
            finish(messageTooLarge(), true);
            return false;
        }
        BufferPool.Buffer bigger = io.pool.acquire(Math.min(maxPending, pending.capacity() * 2));
        MemorySegment.copy(pending.segment, 0, bigger.segment, 0, pendingLength);
        io.pool.release(pending);
        pending = bigger;
        return true;
    }

    private void deliver(MemorySegment buffer, long length) {
        long used;
        try {
            used = handler.onData(this, buffer.asSlice(0, length));
        } catch (RuntimeException e) {
            LOG.warn("handler failed on {}; aborting the connection", remote, e);
            finish(new IOException("handler failed: " + e, e), true);
            return;
        }
        if (used < 0 || used > length) {
            finish(new IOException("onData returned " + used + " of " + length + " bytes"), true);
            return;
        }
        if (closed || closing) {
            return; // the view's memory is released when the connection finishes closing
        }
        long rest = length - used;
        if (rest == 0) {
            releasePending();
        } else if (pending == null) {
            if (rest > maxPending) {
                finish(messageTooLarge(), true);
                return;
            }
            pending = io.pool.acquire(Math.max(rest, 4096));
            MemorySegment.copy(buffer, used, pending.segment, 0, rest);
            pendingLength = rest;
        } else {
            if (used > 0) {
                MemorySegment.copy(pending.segment, used, pending.segment, 0, rest); // memmove
            }
            pendingLength = rest;
        }
    }

    private IOException messageTooLarge() {
        return new IOException("incomplete message exceeds " + maxPending + " bytes on " + remote);
    }

    private void releasePending() {
        if (pending != null) {
            io.pool.release(pending);
            pending = null;
        }
        pendingLength = 0;
    }

    private void endOfStream() {
        loop.clearReadiness(fd, Interest.READABLE);
        reading = false;
        updateInterest();
        if (pendingLength > 0) {
            finish(new EOFException("peer closed " + remote + " with " + pendingLength
                    + " bytes of an incomplete message pending"), false);
        } else {
            handler.onReadClosed(this);
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
            handler.onWritabilityChanged(this, false);
        }
        requestFlush();
    }

    private void requestFlush() {
        if (!flushRequested && connected && !waitingForWritable) {
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
                int count = queue.gather(io.iov, LoopIo.MAX_IOV);
                long offered = queue.gatheredBytes();
                Sockets.setMsgIov(io.msghdr, io.iov, count);
                long n = Sockets.sendmsg(fd, io.msghdr, Sockets.MSG_NOSIGNAL);
                if (n == -ErrnoCodes.EAGAIN) {
                    full = true;
                    break;
                }
                if (n < 0) {
                    finish(Errors.exception("sendmsg(fd " + fd + ", " + remote + ")", (int) -n), false);
                    return;
                }
                queue.consume(n);
                if (n < offered) {
                    full = true; // the socket took less than offered: do not ask again just for EAGAIN
                    break;
                }
            }
            if (!writable && queue.bytes() <= lowWatermark) {
                writable = true;
                handler.onWritabilityChanged(this, true);
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
        if (closing) {
            finish(null, false);
        } else if (outputShutdownRequested && !outputShut) {
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

    /** Closes gracefully: stops reading, sends what is queued, then closes. Idempotent. */
    public void close() {
        if (closed || closing) {
            return;
        }
        closing = true;
        reading = false;
        if (queue.isEmpty() || !connected) {
            finish(null, false);
        } else {
            updateInterest();
            requestFlush();
        }
    }

    /** Closes at once with a reset (SO_LINGER 0): queued bytes are dropped. Idempotent. */
    public void abort() {
        if (!closed) {
            finish(null, true);
        }
    }

    void closeBecauseLoopStopped() {
        finish(new ClosedConnectionException("event loop '" + loop.name() + "' stopped"), true);
    }

    private void finish(IOException cause, boolean reset) {
        if (closed) {
            return;
        }
        closed = true;
        releasePending();
        queue.clear();
        if (fd >= 0 && connected) {
            if (reset) {
                Sockets.setLinger(fd, true, 0);
            }
            closeFd();
        }
        io.closed(this);
        try {
            handler.onClosed(this, cause);
        } catch (RuntimeException e) {
            LOG.warn("onClosed handler threw for {}", remote, e);
        }
    }

    private void closeFd() {
        try {
            loop.close(fd);
        } catch (IOException e) {
            LOG.debug("close of {} reported {}", remote, e.getMessage());
        }
    }
}
