package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.SocketOption;
import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.internal.LoopFuture;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Making a {@link DatagramEndpoint}'s UDP socket (a Unix one: {@link UnixDatagrams}): socket,
 * the options that must precede bind (SO_REUSEPORT, IPV6_V6ONLY, buffers, SO_BROADCAST,
 * UDP_GRO), bind, connect. None of these blocks, so they run on the caller's thread; each throws
 * an {@link IOException} naming the call, and then nothing stays open.
 */
final class DatagramSockets {
    private static final Platform OS = Platform.current();

    private DatagramSockets() {}

    /**
     * {@link DatagramEndpoint#bind} with the given calls (tests: the one-datagram-per-call path
     * on Linux): the address checked with the options, a UDP or a Unix socket made, then served.
     */
    static CompletableFuture<DatagramEndpoint> bind(EventLoop loop, SocketAddress local, DatagramOptions options,
                                                    DatagramHandler handler, DatagramCalls calls) {
        Objects.requireNonNull(handler, "handler");
        SocketAddress at = UnixDatagrams.normalize(local, Objects.requireNonNull(options, "options"), calls);
        try {
            return (at instanceof UnixAddress unix ? UnixDatagrams.open(loop, unix, options, handler, calls)
                    : open(loop, (InetSocketAddress) at, options, handler, calls)).start();
        } catch (IOException | RuntimeException failure) {
            return LoopFuture.failed(loop, failure);
        }
    }

    /** Checks a segmented send's size: 1 to {@link DatagramEndpoint#MAX_SEGMENTS} datagrams of a positive size. */
    static void checkSegments(MemorySegment payload, int segmentSize) {
        if (segmentSize < 1 || payload.byteSize() < 1
                || (payload.byteSize() + segmentSize - 1) / segmentSize > DatagramEndpoint.MAX_SEGMENTS) {
            throw new IllegalArgumentException("a segmented send is 1 to " + DatagramEndpoint.MAX_SEGMENTS
                    + " datagrams of a positive size: " + payload.byteSize() + " bytes in segments of " + segmentSize);
        }
    }

    static DatagramEndpoint open(EventLoop loop, InetSocketAddress local, DatagramOptions options,
                                 DatagramHandler handler, DatagramCalls calls) throws IOException {
        int fd = Errors.check(calls.socket(OS.family(local)), "socket(SOCK_DGRAM)");
        try (Arena arena = Arena.ofConfined()) {
            if (options.reusePort()) {
                set(OS.options().setOption(fd, SocketOption.REUSE_PORT_BALANCED, 1), fd, "SO_REUSEPORT");
            }
            if (options.v6Only() != null && local.getAddress() instanceof Inet6Address) {
                set(calls.setV6Only(fd, options.v6Only()), fd, "IPV6_V6ONLY");
            }
            if (options.receiveBufferSize() > 0) {
                set(OS.options().setOption(fd, SocketOption.RECEIVE_BUFFER, options.receiveBufferSize()), fd, "SO_RCVBUF");
            }
            if (options.sendBufferSize() > 0) {
                set(OS.options().setOption(fd, SocketOption.SEND_BUFFER, options.sendBufferSize()), fd, "SO_SNDBUF");
            }
            if (options.broadcast()) {
                set(calls.setBroadcast(fd, true), fd, "SO_BROADCAST");
            }
            boolean gro = false;
            long fallbacks = 0;
            if (options.gro()) {
                // Opt-in, and a kernel before 5.0 (or a BSD) refuses it: datagrams then come one
                // by one, which the handler cannot tell apart. Counted, not an error.
                gro = calls.segmentation() && calls.setGro(fd, true) == 0;
                fallbacks += gro ? 0 : 1;
            }
            MemorySegment sa = OS.allocateSockaddr(arena);
            Errors.check(OS.bind(fd, sa, OS.encode(local, sa)), "bind(" + local + ")");
            if (options.connectTo() instanceof InetSocketAddress peer) {
                Errors.check(OS.connect(fd, sa, OS.encode(peer, sa)), "connect(" + peer + ")");
            } else if (options.connectTo() != null) {
                throw new IllegalArgumentException("DatagramOptions.connectTo(" + options.connectTo() + "): a UDP socket "
                        + "cannot connect to a Unix address");
            }
            InetSocketAddress bound = Tcp.localAddress(fd);
            return new DatagramEndpoint(loop, fd, calls, options, handler, bound, gro, fallbacks);
        } catch (Throwable e) { // an Error too: the descriptor is ours to close
            OS.close(fd);
            throw e;
        }
    }

    private static void set(int result, int fd, String option) throws IOException {
        Errors.check(result, "setsockopt(fd " + fd + ", " + option + ")");
    }

    /**
     * Fails with EADDRINUSE if a datagram socket is bound to {@code address} already: with
     * SO_REUSEPORT a second server of the same user would join the port without a word and take
     * a share of its datagrams. A socket without it, bound and closed at once, finds out.
     */
    static void requireUnused(InetSocketAddress address, DatagramCalls calls) throws IOException {
        int fd = Errors.check(calls.socket(OS.family(address)), "socket(SOCK_DGRAM)");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = OS.allocateSockaddr(arena);
            Errors.check(OS.bind(fd, sa, OS.encode(address, sa)), "bind(" + address + ")");
        } finally {
            OS.close(fd);
        }
    }
}
