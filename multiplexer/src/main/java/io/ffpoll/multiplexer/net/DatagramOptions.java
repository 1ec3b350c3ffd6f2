package io.ffpoll.multiplexer.net;

import java.net.SocketAddress;

/**
 * How a {@link DatagramEndpoint} is opened and how much it may hold. Immutable; start from
 * {@link #DEFAULTS} and change what you need with the withers.
 *
 * @param receiveBatch       datagrams one receive call takes at most (Linux: recvmmsg's vlen), 1 to 1024
 * @param maxDatagramSize    the longest datagram received whole, 1 to 65535; a longer one is reported
 *                           truncated ({@link DatagramHandler#onTruncated}), never passed on as whole
 * @param receiveBudget      receive calls per readiness event at most, then the loop's other work runs
 *                           and reading goes on in the next iteration (no syscall is spent on that)
 * @param maxQueuedDatagrams datagrams the send queue holds at most (a GSO send counts each segment),
 *                           1 to 1024 (one sendmmsg takes at most 1024, UIO_MAXIOV)
 * @param maxQueuedBytes     payload bytes the send queue holds at most, 65,536 to 64 MiB (one
 *                           datagram of the largest size must fit)
 * @param reusePort          SO_REUSEPORT before bind: other sockets of this user may bind the port
 *                           too, and the kernel spreads datagrams over them by flow (Linux, FreeBSD)
 * @param v6Only             IPV6_V6ONLY for an IPv6 address: true, false, or null for the OS's default;
 *                           it matters for the wildcard {@code ::} (false: IPv4 peers too, as mapped
 *                           addresses), since Linux sets it itself when a socket binds one IPv6 address
 * @param broadcast          SO_BROADCAST: datagrams to broadcast addresses may be sent
 * @param gso                send many equal datagrams to one peer as one (UDP GSO; Linux 4.18+,
 *                           {@link DatagramEndpoint#sendSegmented}); elsewhere, or where the kernel
 *                           refuses, the same datagrams go one by one, counted
 * @param gro                let the kernel coalesce received datagrams of a flow (UDP GRO; Linux 5.0+);
 *                           they are split again before the handler sees them
 * @param connectTo          connect(2) to this peer after bind: only its datagrams are received, and
 *                           {@link DatagramEndpoint#send(java.lang.foreign.MemorySegment)} needs no
 *                           address; null for none. An {@link java.net.InetSocketAddress} for UDP, a
 *                           {@link UnixAddress} (a JDK {@link java.net.UnixDomainSocketAddress} becomes
 *                           one) for a Unix datagram socket
 * @param receiveBufferSize  SO_RCVBUF in bytes, 0 for the kernel's default
 * @param sendBufferSize     SO_SNDBUF in bytes, 0 for the kernel's default
 */
