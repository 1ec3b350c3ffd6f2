package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.Platform;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;

/**
 * The address types a socket call takes ({@link InetSocketAddress}, {@link UnixAddress} and the
 * JDK's {@link UnixDomainSocketAddress}) turned into sockets and sockaddrs, and back. Not on a
 * hot path: the accept loop decodes its IP peers itself.
 */
final class SocketAddresses {
    private static final Platform OS = Platform.current();

    private SocketAddresses() {}

    /**
     * {@code address} as this layer handles it: an IP address (resolved), or a {@link UnixAddress}.
     *
     * @throws IllegalArgumentException for an unresolved IP address or another type
     */
    static SocketAddress normalize(SocketAddress address) {
        return switch (java.util.Objects.requireNonNull(address, "address")) {
            case InetSocketAddress inet -> {
                if (inet.isUnresolved()) {
                    throw new IllegalArgumentException("unresolved address " + inet + ": resolve it first");
                }
                yield inet;
            }
            case UnixAddress unix -> {
                yield checked(unix);
            }
            case UnixDomainSocketAddress jdk -> checked(UnixAddress.of(jdk));
            default -> throw new IllegalArgumentException("ffpoll takes an InetSocketAddress, a UnixAddress or a "
                    + "UnixDomainSocketAddress, not a " + address.getClass().getName());
        };
    }

    /**
     * Refuses, on the caller's thread, what the OS would: an unnamed address, an abstract name
     * off Linux, a name too long for sun_path.
     */
    private static UnixAddress checked(UnixAddress unix) {
        if (unix.isUnnamed()) {
            throw new IllegalArgumentException("an unnamed Unix socket cannot be bound or connected to");
        }
        if (unix.isAbstract() && !OS.unix().hasAbstractUnixNames()) {
            throw new UnsupportedOperationException("abstract Unix socket names are Linux only; " + OS.name()
                    + " has none: use a path (" + unix + ")");
        }
        io.ffpoll.bindings.platform.UnixNames.check(unix.bytes(), unix.isAbstract(), OS.unix().maxUnixNameBytes(), OS.name());
        return unix;
    }

    /** A non-blocking, close-on-exec stream socket of the family of a {@link #normalize}d address. */
    static int socket(SocketAddress address) throws IOException {
        if (address instanceof UnixAddress) {
            return Errors.check(OS.unix().unixStreamSocket(), "socket(AF_UNIX)");
        }
        return Errors.check(OS.socket(OS.family((InetSocketAddress) address)), "socket");
    }

    /** Writes a {@link #normalize}d address into {@code dst} and returns its length. */
    static int encode(SocketAddress address, MemorySegment dst) {
        if (address instanceof UnixAddress unix) {
            return OS.unix().encodeUnix(unix.bytes(), unix.isAbstract(), dst);
        }
        return OS.encode((InetSocketAddress) address, dst);
    }

    /** The address in a sockaddr of {@code length} bytes: IP, Unix, or null for another family. */
    static SocketAddress decode(MemorySegment sa, int length) {
        if (OS.unix().sockaddrFamily(sa) == OS.unix().unixFamily()) {
            return UnixAddress.fromKernel(OS.unix().decodeUnix(sa, length));
        }
        return OS.decode(sa);
    }

    /** getsockname: an IP or Unix address. */
    static SocketAddress localAddress(int fd) throws IOException {
        return name(fd, false);
    }

    /** getpeername: an IP or Unix address. */
    static SocketAddress peerAddress(int fd) throws IOException {
        return name(fd, true);
    }

    private static SocketAddress name(int fd, boolean peer) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = OS.allocateSockaddr(arena);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, (int) OS.sockaddrSize());
            int r = peer ? OS.unix().getpeername(fd, sa, len) : OS.getsockname(fd, sa, len);
            Errors.check(r, (peer ? "getpeername" : "getsockname") + "(fd " + fd + ")");
            return decode(sa, Math.min(len.get(ValueLayout.JAVA_INT, 0), (int) OS.sockaddrSize()));
        }
    }

    /**
     * The peer credentials of the Unix socket {@code fd}.
     *
     * @throws IllegalStateException if {@code fd} is a socket of another family
     * @throws IOException if it is no socket, or the kernel refuses
     */
    static PeerCredentials peerCredentials(int fd) throws IOException {
        SocketAddress local = localAddress(fd);
        if (!(local instanceof UnixAddress)) {
            throw new IllegalStateException("peer credentials exist for Unix-domain sockets only; fd " + fd
                    + " is bound to " + local + " (" + (local instanceof InetSocketAddress ? "TCP" : "another family")
                    + ")");
        }
        long[] out = new long[3];
        Errors.check(OS.unix().peerCredentials(fd, out), "getsockopt(fd " + fd + ", peer credentials)");
        return new PeerCredentials(out[0], out[1],
                out[2] > 0 ? java.util.OptionalLong.of(out[2]) : java.util.OptionalLong.empty());
    }
}
