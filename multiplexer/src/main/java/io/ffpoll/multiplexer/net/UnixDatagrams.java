package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.SocketOption;
import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.Objects;

/**
 * The AF_UNIX side of {@link DatagramEndpoint}: which addresses and options a Unix datagram
 * socket takes (the options of UDP alone are refused, naming them), making and binding one (a
 * path under {@link UnixListening}'s socket-file rules, an abstract name, or Linux's autobind),
 * the checks of a send's target (an address or a sender), and the refusal of a reply to an unnamed sender. Making runs on
 * the caller's thread (none of it blocks); a failure is an {@link IOException} naming the call,
 * and then nothing stays open.
 */
final class UnixDatagrams {
    private static final Platform OS = Platform.current();

    private UnixDatagrams() {}

    /**
     * The address to bind, checked with the options before any socket is made: an IP address
     * (resolved, with no Unix peer), or a {@link UnixAddress} (a JDK address converted) whose
     * options are all a Unix socket has.
     *
     * @throws IllegalArgumentException for an unresolved or unknown address, a name too long, or
     *     an option the family has not
     * @throws UnsupportedOperationException for an abstract name or autobind where the OS has none
     */
    static SocketAddress normalize(SocketAddress local, DatagramOptions options, DatagramCalls calls) {
        Objects.requireNonNull(local, "local");
        SocketAddress peer = options.connectTo();
        if (!(local instanceof UnixAddress || local instanceof UnixDomainSocketAddress)) {
            SocketAddress at = SocketAddresses.normalize(local);
            if (peer instanceof UnixAddress) {
                throw new IllegalArgumentException("DatagramOptions.connectTo(" + peer + "): the UDP endpoint on " + at
                        + " cannot connect to a Unix address");
            }
            return at;
        }
        refuse(options.reusePort(), "reusePort (SO_REUSEPORT; a path or name is bound once, and DatagramGroup is UDP's)");
        refuse(options.v6Only() != null, "v6Only (IPV6_V6ONLY)");
        refuse(options.broadcast(), "broadcast (SO_BROADCAST)");
        refuse(options.gso(), "gso (UDP GSO)");
        refuse(options.gro(), "gro (UDP GRO)");
        if (peer instanceof InetSocketAddress) {
            throw new IllegalArgumentException("DatagramOptions.connectTo(" + peer + "): a Unix datagram socket "
                    + "connects to a Unix address, not to an IP one");
        }
        UnixAddress unix = local instanceof UnixDomainSocketAddress jdk ? UnixAddress.of(jdk) : (UnixAddress) local;
        if (!unix.isUnnamed()) {
            return SocketAddresses.normalize(unix);
        }
        if (!calls.abstractUnixNames()) {
            throw new UnsupportedOperationException("autobind (binding UnixAddress.unnamed(): a name the kernel "
                    + "picks) is Linux only; " + calls.os() + " has none: bind the endpoint to a path");
        }
        return unix;
    }

    private static void refuse(boolean asked, String option) {
        if (asked) {
            throw new IllegalArgumentException("DatagramOptions." + option + " makes no sense on a Unix datagram socket");
        }
    }