public record DatagramOptions(int receiveBatch, int maxDatagramSize, int receiveBudget, int maxQueuedDatagrams,
                              long maxQueuedBytes, boolean reusePort, Boolean v6Only, boolean broadcast, boolean gso,
                              boolean gro, SocketAddress connectTo, int receiveBufferSize, int sendBufferSize) {
    /** The largest UDP payload a length field allows. */
    public static final int MAX_DATAGRAM = 65535;
    /** The most datagrams one sendmmsg or recvmmsg takes (UIO_MAXIOV). */
    public static final int MAX_BATCH = 1024;

    /**
     * 32 datagrams per receive call, up to 2,048 bytes each, 16 calls per event; a send queue of
     * 1,024 datagrams and 1 MiB; no reuseport, GSO or GRO, not connected, the kernel's buffers.
     */
    public static final DatagramOptions DEFAULTS = new DatagramOptions(32, 2048, 16, 1024, 1L << 20, false, null,
            false, false, false, null, 0, 0);

    /**
     * Checks the options.
     *
     * @throws IllegalArgumentException for a value out of its range, an unresolved or unnamed
     *     peer, or a peer of another address type
     * @throws UnsupportedOperationException for an abstract Unix name off Linux
     */
    public DatagramOptions {
        range("receiveBatch", receiveBatch, 1, MAX_BATCH);
        range("maxDatagramSize", maxDatagramSize, 1, MAX_DATAGRAM);
        range("receiveBudget", receiveBudget, 1, Integer.MAX_VALUE);
        range("maxQueuedDatagrams", maxQueuedDatagrams, 1, MAX_BATCH);
        range("maxQueuedBytes", maxQueuedBytes, MAX_DATAGRAM + 1, 64L << 20);
        range("receiveBufferSize", receiveBufferSize, 0, Integer.MAX_VALUE);
        range("sendBufferSize", sendBufferSize, 0, Integer.MAX_VALUE);
        if (connectTo != null) {
            connectTo = SocketAddresses.normalize(connectTo);
        }
    }

    private static void range(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got " + value);
        }
    }

    /**
     * Returns a copy with datagrams per receive call.
     *
     * @param n datagrams per receive call
     * @return new options
     */
    public DatagramOptions receiveBatch(int n) {
        return new DatagramOptions(n, maxDatagramSize, receiveBudget, maxQueuedDatagrams, maxQueuedBytes, reusePort,
                v6Only, broadcast, gso, gro, connectTo, receiveBufferSize, sendBufferSize);
    }

    /**
     * Returns a copy with the longest datagram received whole.
     *
     * @param n the longest datagram received whole
     * @return new options
     */
    public DatagramOptions maxDatagramSize(int n) {
        return new DatagramOptions(receiveBatch, n, receiveBudget, maxQueuedDatagrams, maxQueuedBytes, reusePort,
                v6Only, broadcast, gso, gro, connectTo, receiveBufferSize, sendBufferSize);
    }

    /**
     * Returns a copy with receive calls per event.
     *
     * @param n receive calls per event
     * @return new options
     */
    public DatagramOptions receiveBudget(int n) {
        return new DatagramOptions(receiveBatch, maxDatagramSize, n, maxQueuedDatagrams, maxQueuedBytes, reusePort,
                v6Only, broadcast, gso, gro, connectTo, receiveBufferSize, sendBufferSize);
    }

    /**
     * Returns a copy whose send queue holds at most {@code datagrams} datagrams and
     * {@code bytes} payload bytes; a send past either is refused and counted.
     *
     * @param datagrams datagrams queued at most
     * @param bytes payload bytes queued at most
     * @return new options
     */
    public DatagramOptions sendQueue(int datagrams, long bytes) {
        return new DatagramOptions(receiveBatch, maxDatagramSize, receiveBudget, datagrams, bytes, reusePort,
                v6Only, broadcast, gso, gro, connectTo, receiveBufferSize, sendBufferSize);
    }

    /**
     * Returns a copy with SO_REUSEPORT.
     *
     * @param on SO_REUSEPORT
     * @return new options
     */
    public DatagramOptions reusePort(boolean on) {
        return new DatagramOptions(receiveBatch, maxDatagramSize, receiveBudget, maxQueuedDatagrams, maxQueuedBytes, on,
                v6Only, broadcast, gso, gro, connectTo, receiveBufferSize, sendBufferSize);
    }

    /**
     * Returns a copy with IPV6_V6ONLY, or null for the OS's default.
     *
     * @param on IPV6_V6ONLY, or null for the OS's default
     * @return new options
     */
    public DatagramOptions v6Only(Boolean on) {
        return new DatagramOptions(receiveBatch, maxDatagramSize, receiveBudget, maxQueuedDatagrams, maxQueuedBytes,
                reusePort, on, broadcast, gso, gro, connectTo, receiveBufferSize, sendBufferSize);
    }

    /**
     * Returns a copy with SO_BROADCAST.
     *
     * @param on SO_BROADCAST
     * @return new options
     */
    public DatagramOptions broadcast(boolean on) {
        return new DatagramOptions(receiveBatch, maxDatagramSize, receiveBudget, maxQueuedDatagrams, maxQueuedBytes,
                reusePort, v6Only, on, gso, gro, connectTo, receiveBufferSize, sendBufferSize);
    }

    /**
     * Returns a copy with UDP GSO for {@link DatagramEndpoint#sendSegmented} on or off.
     *
     * @param on UDP GSO for {@link DatagramEndpoint#sendSegmented}
     * @return new options
     */
    public DatagramOptions gso(boolean on) {
        return new DatagramOptions(receiveBatch, maxDatagramSize, receiveBudget, maxQueuedDatagrams, maxQueuedBytes,
                reusePort, v6Only, broadcast, on, gro, connectTo, receiveBufferSize, sendBufferSize);
    }

    /**
     * Returns a copy with UDP GRO.
     *
     * @param on UDP GRO
     * @return new options
     */
    public DatagramOptions gro(boolean on) {
        return new DatagramOptions(receiveBatch, maxDatagramSize, receiveBudget, maxQueuedDatagrams, maxQueuedBytes,
                reusePort, v6Only, broadcast, gso, on, connectTo, receiveBufferSize, sendBufferSize);
    }

    /**
     * Returns a copy with the peer to connect to, or null.
     *
     * @param peer the peer to connect to, or null
     * @return new options
     */
    public DatagramOptions connectTo(SocketAddress peer) {
        return new DatagramOptions(receiveBatch, maxDatagramSize, receiveBudget, maxQueuedDatagrams, maxQueuedBytes,
                reusePort, v6Only, broadcast, gso, gro, peer, receiveBufferSize, sendBufferSize);
    }

    /**
     * Returns a copy with these socket buffer sizes. On a Unix datagram socket (Linux) the send
     * buffer is also charged with every datagram sent that waits unread in a receiver's queue,
     * until it is read: one named peer that never reads can hold all of it, and the endpoint's
     * replies to every other peer then wait for writability that only that peer's reading gives
     * back. A send buffer of at least (net.unix.max_dgram_qlen + 1) times the cost of the largest
     * datagram sent (payload plus the kernel's per-datagram overhead) keeps that from happening:
     * the deaf peer's queue fills first, and what is sent to it more is dropped and reported
     * instead (see {@link DatagramEndpoint}); a connected socket per peer is the other way out.
     *
     * @param receive SO_RCVBUF, 0 for the default
     * @param send SO_SNDBUF, 0 for the default
     * @return new options
     */
    public DatagramOptions socketBuffers(int receive, int send) {
        return new DatagramOptions(receiveBatch, maxDatagramSize, receiveBudget, maxQueuedDatagrams, maxQueuedBytes,
                reusePort, v6Only, broadcast, gso, gro, connectTo, receive, send);
    }
}
