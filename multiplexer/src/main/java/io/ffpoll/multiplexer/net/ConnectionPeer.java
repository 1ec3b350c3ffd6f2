package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * What a {@link Connection} knows of its peer: its IP address (TCP), its address of any family
 * (a Unix socket's is asked of the kernel when first wanted), and a Unix socket peer's
 * credentials.
 */
abstract sealed class ConnectionPeer extends ConnectionSettings permits ConnectionAnyThread {

    ConnectionPeer(EventLoop loop, int fd, java.net.SocketAddress remote, ConnectionHandler handler) {
        super(loop, fd, remote, handler);
    }

    /**
     * The peer's IP address; null on a connection that is not TCP (a Unix-domain socket, a
     * pipe): {@link #peerAddress()} tells those.
     *
     * @return the peer's IP address, or null
     */
    public final InetSocketAddress remoteAddress() {
        return remote instanceof InetSocketAddress inet ? inet : null;
    }

    /**
     * The peer's address, of whatever family: an {@link InetSocketAddress} for TCP; a
     * {@link UnixAddress} for a Unix-domain socket (on a server almost always
     * {@link UnixAddress#isUnnamed() unnamed}: clients rarely bind; a client sees the server's
     * path or name); null for a descriptor that is not a socket. For a socket accepted without
     * an address it is asked of the kernel (getpeername) on the first call, which must then be on
     * the loop thread.
     *
     * @return the peer's address, or null for a non-socket
     * @throws IOException if getpeername fails (the connection is closed, say)
     */
    public final java.net.SocketAddress peerAddress() throws IOException {
        if (remote == null && !notSocket) {
            checkLoop("peerAddress");
            if (closed) {
                throw new ClosedConnectionException("the connection on fd " + fd + " is closed");
            }
            remote = SocketAddresses.peerAddress(fd);
        }
        return remote;
    }

    /**
     * Who is at the other end of a Unix-domain socket, as the kernel vouches for it (see
     * {@link PeerCredentials}): Linux's SO_PEERCRED (uid, gid, pid), getpeereid on macOS and
     * FreeBSD (pid on macOS through LOCAL_PEERPID; none on FreeBSD). Loop thread only.
     *
     * @return the peer's credentials
     * @throws IllegalStateException on a TCP connection or a descriptor that is not a socket:
     *     only a Unix-domain socket has a peer the kernel can name
     * @throws IOException if the kernel refuses (the connection is closed, say)
     */
    public final PeerCredentials peerCredentials() throws IOException {
        checkLoop("peerCredentials");
        if (notSocket) {
            throw new IllegalStateException("peer credentials exist for Unix-domain sockets only; " + who()
                    + " is not a socket");
        }
        if (closed) {
            throw new ClosedConnectionException("the connection to " + who() + " is closed");
        }
        return SocketAddresses.peerCredentials(fd);
    }
}
