package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.FdPassing;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.IoHandler;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.util.function.Supplier;

/**
 * One end of a connected Unix domain socket (stream or seqpacket: a {@link #pair socketpair},
 * or an accepted or connected Unix connection handed to {@link #open}) that sends bytes with
 * file descriptors and receives bytes with the descriptors they came with ({@code SCM_RIGHTS}):
 * what Netty's {@code EpollDomainSocketChannel} does with {@code FileDescriptor} messages, and
 * what java.nio's {@code SocketChannel} cannot do at all.
 *
 * <pre>{@code
 * FdPassingChannel[] ends = FdPassingChannel.pair(4);
 * ends[0].send(bytes, pipeReadEnd);                // the bytes and a descriptor, in one message
 * ReceivedFds fds = new ReceivedFds();
 * long n = ends[1].receive(buffer, fds);           // n bytes; fds.fd(0) is a new descriptor
 * }</pre>
 *
 * <p>Calls never block, whatever the socket's own mode ({@code MSG_DONTWAIT}), and never raise
 * SIGPIPE. {@link #send} returns 0 when the socket's buffer is full (EAGAIN): nothing went, no
 * descriptor either; wait until the socket is writable and call again. {@link #receive}
 * returns 0 when nothing is there. Each allocates nothing: the msghdr, its iovec and the
 * control buffers are this channel's, made once; the bytes are the caller's native memory.
 *
 * <p>Message boundaries. Descriptors travel with at least one byte, and arrive with the bytes
 * of the send that carried them. On a seqpacket socket every receive is one send. On a stream
 * socket Linux never joins the bytes that follow a message with descriptors to it, but bytes
 * sent before it without descriptors may arrive in the same receive; and when a send takes only
 * part of the bytes, the descriptors went with that part.
 *
 * <p>Never leaked. Received descriptors are close-on-exec ({@code MSG_CMSG_CLOEXEC} on Linux and
 * FreeBSD; on macOS {@code fcntl} right after the receive: see {@code FdPassing}) and belong to
 * the caller through its {@link ReceivedFds}. When the sender passed more than this channel's
 * {@link #maxFds()} allows ({@code MSG_CTRUNC}), those that arrived are closed at once and
 * {@link ReceivedFds#controlTruncated()} says so. Descriptors still queued in the socket when
 * it closes are released by the kernel.
 *
 * <p>With a loop. This is not a {@link Connection}: a Connection is a byte stream with a write
 * queue, and descriptors have no place in its buffers. Instead the channel is a readiness
 * source, as in mio: {@link #register} puts its fd on an {@link EventLoop} (edge-triggered, see
 * {@link io.ffpoll.multiplexer.Event}) with an {@link IoHandler} that calls {@link #receive}
 * until it returns 0, and {@link #send} again once writable. From then on the channel belongs
 * to that loop: every call but {@link #close()} after the loop ended must come from its thread
 * ({@link WrongThreadException} otherwise), and closing the loop closes the channel.
 * Unregistered, the channel takes one sending and one receiving thread at a time (each
 * direction has its own memory); {@link #close()} must not race a call in progress, as no close
 * of a descriptor may.
 */
