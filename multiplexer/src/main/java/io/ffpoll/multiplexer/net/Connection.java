package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Errors;
import io.ffpoll.multiplexer.Event;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.internal.Durations;
import io.ffpoll.multiplexer.internal.LoopFuture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A non-blocking TCP connection on an {@link EventLoop}, for writing protocols without fds.
 *
 * <p><b>Reading.</b> Bytes are read into the loop's shared buffer and handed to
 * {@link ConnectionHandler#onData} as a read-only view; a connection reads at most 16 times per
 * turn ({@link #setReadBudget}), so a peer that sends without pause cannot starve the loop's
 * other connections. Only bytes the handler leaves unconsumed are copied into a buffer of the
 * connection's own, from the loop's buffer pool ({@link ConnectionStats}), which goes back to
 * the pool once they are consumed (never while the handler still holds the view): an idle
 * connection holds none.
 *
 * <p><b>Writing.</b> {@code write} copies the bytes once into pooled chunks and returns; the
 * loop sends everything a connection queued during an iteration with one gathering
 * {@code sendmsg} (never raising SIGPIPE) just before its next poll, or at once on
 * {@link #flush()}.
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
 * <p><b>Threading.</b> A connection belongs to its loop: call its methods on the loop thread
 * (from its handler, a timer or a task). From another thread they throw
 * {@link WrongThreadException} before changing anything; the getters may be read anywhere
 * (the value may be stale). {@link #writeAsync}, {@link #closeAsync} and the static factories
 * may be called from any thread: they run on the loop and return a future.
 */
public final class Connection extends ConnectionClosing {
    /** Default high and low watermarks of the write queue, as in Netty. */
    public static final long DEFAULT_HIGH_WATERMARK = 64 * 1024;
    /** Default low watermark: below it a write-blocked connection is writable again. */
    public static final long DEFAULT_LOW_WATERMARK = 32 * 1024;
    /** Default cap on bytes a handler may leave unconsumed (one incomplete message). */
    public static final long DEFAULT_MAX_PENDING = 8L << 20;
    /** Default reads per turn before the loop's other connections get theirs (1 MiB with the shared buffer). */
    public static final int DEFAULT_READ_BUDGET = 16;
    /** Default time a graceful close may take to send what is queued before it aborts. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);
    /** Default bounds of a lingering close: time in all, and bytes discarded (nginx: 30 s and no byte cap). */
    public static final Duration DEFAULT_LINGER_TIME = Duration.ofSeconds(5);
    /** Default bytes a lingering close discards at most. */
    public static final long DEFAULT_LINGER_BYTES = 16L << 20;
    /** Default hard cap of the write queue; past it a write closes the connection ({@link Overflow#CLOSE}). */
    public static final long DEFAULT_MAX_QUEUED = 64L << 20;

    /** What a write does that would take the queue past its hard cap ({@link #setMaxQueued}). */
    public enum Overflow {
        /** The write returns false and queues nothing; the connection goes on. */
        REFUSE,
        /** The connection is aborted, and its handler hears why in {@code onClosed}. */
        CLOSE
    }

    Connection(EventLoop loop, int fd, java.net.SocketAddress remote, ConnectionHandler handler) {
        super(loop, fd, remote, handler);
        io.opened();
        ConnectionEvents.opened(this);
        LOOPS.adopt(loop, loopSide);
    }

    /**
     * Wraps an accepted socket (non-blocking, e.g. from {@link Listener}) and starts reading;
     * {@link ConnectionHandler#onOpen} runs first. The connection owns the fd from then on. Any
     * thread: on {@code loop}'s own thread it runs at once (the future is complete when this
     * returns), else on the loop; it never waits. The future fails with a
     * {@link java.util.concurrent.RejectedExecutionException} if the loop is closed, and the fd
     * then stays the caller's.
     *
     * @param loop the event loop
     * @param fd the descriptor
     * @param remote the peer's address; null for a socket that has no IP peer (one accepted on
     *     a Unix-domain listener, whose {@link #peerAddress()} is then read when asked for)
     * @param handler the handler
     * @return the connection, once open
     */
    public static CompletableFuture<Connection> open(EventLoop loop, int fd, InetSocketAddress remote,
                                                     ConnectionHandler handler) {
        java.util.Objects.requireNonNull(handler, "handler");
        if (fd < 0) {
            throw new IllegalArgumentException("invalid fd " + fd);
        }
        return loop.onLoop(() -> {
            Connection c = new Connection(loop, fd, remote, handler);
            c.connected = true;
            loop.register(fd, Interest.READABLE, c.loopSide);
            c.receiveOnRing();
            c.opened();
            return c;
        });
    }

    /**
     * {@link #open(EventLoop, int, InetSocketAddress, ConnectionHandler)} over TLS: the handler
     * sees plaintext, and {@link ConnectionHandler#onOpen} runs once the handshake is done
     * ({@link #tls()} then tells what it settled). A handshake that fails, or takes longer than
     * {@link TlsConfig#handshakeTimeout()}, closes the connection: the handler hears only
     * {@code onClosed}, with the reason (an {@link javax.net.ssl.SSLHandshakeException}, a
     * {@link SocketTimeoutException}). The future completes once the connection is made, before
     * the handshake, so an acceptor on the loop thread never waits for a peer.
     *
     * @param loop the event loop
     * @param fd the descriptor, the connection's from then on
     * @param remote the peer's address, or null
     * @param tls the configuration: a server's for an accepted socket, a client's for one this
     *     side connected (its {@code remote} host is the server name, as for {@code connect})
     * @param handler the handler
     * @return the connection, once made
     * @throws IllegalArgumentException for a client's configuration that checks the server's
     *     name ({@link TlsConfig.Builder#verifyHostname}) and no {@code remote} to check it against
     */
    public static CompletableFuture<Connection> open(EventLoop loop, int fd, InetSocketAddress remote, TlsConfig tls,
                                                     ConnectionHandler handler) {
        java.util.Objects.requireNonNull(handler, "handler");
        java.util.Objects.requireNonNull(tls, "tls");
        if (fd < 0) {
            throw new IllegalArgumentException("invalid fd " + fd);
        }
        if (remote == null && tls.verifiesHostname()) {
            // No name, no check: the client would trust any certificate its authorities signed.
            throw new IllegalArgumentException("a TLS client that verifies the server's name needs the remote address it"
                    + " connected to (or verifyHostname(false))");
        }
        return loop.onLoop(() -> {
            Connection c = new Connection(loop, fd, remote, handler);
            c.connected = true;
            loop.register(fd, Interest.READABLE, c.loopSide);
            c.receiveOnRing();
            c.tlsBegin(tls, remote == null ? null : remote.getHostString(), remote == null ? -1 : remote.getPort());
            return c;
        });
    }

    /**
     * {@link #connect(EventLoop, InetSocketAddress, Duration, ConnectionHandler)} over TLS. The
     * client sends {@code remote.getHostString()} as SNI and, unless the configuration turned it
     * off, checks the server's certificate against it. A trailing dot is dropped from both; an IP
     * address, or a name that is no DNS host name ({@code my_service}), is checked but not sent
     * (RFC 6066 3), and {@link TlsInfo#serverName()} is then null. To connect to
     * an IP address under a name, pass {@code new InetSocketAddress(InetAddress.getByAddress(name,
     * ip), port)}. {@link ConnectionHandler#onOpen} runs, and the future completes, once the
     * handshake is done; a failed handshake fails it with an
     * {@link javax.net.ssl.SSLHandshakeException}.
     *
     * @param loop the event loop
     * @param remote the address to connect to
     * @param timeout how long the TCP connect may take, positive; null for the kernel's own limit
     * @param tls the configuration; a client's
     * @param handler the handler
     * @return the connection once connected and the handshake done, or the failure
     * @throws IllegalArgumentException for a server's configuration
     */
    public static CompletableFuture<Connection> connect(EventLoop loop, InetSocketAddress remote, Duration timeout,
                                                        TlsConfig tls, ConnectionHandler handler) {
        java.util.Objects.requireNonNull(tls, "tls");
        if (!tls.isClient()) {
            throw new IllegalArgumentException("connect needs a client's TlsConfig (TlsConfig.client()), not a server's");
        }
        return connect(loop, remote, timeout, tls, remote.getHostString(), handler);
    }

    /**
     * Wraps any stream descriptor: a connected stream socket of any family (TCP, Unix, one end
     * of a socketpair), or a descriptor that is no socket (a pipe's end, a FIFO, a terminal, the
     * process's stdin or stdout). The connection owns the fd from then on and makes it
     * non-blocking (O_NONBLOCK belongs to the open file, so a terminal or pipe shared with other
     * processes becomes non-blocking for them too). It tells once, here, what it was given
     * (getsockopt SO_TYPE, and fcntl F_GETFL for a non-socket) and acts on it:
     * <ul>
     * <li>a socket works as an accepted one; {@link #peerAddress()} is asked of the kernel;</li>
     * <li>a non-socket is read with read(2) and written with write(2)/writev(2) (send and
     *     sendmsg would fail with ENOTSOCK); a write to a pipe whose read end is closed fails
     *     with EPIPE and closes the connection with a {@link java.net.SocketException} (the JVM
     *     ignores SIGPIPE, so the process lives on);</li>
     * <li>a read-only descriptor (a pipe's read end, stdin) is a connection whose output is shut
     *     down from the start: {@code write} returns false. The writer closing its end is EOF:
     *     {@link ConnectionHandler#onReadClosed}, as a FIN;</li>
     * <li>a write-only descriptor (a pipe's write end, stdout) is never read and never hears
     *     {@code onReadClosed}; the reader closing its end closes the connection with an EPIPE
     *     {@link java.net.SocketException}, also while nothing is being written.
     *     {@link #shutdownOutput()} closes it once the queue is sent: that is how a pipe's reader
     *     sees EOF;</li>
     * <li>on a non-socket open for both (a terminal) {@code shutdownOutput} sends nothing and
     *     closes nothing; {@link #abort()} is a plain close (no reset without a socket).</li>
     * </ul>
     * Two pipes make one duplex stream only as two connections (stdin's and stdout's), one that
     * reads and one that writes. Any thread; never waits.
     *
     * @param loop the event loop
     * @param fd a stream descriptor, the connection's from then on
     * @param handler the handler
     * @return the connection, once open; failed with an {@link IOException} if fd is not open,
     *     an {@link IllegalArgumentException} for a socket that is not a stream socket (the fd
     *     then stays the caller's), or a {@link java.util.concurrent.RejectedExecutionException}
     *     if the loop is closed
     */
    public static CompletableFuture<Connection> open(EventLoop loop, int fd, ConnectionHandler handler) {
        java.util.Objects.requireNonNull(handler, "handler");
        if (fd < 0) {
            throw new IllegalArgumentException("invalid fd " + fd);
        }
        return loop.onLoop(() -> StreamFds.open(loop, fd, handler));
    }

    /**
     * Connects to {@code remote} without blocking. {@link ConnectionHandler#onOpen} follows on
     * success, {@link ConnectionHandler#onClosed} with the cause on failure. Any thread; never
     * waits. The future completes on the loop thread, in a task after {@code onOpen}: a
     * dependent added in time runs there; use {@code thenAcceptAsync} and the like (their default
     * executor is the loop) to be sure to run on the loop, where the connection may be used.
     *
     * <p>The future tells how the connect ended, not what came after: once the connect has
     * succeeded it completes with the connection, even if {@code onOpen} already closed or
     * aborted it, or a write there failed. An abort, a failed write or a {@code close()} with
     * nothing queued has closed it by then: {@link #isOpen()} is false and {@code onClosed}
     * has had the cause, if any. A {@code close()} after a write in {@code onOpen} is graceful:
     * the connection is still open and {@link #isClosing()} when the future completes, it
     * flushes what was written, then closes and calls {@code onClosed}. Either way
     * {@link #closeAsync()} completes normally. Only an {@code onOpen} that throws fails it,
     * with the {@link IOException} the connection was aborted with. Netty's connect future and
     * the JDK's {@code SocketChannel.connect} draw the same line.
     *
     * @throws IllegalArgumentException if {@code remote} is unresolved
     * @param loop the event loop
     * @param remote the address to connect to
     * @param handler the handler
     * @return the connection once connected (after its {@code onOpen}), or the failure: a
     *     {@link java.net.ConnectException}; a {@link ClosedConnectionException} if the loop
     *     closed during the connect; a {@link java.util.concurrent.RejectedExecutionException}
     *     if it was closed already
     */
    public static CompletableFuture<Connection> connect(EventLoop loop, InetSocketAddress remote,
                                                        ConnectionHandler handler) {
        return connect(loop, remote, null, handler);
    }

    /**
     * {@link #connect(EventLoop, InetSocketAddress, ConnectionHandler)} that gives up after
     * {@code timeout}: the socket is closed and the connection fails with a
     * {@link SocketTimeoutException}.
     *
     * @param loop the event loop
     * @param remote the address to connect to
     * @param timeout how long the connect may take, positive; null for the kernel's own limit
     * @param handler the handler
     * @return the connection once connected, or the failure
     */
    public static CompletableFuture<Connection> connect(EventLoop loop, InetSocketAddress remote, Duration timeout,
                                                        ConnectionHandler handler) {
        return connect(loop, (java.net.SocketAddress) remote, timeout, handler);
    }

    /**
     * {@link #connect(EventLoop, InetSocketAddress, ConnectionHandler)} to any address: an
     * {@link InetSocketAddress}, or a Unix-domain socket ({@link UnixAddress}, or the JDK's
     * {@link java.net.UnixDomainSocketAddress} for a path). A Unix connect ends at once: ENOENT
     * (no socket at the path), ECONNREFUSED (nobody listens) or EAGAIN (the listener's backlog is
     * full) fail the future as a refused TCP connect does, with the JDK's exception classes for
     * them (a {@link java.net.SocketException} for ENOENT and EAGAIN, a
     * {@link java.net.ConnectException} for ECONNREFUSED) and a message that names the call, the
     * path and the errno: {@code connect(/run/app.sock): ENOENT (No such file or directory)}.
     *
     * @param loop the event loop
     * @param remote the address to connect to
     * @param handler the handler
     * @return the connection once connected (after its {@code onOpen}), or the failure
     * @throws IllegalArgumentException for an unresolved IP address or an address of another type
     */
    public static CompletableFuture<Connection> connect(EventLoop loop, java.net.SocketAddress remote,
                                                        ConnectionHandler handler) {
        return connect(loop, remote, null, handler);
    }

    /**
     * {@link #connect(EventLoop, java.net.SocketAddress, ConnectionHandler)} that gives up after
     * {@code timeout}.
     *
     * @param loop the event loop
     * @param remote the address to connect to
     * @param timeout how long the connect may take, positive; null for the kernel's own limit
     * @param handler the handler
     * @return the connection once connected, or the failure
     */
    public static CompletableFuture<Connection> connect(EventLoop loop, java.net.SocketAddress remote,
                                                        Duration timeout, ConnectionHandler handler) {
        return connect(loop, remote, timeout, null, null, handler);
    }

    private static CompletableFuture<Connection> connect(EventLoop loop, java.net.SocketAddress remote, Duration timeout,
                                                         TlsConfig tls, String serverName, ConnectionHandler handler) {
        java.net.SocketAddress target = SocketAddresses.normalize(remote);
        java.util.Objects.requireNonNull(handler, "handler");
        if (timeout != null) {
            Durations.positive(timeout, "connect timeout");
        }
        CompletableFuture<Connection> result = new LoopFuture<>(loop);
        loop.onLoop(() -> Connector.connection(loop, target, handler, timeout, tls, serverName, result)).whenComplete((c, failure) -> {
            if (failure != null) {
                result.completeExceptionally(OnLoop.unwrap(failure));
            }
        });
        return result;
    }

    /** Runs onOpen; returns null, or the cause the connection closed with because onOpen threw. */
    IOException opened() {
        try {
            handler.onOpen(this);
            return null;
        } catch (Throwable t) {
            return handlerFailed("onOpen", t);
        }
    }

    /**
     * {@return the socket, or -1 before a connect made one} After the close it still returns the
     * old number, which by then may name another file.
     */
    public int fd() {
        return fd;
    }

    /** {@return the loop the connection belongs to} */
    public EventLoop loop() {
        return loop;
    }

    /** {@return false once the connection is closed (its onClosed has run)} */
    public boolean isOpen() {
        return !closed;
    }

    /**
     * Whether a close has begun ({@link #close()}, {@link #closeLingering()}) or ended: the
     * connection takes no more writes.
     *
     * @return true once closing or closed
     */
    public boolean isClosing() {
        return closing || closed;
    }

    /**
     * False while the write queue is above the high watermark (until it drains below the low).
     *
     * @return false while the write queue is above the high watermark
     */
    public boolean isWritable() {
        return writable;
    }

    /**
     * Bytes written but not yet taken by the socket.
     *
     * @return the bytes queued and not yet sent
     */
    public long queuedBytes() {
        return queue.bytes();
    }

    /**
     * Bytes the socket has taken so far: it moves while the peer reads, and stalls while it does not.
     *
     * @return the bytes sent so far
     */
    public long sentBytes() {
        return queue.sent();
    }

    /**
     * Whether the connection holds a read buffer of its own (an incomplete message is pending).
     *
     * @return the result
     */
    boolean holdsReadBuffer() {
        return input.holdsBuffer();
    }

    @Override
    void onEvent(Event event) {
        if (closed) {
            return;
        }
        IOException refused = event.registrationFailure();
        if (refused != null) {
            // The kernel would not watch the socket (epoll_ctl: ENOSPC, ENOMEM, EPERM): no event
            // will ever come for it. The registration is gone already; close with the reason.
            finish(refused, false);
            return;
        }
        if (writeOnly && (event.isError() || event.isWriteClosed())) {
            // A pipe's write end hears of its reader's close as an error edge (epoll: EPOLLERR;
            // kqueue: EV_EOF on the write filter). Nothing will be read, so nothing else would
            // tell: the connection ends as a write would, with EPIPE.
            finish(Errors.exception(who() + ": the read end is closed", Err.EPIPE),
                    false);
            return;
        }
        if (event.isWritable() && waitingForWritable) {
            flushNow();
        }
        if (!closed && readsSocket() && (event.isReadable() || event.isError())) {
            // With a hang-up or error in the same edge, read on to EOF or the error: no further
            // edge will come to report them.
            readAll(event.isReadClosed() || event.isError());
        }
    }

    @Override
    public String toString() {
        return "Connection[" + who() + (closed ? ", closed" : closing ? ", closing" : "") + "]";
    }
}
