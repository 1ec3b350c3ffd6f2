package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.Platform;

import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The addresses of one listener's accepted peers. Peers of one IPv4 host in a row (clients behind
 * a proxy, a load balancer or a NAT, or on loopback) share that host's {@link InetAddress}, so a
 * held connection keeps its own {@link InetSocketAddress} (40 bytes) and not a copy of the host
 * too (56 more). IPv6 addresses are not shared: their equality ignores the scope. Loop thread only.
 */
final class PeerAddresses {
    private static final Platform OS = Platform.current();
    private Inet4Address last;

    /** The address in {@code sockaddr}, as {@link Platform#decode} reads it; null for another family. */
    InetSocketAddress decode(MemorySegment sockaddr) {
        InetSocketAddress peer = OS.decode(sockaddr);
        if (peer == null || !(peer.getAddress() instanceof Inet4Address host)) {
            return peer;
        }
        if (host.equals(last)) {
            return new InetSocketAddress(last, peer.getPort());
        }
        last = host;
        return peer;
    }
}
