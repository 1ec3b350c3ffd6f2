package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.EventLoop;

import java.io.IOException;
import java.net.SocketAddress;

/**
 * {@link Connection#open(EventLoop, int, ConnectionHandler)}: what kind of stream a descriptor
 * is, asked once when it is opened (never on the accept path, where it is known to be a
 * socket), and the connection set up for it.
 */
final class StreamFds {
    private static final Platform OS = Platform.current();
    /** fcntl's access modes (O_ACCMODE), the same on Linux and the BSDs. */
    private static final int READ_ONLY = 0;
    private static final int WRITE_ONLY = 1;
    private static final int READ_WRITE = 2;

    private StreamFds() {}

    /** On the loop: a connection over {@code fd}, registered and opened. */
    static Connection open(EventLoop loop, int fd, ConnectionHandler handler) throws IOException {
        int stream = OS.unix().isStreamSocket(fd);
        boolean notSocket = stream == -Err.ENOTSOCK;
        if (stream == 0) {
            throw new IllegalArgumentException("fd " + fd + " is a socket but not a stream socket");
        }
        if (stream < 0 && !notSocket) {
            throw Errors.exception("getsockopt(fd " + fd + ", SO_TYPE)", -stream);
        }
        int access = notSocket ? Errors.check(OS.unix().accessMode(fd), "fcntl(fd " + fd + ", F_GETFL)") : READ_WRITE;
        SocketAddress peer = notSocket ? null : SocketAddresses.peerAddress(fd);
        Errors.check(OS.setBlocking(fd, false), "fcntl(fd " + fd + ", F_SETFL, O_NONBLOCK)");
        Connection c = new Connection(loop, fd, peer, handler);
        c.notSocket = notSocket;
        c.connected = true;
        if (access == READ_ONLY) { // output is shut from the start: writes return false
            c.outputShutdownRequested = true;
            c.outputShut = true;
        } else if (access == WRITE_ONLY) { // no input will ever come, and no EOF to report
            c.writeOnly = true;
            c.inputEnded = true;
            c.inputFinished = true;
        }
        loop.register(fd, c.interest(), c.loopSide);
        c.receiveOnRing();
        c.opened();
        return c;
    }
}