    /**
     * A Unix datagram socket bound to {@code local} (autobound for {@link UnixAddress#unnamed()}),
     * with the socket buffers asked for, connected to the options' peer if any: an endpoint not
     * yet on its loop, which owns the socket file of a path.
     */
    static DatagramEndpoint open(EventLoop loop, UnixAddress local, DatagramOptions options, DatagramHandler handler,
                                 DatagramCalls calls) throws IOException {
        UnixListening.SocketFile file = null;
        int fd;
        if (local.isUnnamed()) {
            fd = socket(calls);
            try {
                Errors.check(calls.autobind(fd), "bind(fd " + fd + ", autobind)");
            } catch (Throwable e) { // an Error too: the descriptor and the file are ours to clean up
                OS.close(fd);
                throw e;
            }
        } else {
            UnixListening.Bound bound = UnixListening.bindDatagram(local, () -> socket(calls));
            fd = bound.fd();
            file = bound.file();
        }
        try (Arena arena = Arena.ofConfined()) {
            if (options.receiveBufferSize() > 0) {
                Errors.check(OS.options().setOption(fd, SocketOption.RECEIVE_BUFFER, options.receiveBufferSize()),
                        "setsockopt(fd " + fd + ", SO_RCVBUF)");
            }
            if (options.sendBufferSize() > 0) {
                Errors.check(OS.options().setOption(fd, SocketOption.SEND_BUFFER, options.sendBufferSize()),
                        "setsockopt(fd " + fd + ", SO_SNDBUF)");
            }
            if (options.connectTo() instanceof UnixAddress peer) {
                MemorySegment sa = OS.allocateSockaddr(arena);
                Errors.check(OS.connect(fd, sa, SocketAddresses.encode(peer, sa)), "connect(" + peer + ")");
            }
            // What the kernel has: the path as bound, the abstract name, or the one autobind picked.
            UnixAddress bound = (UnixAddress) SocketAddresses.localAddress(fd);
            DatagramEndpoint e = new DatagramEndpoint(loop, fd, calls, options, handler, bound, false, 0);
            e.socketFile = file;
            return e;
        } catch (Throwable e) { // an Error too: the descriptor and the file are ours to clean up
            OS.close(fd);
            if (file != null) {
                file.removeIfOurs();
            }
            throw e;
        }
    }

    private static int socket(DatagramCalls calls) throws IOException {
        return Errors.check(calls.socket(OS.unix().unixFamily()), "socket(AF_UNIX, SOCK_DGRAM)");
    }

    /**
     * A send's target, checked without allocating (a JDK Unix address is converted, which
     * allocates): resolved or named, and of the family of the endpoint bound to {@code local}.
     *
     * @throws IllegalArgumentException for an unresolved, unnamed or unknown target, or one of the other family
     * @throws UnsupportedOperationException for an abstract name off Linux
     */
    static SocketAddress target(SocketAddress target, SocketAddress local) {
        SocketAddress t = SocketAddresses.normalize(target);
        boolean unixEndpoint = local instanceof UnixAddress;
        if ((t instanceof UnixAddress) != unixEndpoint) {
            throw new IllegalArgumentException((unixEndpoint ? "a Unix datagram endpoint sends to Unix addresses"
                    : "a UDP endpoint sends to IP addresses") + ", not to " + t);
        }
        return t;
    }

    /**
     * Checks, without allocating, that {@code sender} is of the family of the endpoint bound
     * to {@code local}, and that an IP sender has an address: the kernel would answer EINVAL
     * after the datagram was queued, and an empty IP address is no unnamed Unix sender.
     *
     * @throws IllegalArgumentException if not
     */
    static void checkSender(DatagramAddress sender, SocketAddress local) {
        boolean unixEndpoint = local instanceof UnixAddress;
        if (sender.isUnix() != unixEndpoint) {
            throw new IllegalArgumentException((unixEndpoint ? "a Unix datagram endpoint replies to Unix senders, "
                    + "not to the IP sender " : "a UDP endpoint replies to IP senders, not to the Unix sender ") + sender);
        }
        if (!unixEndpoint && sender.length() == 0) {
            throw new IllegalArgumentException("a UDP endpoint cannot reply to a sender with no address"
                    + " (a DatagramAddress that was never given a datagram's sender)");
        }
    }

    /**
     * A reply to a sender that has no address (a Unix socket that never bound a name): the
     * kernel could not deliver it (and on a connected endpoint, an empty name would go to the
     * connected peer instead), so it is dropped, counted and reported. Returns false.
     */
    static boolean refuseUnnamed(DatagramEndpoint endpoint, DatagramSendQueue queue) {
        queue.sendErrors++;
        endpoint.report(new IOException("send(to an unnamed sender) on the datagram endpoint on " + endpoint.local()
                + ": a Unix socket that never bound a name cannot be sent to; the datagram is dropped"));
        return false;
    }
}
