package io.ffpoll.bindings;

import io.ffpoll.bindings.platform.OptionCalls;
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
     * ({@link OptionCalls#balancesReusePort()} is false there).
     */
    REUSE_PORT_BALANCED,
    /** TCP_NODELAY: send small writes at once instead of waiting for an ACK (Nagle). */
    TCP_NODELAY,
    /** SO_SNDBUF, in bytes. */
    SEND_BUFFER,
    /** SO_RCVBUF, in bytes. */
    RECEIVE_BUFFER,
    /** SO_KEEPALIVE. */
    KEEP_ALIVE,
    /** Seconds of idleness before the first keep-alive probe: TCP_KEEPIDLE (macOS: TCP_KEEPALIVE). */
    TCP_KEEPIDLE,
    /** Seconds between keep-alive probes: TCP_KEEPINTVL. */
    TCP_KEEPINTVL,
    /** Unanswered keep-alive probes before the connection is dropped: TCP_KEEPCNT. */
    TCP_KEEPCNT,
    /** Milliseconds sent data may stay unacknowledged before the connection is dropped (Linux only). */
    TCP_USER_TIMEOUT,
    /**
     * TCP Fast Open on a listener: Linux takes the queue length of pending fast-open requests;
     * FreeBSD and macOS take a flag (non-zero: on).
     */
    TCP_FASTOPEN,
    /** TCP Fast Open on a client socket, before connect (Linux only). */
    TCP_FASTOPEN_CONNECT,
    /** Seconds a listener waits for data before it hands out a connection (Linux only). */
    TCP_DEFER_ACCEPT,
    /** Hold partial frames until uncorked (Linux only; the BSDs have {@link #TCP_NOPUSH}). */
    TCP_CORK,
    /** Hold the last partial segment of a write (BSD only; Linux has {@link #TCP_CORK}). */
    TCP_NOPUSH,
    /** Microseconds to busy-poll the device queue on a blocking read (Linux only). */
    SO_BUSY_POLL,
    /** The IPv4 type-of-service byte (DSCP and ECN): IP_TOS. */
    IP_TOS,
    /** The IPv6 traffic class byte: IPV6_TCLASS. */
    IPV6_TCLASS
}
