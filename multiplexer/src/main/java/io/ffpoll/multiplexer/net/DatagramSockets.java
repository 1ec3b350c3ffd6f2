package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.SocketOption;
import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * Making a {@link DatagramEndpoint}'s socket: socket, the options that must precede bind
 * (SO_REUSEPORT, IPV6_V6ONLY, buffers, SO_BROADCAST, UDP_GRO), bind, connect. None of these
 * blocks, so they run on the caller's thread; each throws an {@link IOException} naming the
 * call, and then nothing stays open.
 */
final class DatagramSockets {
    private static final Platform OS = Platform.current();

    private DatagramSockets() {}

    static DatagramEndpoint open(EventLoop loop, InetSocketAddress local, DatagramOptions options,
                                 DatagramHandler handler, DatagramCalls calls) throws IOException {
        int fd = Errors.check(calls.socket(OS.family(local)), "socket(SOCK_DGRAM)");
        try (Arena arena = Arena.ofConfined()) {
            if (options.reusePort()) {
                set(OS.setOption(fd, SocketOption.REUSE_PORT_BALANCED, 1), fd, "SO_REUSEPORT");
            }
            if (options.v6Only() != null && local.getAddress() instanceof Inet6Address) {
                set(calls.setV6Only(fd, options.v6Only()), fd, "IPV6_V6ONLY");
            }
            if (options.receiveBufferSize() > 0) {
                set(OS.setOption(fd, SocketOption.RECEIVE_BUFFER, options.receiveBufferSize()), fd, "SO_RCVBUF");
            }
            if (options.sendBufferSize() > 0) {
                set(OS.setOption(fd, SocketOption.SEND_BUFFER, options.sendBufferSize()), fd, "SO_SNDBUF");
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
            InetSocketAddress peer = options.connectTo();
            if (peer != null) {
                Errors.check(OS.connect(fd, sa, OS.encode(peer, sa)), "connect(" + peer + ")");
            }
            InetSocketAddress bound = Tcp.localAddress(fd);
            return DatagramEndpoint.made(loop, fd, calls, options, handler, bound, gro, fallbacks);
        } catch (IOException | RuntimeException e) {
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
