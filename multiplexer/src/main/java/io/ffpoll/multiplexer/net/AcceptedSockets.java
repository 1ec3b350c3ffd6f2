package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.backend.Backend;
import io.ffpoll.multiplexer.internal.LoopAccess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;

/**
 * What a {@link Listener}'s accepted socket gets before its handler runs: its peer's address (from
 * accept4, or asked of the kernel where the ring accepted it) and the accept options (inherited
 * from the listening socket where the kernel passes them on, else set on each socket). Owns the
 * native memory the address is written into. Loop thread only, but {@link #close}, which a
 * listener refused before its loop adopted it also calls from the thread that learns of it.
 */
final class AcceptedSockets {
    private static final Platform OS = Platform.current();
    private static final LoopAccess LOOPS = LoopAccess.get();
    private static final Logger LOG = LoggerFactory.getLogger(Listener.class);
    private static final byte PER_SOCKET = 0; // set on each accepted socket (a shared listening socket's)
    private static final byte TO_CHECK = 1;   // set on the listening socket; the first accepted socket tells
    private static final byte INHERITED = 2;  // set on the listening socket, and accepted sockets have them

    private final int listenFd;
    private final AcceptOptions options;
    private final Arena arena;
    private final MemorySegment peer;
    private final MemorySegment peerLength;
    private final PeerAddresses peers = new PeerAddresses();
    private byte optionMode = PER_SOCKET;
    private boolean fromRing;  // the kernel accepts (io_uring): addresses are asked for
    private int peerSize;      // with fromRing: the listening family's sockaddr size; 0 on a Unix socket
    private boolean known;     // the last prepared socket's address is in peer

    AcceptedSockets(int listenFd, AcceptOptions options) {
        this.listenFd = listenFd;
        this.options = options;
        arena = Arena.ofShared();
        try {
            peer = OS.allocateSockaddr(arena);
            peerLength = arena.allocate(ValueLayout.JAVA_INT);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Sets the accept options on the listening socket, which passes them on to the sockets
     * accepted from it: an accept then makes no setsockopt. Not on a socket other loops or
     * processes accept on too, whose options are theirs as well.
     */
    void inheritOptions() {
        if (options.setsAny()) {
            int r = options.apply(OS, listenFd);
            if (r == 0) {
                optionMode = TO_CHECK;
            } else {
                LOG.debug("listener fd {}: the listening socket refused the accept options ({}); setting them on each accepted socket",
                        listenFd, OS.describe(-r));
            }
        }
    }

    /** The ring accepts from now on: each socket's address is asked of the kernel. */
    void acceptedByRing() throws IOException {
        peerSize = ownAddressSize();
        fromRing = true;
    }

    /** The size of the listening socket's own address: its peers' is the same; 0 for a Unix-domain socket. */
    private int ownAddressSize() throws IOException {
        peerLength.set(ValueLayout.JAVA_INT, 0, (int) OS.sockaddrSize());
        Errors.check(OS.getsockname(listenFd, peer, peerLength), "getsockname(listener fd " + listenFd + ")");
        return peers.decode(peer) == null ? 0 : peerLength.get(ValueLayout.JAVA_INT, 0);
    }

    /** accept4(2) of the next connection, its peer written for {@link #prepare}: the fd or -errno. */
    int accept() {
        peerLength.set(ValueLayout.JAVA_INT, 0, (int) OS.sockaddrSize());
        return OS.accept(listenFd, peer, peerLength);
    }

    /**
     * Reads {@code accepted}'s peer where the ring took it, and gives it the options; false when
     * they cannot be set, with the socket closed.
     */
    boolean prepare(int accepted) {
        known = true;
        if (fromRing) {
            // A Unix-domain client's address is none of the handler's business (null, as accept4's).
            known = peerSize > 0;
            if (known) {
                peerLength.set(ValueLayout.JAVA_INT, 0, (int) OS.sockaddrSize());
                if (OS.unix().getpeername(accepted, peer, peerLength) != 0) {
                    // ENOTCONN: the peer reset the connection before it was taken. accept4 would
                    // still hand it over with its address, and SO_PEERNAME reads it as accept4 does.
                    peerLength.set(ValueLayout.JAVA_INT, 0, peerSize);
                    known = OS.unix().peerNameAfterReset(accepted, peer, peerLength) == 0;
                }
            }
        }
        if (optionMode == TO_CHECK) {
            optionMode = options.inherited(OS, listenFd, accepted) ? INHERITED : PER_SOCKET;
            if (optionMode == PER_SOCKET) {
                LOG.debug("listener fd {}: fd {} was accepted without the accept options; setting them on each accepted socket",
                        listenFd, accepted);
            }
        }
        int r = optionMode == INHERITED ? 0 : options.apply(OS, accepted);
        if (r < 0) {
            LOG.debug("listener fd {}: setting the accept options on fd {} failed: {}", listenFd, accepted, OS.describe(-r));
            OS.close(accepted);
            return false;
        }
        return true;
    }

    /** {@return the peer of the socket {@link #prepare} took last; null on a Unix-domain socket or where it is gone} */
    InetSocketAddress peer() {
        return known ? peers.decode(peer) : null;
    }

    void close() {
        arena.close();
    }

    /**
     * Runs an accept handler that was given {@code fd}, on {@code loop}'s thread. If it throws,
     * the fd is closed, unless the handler registered it on the loop first: then it belongs to
     * whoever registered it (a connection that will close it, or has closed it already, perhaps
     * in a close still queued for the next poll), and closing it here would close the number
     * under its next owner.
     */
    static void handOver(EventLoop loop, int fd, Runnable acceptHandler) {
        Backend backend = LOOPS.backend(loop);
        int closes = backend.closes(fd);
        try {
            acceptHandler.run();
        } catch (Throwable t) {
            if (LOOPS.isRegistered(loop, fd) || backend.closes(fd) != closes) {
                LOG.warn("the accept handler on loop '{}' threw; fd {} stays with what it registered", loop.name(), fd, t);
            } else {
                LOG.warn("the accept handler on loop '{}' threw; closing the connection it was given (fd {})",
                        loop.name(), fd, t);
                OS.close(fd);
            }
        }
    }
}