public final class FdPassingChannel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FdPassingChannel.class);
    private static final Platform OS = Platform.current();
    private static final LoopAccess LOOPS = LoopAccess.get();
    private static final int[] NO_FDS = new int[0];

    private final FdPassing fdPassing = OS.fdPassing();
    private final int fd;
    private final int maxFds;
    private final Arena arena; // shared: made on one thread, used on a loop's
    private final FdPassing.Buffers sends;
    private final FdPassing.Buffers receives;
    private final LoopResource resource = LoopResource.of(this::closeBecauseLoopStopped);
    private EventLoop loop;
    private volatile boolean closed;

    /** Takes {@code arena} (closed here if the buffers cannot be made), not {@code fd}: that stays the caller's until this returns. */
    private FdPassingChannel(int fd, int maxFds, Arena arena) {
        this.fd = fd;
        this.maxFds = maxFds;
        this.arena = arena;
        try {
            this.sends = fdPassing.allocate(arena, maxFds);
            this.receives = fdPassing.allocate(arena, maxFds);
        } catch (Throwable t) { // native memory past -XX:MaxDirectMemorySize is an OutOfMemoryError
            arena.close();
            throw t;
        }
    }

    private static void checkMaxFds(int maxFds) {
        if (maxFds < 0 || maxFds > FdPassing.MAX_FDS) {
            throw new IllegalArgumentException("maxFds " + maxFds + ": from 0 to " + FdPassing.MAX_FDS);
        }
    }

    /**
     * A connected pair of stream sockets ({@code socketpair(AF_UNIX, SOCK_STREAM)}), each end
     * sending and receiving up to {@code maxFds} descriptors per message.
     *
     * @param maxFds the most descriptors in one message, 0 to 253
     * @return the two ends
     * @throws IOException if socketpair fails (EMFILE, ...)
     * @throws OutOfMemoryError if the channels' native memory cannot be had; the sockets and
     *         whatever memory was had are released first, as on every failure here
     */
    public static FdPassingChannel[] pair(int maxFds) throws IOException {
        return pair(false, maxFds);
    }

    /**
     * A connected pair of seqpacket sockets ({@code SOCK_SEQPACKET}: each send is received
     * whole and alone). Linux and FreeBSD; macOS has no seqpacket Unix sockets and refuses it
     * with the kernel's error.
     *
     * @param maxFds the most descriptors in one message, 0 to 253
     * @return the two ends
     * @throws IOException if socketpair fails
     */
    public static FdPassingChannel[] seqpacketPair(int maxFds) throws IOException {
        return pair(true, maxFds);
    }

    private static FdPassingChannel[] pair(boolean seqpacket, int maxFds) throws IOException {
        return pair(seqpacket, maxFds, Arena::ofShared);
    }

    /** {@link #pair(int)}, each channel's memory from an arena of {@code arenas}: the tests' seam for failures. */
    static FdPassingChannel[] pair(boolean seqpacket, int maxFds, Supplier<Arena> arenas) throws IOException {
        checkMaxFds(maxFds);
        int a;
        int b;
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment fds = scratch.allocate(ValueLayout.JAVA_INT, 2);
            Errors.check(OS.fdPassing().socketpair(seqpacket, fds), seqpacket ? "socketpair(SOCK_SEQPACKET)" : "socketpair");
            a = fds.get(ValueLayout.JAVA_INT, 0);
            b = fds.get(ValueLayout.JAVA_INT, 4);
        }
        FdPassingChannel first = null;
        try {
            first = new FdPassingChannel(a, maxFds, arenas.get());
            return new FdPassingChannel[] {first, new FdPassingChannel(b, maxFds, arenas.get())};
        } catch (Throwable t) {
            // Nobody else holds either socket yet: close both, and the first channel's memory.
            if (first != null) {
                first.close();
            } else {
                OS.close(a);
            }
            OS.close(b);
            throw t;
        }
    }

    /**
     * Takes over {@code fd}, a connected Unix socket (stream or seqpacket), which the channel
     * then owns and closes. Its blocking mode is left as it is: every call passes MSG_DONTWAIT.
     *
     * @param fd the socket
     * @param maxFds the most descriptors in one message, 0 to 253
     * @return the channel
     * @throws IOException if the socket cannot be prepared (macOS: SO_NOSIGPIPE), or {@code fd}
     *         is no socket (ENOTSOCK) or not open (EBADF); fd is then still the caller's
     * @throws IllegalArgumentException for a negative fd, or a socket that is not a Unix-domain
     *         one (a TCP socket would carry the bytes and silently drop the descriptors)
     * @throws OutOfMemoryError if the channel's native memory cannot be had; fd is then still the
     *         caller's, and the memory had so far is released
     */
    public static FdPassingChannel open(int fd, int maxFds) throws IOException {
        checkMaxFds(maxFds);
        if (fd < 0) {
            throw new IllegalArgumentException("invalid fd " + fd);
        }
        java.net.SocketAddress local = SocketAddresses.localAddress(fd); // ENOTSOCK, EBADF
        if (!(local instanceof UnixAddress)) {
            throw new IllegalArgumentException("fd " + fd + " is not a Unix-domain socket (it is bound to " + local
                    + "): descriptors pass over Unix sockets only");
        }
        Errors.check(OS.fdPassing().prepare(fd), "setsockopt(SO_NOSIGPIPE) on fd " + fd);
        return new FdPassingChannel(fd, maxFds, Arena.ofShared());
    }

    /** {@return the socket's descriptor, for registering elsewhere or reading its options} */
    public int fd() {
        return fd;
    }

    /** {@return the most descriptors one message may carry, either way} */
    public int maxFds() {
        return maxFds;
    }

    /** {@return whether the channel is open} */
    public boolean isOpen() {
        return !closed;
    }

    private void check(String method) throws ClosedChannelException {
        if (loop != null && !loop.inEventLoop()) {
            throw new WrongThreadException("FdPassingChannel." + method + " on thread '"
                    + Thread.currentThread().getName() + "': the channel belongs to loop '" + loop.name() + "'");
        }
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    /**
     * Sends {@code bytes} without descriptors.
     *
     * @param bytes native memory
     * @return the bytes sent; 0 if the socket's buffer is full (wait until writable)
     * @throws IOException if sendmsg fails (EPIPE: the peer closed), or the channel is closed
     */
    public long send(MemorySegment bytes) throws IOException {
        return send(bytes, NO_FDS);
    }

    /**
     * Sends {@code bytes} with {@code fds} in one message. The descriptors stay the caller's:
     * the receiver gets duplicates (new numbers for the same open files). On a stream socket the
     * kernel may take part of the bytes: the descriptors then went with that part, and the rest
     * is sent without them.
     *
     * @param bytes native memory, at least one byte when descriptors go with it
     * @param fds the descriptors, at most {@link #maxFds()}
     * @return the bytes sent, descriptors included; 0 if the socket's buffer is full: nothing
     *         went, wait until writable and send the same again
     * @throws IOException if sendmsg fails: EBADF for a descriptor that is not open, EPIPE when
     *         the peer closed, ...; or the channel is closed
     * @throws IllegalArgumentException for more than {@link #maxFds()} descriptors, descriptors
     *         with no byte, or heap memory
     */
    public long send(MemorySegment bytes, int... fds) throws IOException {
        check("send");
        if (fds.length > maxFds) {
            throw new IllegalArgumentException(fds.length + " descriptors, this channel passes at most " + maxFds);
        }
        long r = fdPassing.send(fd, sends, bytes, fds, fds.length);
        if (r == -Err.EAGAIN) {
            return 0;
        }
        if (r < 0) {
            throw Errors.exception("sendmsg(fd " + fd + ", " + bytes.byteSize() + " bytes, " + fds.length
                    + " descriptor(s))", (int) -r);
        }
        return r;
    }

    /**
     * Receives into {@code into} what the socket holds, up to its size, and the descriptors
     * that came with those bytes into {@code fds} (which must hold none: take or close the last
     * ones first).
     *
     * @param into native memory
     * @param fds where the descriptors go, with the truncation flags
     * @return the bytes received (with {@code fds.count()} descriptors); 0 if there was nothing
     *         (EAGAIN: wait until readable), or an empty message that carried descriptors
     *         ({@code fds.count() > 0}; only a peer that is not a FdPassingChannel sends one);
     *         -1 at end of stream
     * @throws IOException if recvmsg fails (ECONNRESET, ...), or the channel is closed
     * @throws IllegalStateException if {@code fds} still holds descriptors
     * @throws IllegalArgumentException if {@code into} is empty (its 0 would read as end of
     *         stream) or heap memory
     */
    public long receive(MemorySegment into, ReceivedFds fds) throws IOException {
        check("receive");
        if (into.byteSize() == 0) {
            throw new IllegalArgumentException("receive into an empty buffer: its 0 bytes would read as end of stream");
        }
        int[] array = fds.array(receives.fdRoom());
        long r = fdPassing.receive(fd, receives, into, array);
        if (r == -Err.EAGAIN) {
            fds.filled(0, false, false);
            return 0;
        }
        if (r < 0) {
            fds.filled(0, false, false);
            throw Errors.exception("recvmsg(fd " + fd + ")", (int) -r);
        }
        int count = receives.receivedFds();
        fds.filled(count, fdPassing.isControlTruncated(receives), fdPassing.isDataTruncated(receives));
        return r == 0 && count == 0 ? -1 : r;
    }

    /**
     * Registers the socket on {@code loop} (see {@link EventLoop#register}); from now on the
     * channel is the loop's: its calls come from the loop thread, and the loop closes it when it
     * stops. Call on the loop thread.
     *
     * @param loop the loop
     * @param interest the readiness to deliver
     * @param handler gets the socket's events
     * @throws WrongThreadException if called off the loop's thread
     * @throws IllegalStateException if registered already
     * @throws ClosedChannelException if the channel is closed
     */
    public void register(EventLoop loop, Interest interest, IoHandler handler) throws ClosedChannelException {
        if (this.loop != null) {
            throw new IllegalStateException("already registered on loop '" + this.loop.name() + "'");
        }
        if (closed) {
            throw new ClosedChannelException();
        }
        loop.register(fd, interest, handler); // checks the thread
        LOOPS.adopt(loop, resource);
        this.loop = loop;
    }

    /**
     * Closes the socket (never retried on EINTR) and frees the channel's memory. Descriptors
     * in flight to this end are released by the kernel. A registered channel closes on its
     * loop's thread; once that loop has stopped, it is closed already and this does nothing.
     * Idempotent.
     *
     * @throws WrongThreadException if registered on a running loop and called off its thread
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (loop != null && !loop.inEventLoop()) {
            throw new WrongThreadException("FdPassingChannel.close on thread '" + Thread.currentThread().getName()
                    + "': close it on loop '" + loop.name() + "' (loop.execute(channel::close))");
        }
        closed = true;
        try {
            if (loop != null) {
                LOOPS.release(loop, resource);
                loop.deregisterAndClose(fd);
            } else {
                OS.close(fd);
            }
        } catch (IOException e) {
            LOG.debug("closing fd {}: {}", fd, e.getMessage()); // released all the same
        } finally {
            arena.close();
        }
    }

    private void closeBecauseLoopStopped() {
        close();
    }

    @Override
    public String toString() {
        return "FdPassingChannel[fd=" + fd + (closed ? ", closed" : "") + "]";
    }
}
