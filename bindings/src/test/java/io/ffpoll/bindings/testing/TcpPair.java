package io.ffpoll.bindings.testing;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.platform.Platform;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A listening socket on loopback and a connected pair of blocking sockets from it, made with
 * {@link Platform#current()}; more clients can be connected and left pending. Closes them all.
 */
public final class TcpPair implements AutoCloseable {
    private static final Platform OS = Platform.current();
    private final List<Integer> fds = new ArrayList<>();
    private final MemorySegment address;
    private final int addressLength;
    /** The listener (non-blocking). */
    public final int listener;
    /** The client end (blocking). */
    public final int client;
    /** The accepted end (blocking). */
    public final int server;

    public TcpPair(Arena arena) {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        listener = track(OS.socket(OS.family(any)));
        address = OS.allocateSockaddr(arena);
        ok(OS.bind(listener, address, OS.encode(any, address)), "bind");
        ok(OS.listen(listener, 16), "listen");
        MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
        len.set(ValueLayout.JAVA_INT, 0, (int) OS.sockaddrSize());
        ok(OS.getsockname(listener, address, len), "getsockname");
        addressLength = len.get(ValueLayout.JAVA_INT, 0);
        client = connectClient();
        int fd;
        while ((fd = OS.accept(listener, MemorySegment.NULL, MemorySegment.NULL)) == -Err.EAGAIN) {
            Thread.onSpinWait();
        }
        server = track(fd);
        ok(OS.setBlocking(server, true), "fcntl");
    }

    /** The listener's address (a sockaddr_storage) and its length. */
    public MemorySegment address() {
        return address;
    }

    public int addressLength() {
        return addressLength;
    }

    /** Connects one more blocking client to the listener, left for the test to accept. */
    public int connectClient() {
        int fd = track(OS.socket(OS.family(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))));
        ok(OS.setBlocking(fd, true), "fcntl");
        ok(OS.connect(fd, address, addressLength), "connect");
        return fd;
    }

    /** A new, unbound socket, closed with the pair. */
    public int socket() {
        return track(OS.socket(OS.family(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))));
    }

    /** Takes care of closing {@code fd} (an fd, or -errno, which fails). */
    public int track(int fd) {
        ok(fd, "an fd");
        fds.add(fd);
        return fd;
    }

    private static void ok(int r, String what) {
        if (r < 0) {
            throw new AssertionError(what + ": " + OS.describe(-r));
        }
    }

    @Override
    public void close() {
        fds.forEach(OS::close);
    }
}
