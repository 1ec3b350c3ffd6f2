package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.Event;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopFuture;
import io.ffpoll.multiplexer.internal.LoopResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * A datagram socket on an {@link EventLoop}, UDP or (see {@link #bind}) AF_UNIX: datagrams in
 * through a {@link DatagramHandler}, out through a bounded queue that the loop sends once per
 * iteration.
 *
 * <pre>{@code
 * DatagramEndpoint echo = DatagramEndpoint.bind(loop, new InetSocketAddress("127.0.0.1", 7007),
 *         DatagramOptions.DEFAULTS,
 *         (endpoint, payload, sender) -> endpoint.send(payload, sender)).get();
 * }</pre>
 *
 * <p><b>Receiving.</b> When the socket is readable, the endpoint receives in batches of
 * {@link DatagramOptions#receiveBatch()} (Linux: one {@code recvmmsg} per batch; the BSDs: one
 * {@code recvfrom} per datagram) until the kernel has no more, or
 * {@link DatagramOptions#receiveBudget()} calls were made (the rest waits for the next
 * iteration, which gets it without a syscall). Each datagram goes to
 * {@link DatagramHandler#onDatagram} as a view of the endpoint's own native memory and a
 * reusable sender view, valid during the call only (see {@link DatagramHandler}). A datagram longer than
 * {@link DatagramOptions#maxDatagramSize()} is reported truncated, never passed on as whole.
 * With GRO on, a coalesced datagram is split into the datagrams it was made of.
 *
 * <p><b>Sending.</b> {@code send} copies the datagram into the endpoint's queue and returns;
 * everything an iteration queued leaves together just before the loop's next poll (Linux: one
 * {@code sendmmsg}), so the loop still makes one wait per iteration. The queue is bounded
 * ({@link DatagramOptions#maxQueuedDatagrams()}, {@link DatagramOptions#maxQueuedBytes()}):
 * a send it has no room for returns false and is counted ({@link DatagramStats#overflows()}),
 * and memory never grows. A datagram the kernel refuses (EMSGSIZE, ...) is dropped and
 * reported to {@link DatagramHandler#onError}; the endpoint goes on. When the socket's buffer is
 * full the queue waits for writability. On a Unix socket, Linux answers a send to a full
 * receiver with EAGAIN (UDP drops): to the connected peer the queue waits for writability, which
 * comes once that peer reads; to another peer, whose room the kernel never signals, the datagram
 * is dropped and reported (EAGAIN, "its receive queue is full"), unless this socket's is full.
 * Linux answers both cases with the same EAGAIN, so the endpoint reads SO_MEMINFO after it and
 * retries the datagram once at once when the buffer has room (a receiver may have read in
 * between); only a second EAGAIN with room drops it.
 *
 * <p><b>A named Unix peer that does not read (Linux).</b> Linux charges every datagram waiting,
 * unread, in a receiver's queue to the sender's SO_SNDBUF until it is read. A named peer that
 * never reads therefore holds up to its queue's worth (net.unix.max_dgram_qlen + 1 datagrams)
 * of this socket's buffer; if that is the whole buffer, every send fails with EAGAIN for a full
 * own buffer, the queue waits for writability, and that comes only when the deaf peer reads or
 * closes: the replies to every other peer wait behind it (queued, then refused and counted in
 * {@link DatagramStats#overflows()} once the queue is full). To keep one peer from stalling the
 * rest, give the socket an SO_SNDBUF ({@link DatagramOptions#socketBuffers}) of at least
 * (max_dgram_qlen + 1) times the largest datagram's cost (its payload plus the kernel's
 * per-datagram overhead, some hundreds of bytes), so that a full peer's queue fills before this
 * socket's buffer does and its datagrams are dropped instead; or give each peer a connected
 * socket of its own. UDP has no such coupling: a receiver's full buffer drops.
 *
 * <p><b>Size.</b> A datagram is at most {@link DatagramOptions#MAX_DATAGRAM} (65,535) bytes on
 * either family: the Unix kernel would take more (up to the send buffer), but this endpoint's
 * queue and receive slots are sized for UDP's bound, so a larger send is refused
 * ({@link IllegalArgumentException}) and a larger received datagram is reported truncated.
 *
 * <p><b>Segmentation (Linux).</b> {@link #sendSegmented} hands the kernel one payload to cut
 * into equal datagrams to one peer (UDP GSO), and {@link DatagramOptions#gro()} lets it
 * coalesce received ones. Both are opt-in; where the OS or the kernel refuses them, the same
 * datagrams go (or come) one by one and the refusal is counted
 * ({@link DatagramStats#segmentationFallbacks()}): never a datagram lost to it.
 *
 * <p><b>Threading.</b> An endpoint belongs to its loop: its methods are called on the loop
 * thread (its handler, a timer, a task), and throw {@link WrongThreadException} elsewhere.
 * {@link #bind}, {@link #closeAsync()}, {@link #stats()} and the getters may be called from any
 * thread. Closing the loop closes its endpoints.
 */
public final class DatagramEndpoint {
    private static final Platform OS = Platform.current();
    private static final LoopAccess LOOPS = LoopAccess.get();
    private static final Logger LOG = LoggerFactory.getLogger(DatagramEndpoint.class);
    /** The most datagrams one GSO send may be cut into (the kernel's UDP_MAX_SEGMENTS). */
    public static final int MAX_SEGMENTS = 64;

    private final EventLoop loop;
    private final int fd;
    private final DatagramCalls calls;
    private final DatagramOptions options;
    private final DatagramHandler handler;
    private final SocketAddress local;
    UnixListening.SocketFile socketFile; // a Unix path's file: removed on close
    private final boolean gro;
    private final boolean gsoAsked;
    private final LoopResource resource = LoopResource.of(this::closeBecauseLoopStopped);
    private final CompletableFuture<DatagramEndpoint> started;
    private Arena arena;
    private DatagramReceiver receiver;
    private DatagramSendQueue queue;
    volatile boolean closed;
    private long segmentationFallbacks;
    private long droppedOnClose;

    /** For {@link DatagramSockets} and {@link UnixDatagrams}: an endpoint over a bound socket, not yet on its loop. */
    DatagramEndpoint(EventLoop loop, int fd, DatagramCalls calls, DatagramOptions options,
                     DatagramHandler handler, SocketAddress local, boolean gro, long fallbacks) {
        this.loop = loop;
        this.fd = fd;
        this.calls = calls;
        this.options = options;
        this.handler = handler;
        this.local = local;
        this.gro = gro;
        this.gsoAsked = options.gso();
        this.segmentationFallbacks = fallbacks;
        this.started = new LoopFuture<>(loop);
    }

    /**
     * Opens a datagram socket bound to {@code local} with {@code options}, and serves it on
     * {@code loop}: UDP for an {@link InetSocketAddress} (port 0: a free one, see
     * {@link #localAddress()}); AF_UNIX for a {@link UnixAddress} or the JDK's
     * {@link java.net.UnixDomainSocketAddress} ({@link #unixAddress()}; the socket file is handled
     * as {@link UnixAddress} says; {@link UnixAddress#unnamed()} has Linux pick an abstract name,
     * autobind, so that a client can be replied to), which refuses the options of UDP alone
     * (reusePort, v6Only, broadcast, gso, gro, an IP peer) and {@link #socketOptions()}'s methods.
     * The socket is made and bound on the caller's thread; any thread may call this; never waits.
     *
     * @param loop the loop that serves it
     * @param local the address to bind: an IP address, resolved, or a Unix one
     * @param options the options
     * @param handler what hears of its datagrams
     * @return the endpoint once its loop serves it; failed with the {@link IOException} of socket,
     *     setsockopt, bind ({@link java.net.BindException}: in use) or connect (nothing stays open),
     *     or a {@link java.util.concurrent.RejectedExecutionException} if the loop is closed
     * @throws IllegalArgumentException for an unresolved address, an address of another type, an
     *     option the socket's family has not (the message names it), or a Unix name too long
     * @throws UnsupportedOperationException for an abstract name or autobind off Linux
     */
    public static CompletableFuture<DatagramEndpoint> bind(EventLoop loop, SocketAddress local,
                                                           DatagramOptions options, DatagramHandler handler) {
        return DatagramSockets.bind(loop, local, options, handler, OS.datagrams());
    }

    /** Serves the bound socket on its loop; if the loop is closed, closes it. */
    CompletableFuture<DatagramEndpoint> start() {
        loop.onLoop(this::register).whenComplete((x, failure) -> {
            if (failure != null) {
                OS.close(fd); // the loop is closed: never registered, so the fd is still ours
                UnixListening.SocketFile.remove(socketFile);
                started.completeExceptionally(OnLoop.unwrap(failure));
            }
        });
        return started;
    }

    private Object register() {
        arena = Arena.ofConfined();
        BufferPool pool = LoopIo.of(loop).pool;
        try {
            receiver = new DatagramReceiver(this, loop, fd, calls, options, handler, arena, gro);
            boolean gso = gsoAsked && calls.segmentation() && calls.canSegment(fd);
            if (gsoAsked && !gso) {
                segmentationFallbacks++;
            }
            queue = new DatagramSendQueue(this, loop, fd, pool, calls, arena, options.maxQueuedDatagrams(),
                    options.maxQueuedBytes(), gso);
        } catch (Throwable e) {
            // An OutOfMemoryError too (native memory past MaxDirectMemorySize): the arena goes back.
            freeReceiveMemory();
            throw e;
        }
        loop.register(fd, Interest.READABLE, new Events());
        LOOPS.adopt(loop, resource);
        LOOPS.afterNextPoll(loop, () -> {
            if (!closed) {
                started.complete(this);
            } else {
                started.completeExceptionally(new ClosedConnectionException("datagram endpoint on " + local
                        + " was closed before it started"));
            }
        });
        return null;
    }

    /** The loop's handler of the socket: it names the endpoint and the user's handler in JFR's slow-callback events. */
    private final class Events implements io.ffpoll.multiplexer.IoHandler, io.ffpoll.multiplexer.internal.Described {
        @Override
        public void onEvent(Event event) {
            DatagramEndpoint.this.onEvent(event);
        }

        @Override
        public String describeCallback() {
            return "datagram endpoint " + local + " (" + handler.getClass().getName() + ")";
        }
    }

    private void onEvent(Event event) {
        IOException failure = event.registrationFailure();
        if (failure != null) {
            closeOnLoop(failure);
            return;
        }
        if (event.isWritable()) {
            queue.writable();
        }
        if (!closed && (event.isReadable() || event.isError())) {
            receiver.receive();
        }
    }

    // ---- sending

    /**
     * Queues one datagram to {@code target}; it leaves with the iteration's other sends.
     *
     * @param payload the bytes, copied before this returns (up to 65,535)
     * @param target the peer: an {@link InetSocketAddress}, resolved, on a UDP endpoint; a
     *     {@link UnixAddress} on a Unix one (a JDK {@link java.net.UnixDomainSocketAddress} is
     *     converted on every call: convert it once with {@link UnixAddress#of})
     * @return false if the queue had no room (counted) or the endpoint is closed; nothing was queued
     * @throws IllegalArgumentException for a payload over 65,535 bytes, an unresolved or unnamed
     *     target, or one of the other family
     */
    public boolean send(MemorySegment payload, SocketAddress target) {
        checkLoop("send");
        return enqueue(payload, MemorySegment.NULL, 0, UnixDatagrams.target(target, local), 0);
    }

    /**
     * Queues one datagram to the sender of a received one: its sockaddr is copied as the kernel
     * gave it, with no decoding and no allocation. A reply to an {@linkplain DatagramAddress#isUnnamed()
     * unnamed} Unix sender is dropped, counted in {@link DatagramStats#sendErrors()} and reported
     * to {@link DatagramHandler#onError} within this call; the endpoint goes on.
     *
     * @param payload the bytes, copied before this returns (up to 65,535)
     * @param target a sender view (during its callback) or a {@link DatagramAddress#copy()}
     * @return false if the queue had no room (counted), the target is unnamed, or the endpoint is closed
     * @throws IllegalArgumentException for a payload over 65,535 bytes, a sender of the other
     *     family (an IP sender on a Unix endpoint, or the reverse), or an IP sender with no address
     */
    public boolean send(MemorySegment payload, DatagramAddress target) {
        checkLoop("send");
        UnixDatagrams.checkSender(target, local);
        if (target.length() == 0 || target.isUnnamed()) {
            return !closed && UnixDatagrams.refuseUnnamed(this, queue);
        }
        return enqueue(payload, target.sockaddr(), target.length(), null, 0);
    }

    /**
     * Queues one datagram to the connected peer ({@link DatagramOptions#connectTo}).
     *
     * @param payload the bytes, copied before this returns (up to 65,535)
     * @return false if the queue had no room (counted) or the endpoint is closed
     * @throws IllegalStateException if the endpoint is not connected
     */
    public boolean send(MemorySegment payload) {
        checkLoop("send");
        requireConnected();
        return enqueue(payload, MemorySegment.NULL, 0, null, 0);
    }

    /**
     * Queues {@code payload} as datagrams of {@code segmentSize} bytes each (the last may be
     * shorter) to one peer, {@code target} or the connected one if null. With GSO on
     * ({@link DatagramOptions#gso()}, Linux) the kernel cuts them from one message; otherwise,
     * or where it refuses, they are queued and sent as single datagrams from the same bytes (the
     * receiver cannot tell the difference). Each counts against
     * {@link DatagramOptions#maxQueuedDatagrams()}.
     *
     * @param payload the bytes, copied before this returns (1 to 65,535)
     * @param segmentSize the size of each datagram
     * @param target the peer, or null for the connected one
     * @return false if the queue had no room for all of them (counted) or the endpoint is closed
     * @throws IllegalArgumentException if the payload is empty or makes more than
     *     {@link #MAX_SEGMENTS} datagrams, or the segment size is not positive
     */
    public boolean sendSegmented(MemorySegment payload, int segmentSize, SocketAddress target) {
        checkLoop("sendSegmented");
        DatagramSockets.checkSegments(payload, segmentSize);
        if (target == null) {
            requireConnected();
        }
        return enqueue(payload, MemorySegment.NULL, 0, target == null ? null : UnixDatagrams.target(target, local),
                segmentSize);
    }

    private void requireConnected() {
        if (options.connectTo() == null) {
            throw new IllegalStateException("datagram endpoint on " + local + " is not connected: name the peer");
        }
    }

    private boolean enqueue(MemorySegment payload, MemorySegment name, int nameLength, SocketAddress target,
                            int segment) {
        if (payload.byteSize() > DatagramOptions.MAX_DATAGRAM) {
            throw new IllegalArgumentException("a datagram has at most " + DatagramOptions.MAX_DATAGRAM + " bytes, got "
                    + payload.byteSize());
        }
        if (closed) {
            return false;
        }
        return queue.offer(payload, name, nameLength, target, segment);
    }

    void segmentationRefused() {
        segmentationFallbacks++;
    }

    void report(IOException error) {
        try {
            handler.onError(this, error);
        } catch (Throwable t) {
            callbackFailed("onError", t);
        }
    }

    void callbackFailed(String callback, Throwable t) {
        LOG.warn("datagram endpoint on {}: {} threw; closing it", local, callback, t);
        closeOnLoop(t);
    }

    // ---- the rest

    /** Loop thread only. */
    void checkLoop(String method) {
        if (!loop.inEventLoop()) {
            throw new WrongThreadException("DatagramEndpoint." + method + " on thread '"
                    + Thread.currentThread().getName() + "': the endpoint on " + local + " belongs to loop '"
                    + loop.name() + "'; call it there (endpoint.loop().execute)");
        }
    }

    /** {@return the loop that serves the endpoint} */
    public EventLoop loop() {
        return loop;
    }

    /** {@return the socket} */
    public int fd() {
        return fd;
    }

    /** {@return the bound address, with the port the kernel chose for port 0; null on a Unix endpoint} */
    public InetSocketAddress localAddress() {
        return local instanceof InetSocketAddress ip ? ip : null;
    }

    /** {@return the Unix address bound (a path, an abstract name, or what autobind picked); null on UDP} */
    public UnixAddress unixAddress() {
        return local instanceof UnixAddress u ? u : null;
    }

    /** {@return the connected UDP peer, or null; a Unix endpoint's is {@code options().connectTo()}} */
    public InetSocketAddress remoteAddress() {
        return options.connectTo() instanceof InetSocketAddress ip ? ip : null;
    }

    /** The bound address of either family, for messages. */
    SocketAddress local() {
        return local;
    }

    /** {@return false once closed} */
    public boolean isOpen() {
        return !closed;
    }

    /** {@return whether received datagrams may come coalesced (UDP GRO is on)} */
    public boolean groEnabled() {
        return gro;
    }

    /** {@return whether {@link #sendSegmented} has the kernel cut the datagrams (UDP GSO is on)} */
    public boolean gsoEnabled() {
        return queue != null && queue.gso;
    }

    /** {@return the options it was opened with} */
    public DatagramOptions options() {
        return options;
    }

    /** {@return what the endpoint has done so far; see {@link DatagramStats} (any thread)} */
    public DatagramStats stats() {
        return DatagramStats.of(receiver, queue, segmentationFallbacks, droppedOnClose);
    }

    /**
     * The multicast and other socket options of this endpoint's socket.
     *
     * @return the options; their methods are loop-thread only
     */
    public DatagramSocketOptions socketOptions() {
        return new DatagramSocketOptions(this, calls, fd,
                local instanceof InetSocketAddress ip && ip.getAddress() instanceof java.net.Inet6Address);
    }

    /**
     * Closes the socket. What is queued gets one last, non-blocking try; whatever the socket does
     * not take then is dropped and counted ({@link DatagramStats#droppedOnClose()}). The handler's
     * {@code onClosed} runs before this returns. Loop thread only; idempotent.
     */
    public void close() {
        checkLoop("close");
        closeOnLoop(null);
    }

    /**
     * {@link #close()} from any thread: on the loop's own at once, elsewhere on the loop.
     *
     * @return a future completed once the socket is closed (at once if the loop is closed: it
     *     closed its endpoints)
     */
    public CompletableFuture<Void> closeAsync() {
        return loop.onLoop(() -> {
            closeOnLoop(null);
            return (Void) null;
        }).exceptionallyCompose(failure -> loop.closeAsync());
    }

    private void closeBecauseLoopStopped() {
        closeOnLoop(new ClosedConnectionException("the loop of datagram endpoint on " + local + " stopped"));
    }

    private void closeOnLoop(Throwable cause) {
        if (closed) {
            return;
        }
        closed = true; // first: a callback of the last flush may close or send again, and must find it closed
        if (queue != null && cause == null) {
            queue.lastFlush(); // never waits
        }
        if (queue != null) {
            droppedOnClose += queue.release();
        }
        LOOPS.release(loop, resource);
        try {
            loop.deregisterAndClose(fd);
        } catch (IOException | RuntimeException e) {
            LOG.debug("datagram endpoint on {}: close: {}", local, e.toString());
        }
        UnixListening.SocketFile.remove(socketFile);
        if (receiver == null || !receiver.receiving()) {
            freeReceiveMemory(); // else once the receive under way has ended
        }
        try {
            handler.onClosed(this, cause);
        } catch (Throwable t) {
            LOG.warn("datagram endpoint on {}: onClosed threw", local, t);
        }
    }

    /** Gives back the receive batch and the headers' memory; the socket is closed already. */
    void freeReceiveMemory() {
        if (receiver != null) {
            receiver.free();
        }
        if (arena != null) {
            arena.close();
            arena = null;
        }
    }

    @Override
    public String toString() {
        return "DatagramEndpoint[" + local + (options.connectTo() != null ? " -> " + options.connectTo() : "")
                + (closed ? ", closed" : "") + "]";
    }
}
