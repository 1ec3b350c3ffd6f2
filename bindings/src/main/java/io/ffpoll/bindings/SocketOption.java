package io.ffpoll.bindings;

import io.ffpoll.bindings.platform.Platform;

/**
 * The int-valued socket options the layers above set, by meaning; each {@link Platform} maps
 * them to its own level and number (SOL_SOCKET is 1 on Linux and 0xffff on the BSDs).
 */
public enum SocketOption {
    /** SO_REUSEADDR: bind again while old connections are in TIME_WAIT. */
    REUSE_ADDRESS,
    /**
     * Several listening sockets on one port among which the kernel balances new connections:
     * SO_REUSEPORT on Linux, SO_REUSEPORT_LB on FreeBSD. macOS has no balancing form
     * ({@link Platform#balancesReusePort()} is false there).
     */
    REUSE_PORT_BALANCED,
    /** TCP_NODELAY: send small writes at once instead of waiting for an ACK (Nagle). */
    TCP_NODELAY,
    /** SO_SNDBUF, in bytes. */
    SEND_BUFFER,
    /** SO_RCVBUF, in bytes. */
    RECEIVE_BUFFER,
    /** SO_KEEPALIVE. */
    KEEP_ALIVE
}
