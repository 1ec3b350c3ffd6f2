package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.DatagramCalls;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;

/**
 * The options of a {@link DatagramEndpoint}'s socket that may change while it serves:
 * multicast membership, loopback and hops, broadcast, and IPV6_V6ONLY read back. Each is one
 * setsockopt or getsockopt and throws an {@link IOException} naming it and the errno (a group
 * joined twice: EADDRINUSE; left without being joined: EADDRNOTAVAIL). Loop thread only, like
 * the endpoint; on a closed endpoint they throw {@link ClosedConnectionException}, and on a
 * Unix datagram endpoint, which has none of them, {@link UnsupportedOperationException} naming
 * the method.
 *
 * <p>An interface is named by its index ({@link NetworkInterface#getIndex()}; 0 lets the
 * kernel choose by the routing table). IPv4 groups are joined with {@code ip_mreqn} on Linux
 * and FreeBSD; macOS takes only interface 0 for IPv4 (its {@code ip_mreq} names an interface by
 * address), and throws {@link UnsupportedOperationException} for another.
 */
public final class DatagramSocketOptions {
    private final DatagramEndpoint endpoint;
    private final DatagramCalls calls;
    private final int fd;
    private final boolean v6;

    DatagramSocketOptions(DatagramEndpoint endpoint, DatagramCalls calls, int fd, boolean v6) {
        this.endpoint = endpoint;
        this.calls = calls;
        this.fd = fd;
        this.v6 = v6;
    }

    private void check(String method) throws ClosedConnectionException {
        endpoint.checkLoop(method);
        if (endpoint.unixAddress() != null) {
            throw new UnsupportedOperationException("DatagramSocketOptions." + method + " makes no sense on a Unix "
                    + "datagram socket (no multicast, broadcast or IPV6_V6ONLY there): " + endpoint.unixAddress());
        }
        if (!endpoint.isOpen()) {
            throw new ClosedConnectionException("datagram endpoint on " + endpoint.local() + " is closed");
        }
    }

    private static int index(NetworkInterface nif) {
        return nif == null ? 0 : nif.getIndex();
    }

    /**
     * Joins the multicast {@code group} (IPv4 on an IPv4 endpoint; IPv6 on an IPv6 one) on
     * {@code nif}, or the kernel's choice for null.
     *
     * @param group the group's address
     * @param nif the interface, or null
     * @throws IOException the kernel's refusal (EADDRINUSE: joined already; ENODEV: no such interface)
     */
    public void joinGroup(InetAddress group, NetworkInterface nif) throws IOException {
        membership(true, group, nif);
    }

    /**
     * Leaves the multicast {@code group} on {@code nif} (null: as joined with null).
     *
     * @param group the group's address
     * @param nif the interface, or null
     * @throws IOException the kernel's refusal (EADDRNOTAVAIL: not a member)
     */
    public void leaveGroup(InetAddress group, NetworkInterface nif) throws IOException {
        membership(false, group, nif);
    }

    private void membership(boolean join, InetAddress group, NetworkInterface nif) throws IOException {
        check(join ? "joinGroup" : "leaveGroup");
        if (!group.isMulticastAddress()) {
            throw new IllegalArgumentException(group + " is not a multicast address");
        }
        String call = (group instanceof java.net.Inet6Address ? (join ? "setsockopt(IPV6_JOIN_GROUP " : "setsockopt(IPV6_LEAVE_GROUP ")
                : (join ? "setsockopt(IP_ADD_MEMBERSHIP " : "setsockopt(IP_DROP_MEMBERSHIP ")) + group.getHostAddress()
                + " on interface " + index(nif) + ")";
        Errors.check(calls.membership(fd, join, group, index(nif)), call);
    }

    /**
     * Whether this host's own members of a group get what this endpoint sends to it (IP_MULTICAST_LOOP;
     * on by default).
     *
     * @param on the value
     * @throws IOException if setsockopt fails
     */
    public void setMulticastLoop(boolean on) throws IOException {
        check("setMulticastLoop");
        Errors.check(calls.setMulticastLoop(fd, v6, on), "setsockopt(" + (v6 ? "IPV6" : "IP") + "_MULTICAST_LOOP)");
    }

    /**
     * IP_MULTICAST_LOOP (IPV6_MULTICAST_LOOP) as the kernel has it.
     *
     * @return the value
     * @throws IOException if getsockopt fails
     */
    public boolean multicastLoop() throws IOException {
        check("multicastLoop");
        return Errors.check(calls.multicastLoop(fd, v6), "getsockopt(" + (v6 ? "IPV6" : "IP") + "_MULTICAST_LOOP)") != 0;
    }

    /**
     * The hops (IPv4: TTL) of the multicast datagrams this endpoint sends; 1 by default.
     *
     * @param hops 0 to 255
     * @throws IOException if setsockopt fails
     */
    public void setMulticastHops(int hops) throws IOException {
        check("setMulticastHops");
        if (hops < 0 || hops > 255) {
            throw new IllegalArgumentException("hops must be in [0, 255], got " + hops);
        }
        Errors.check(calls.setMulticastHops(fd, v6, hops), "setsockopt(" + (v6 ? "IPV6_MULTICAST_HOPS" : "IP_MULTICAST_TTL") + ")");
    }

    /**
     * The multicast hops (TTL) as the kernel has them.
     *
     * @return the hops
     * @throws IOException if getsockopt fails
     */
    public int multicastHops() throws IOException {
        check("multicastHops");
        return Errors.check(calls.multicastHops(fd, v6), "getsockopt(" + (v6 ? "IPV6_MULTICAST_HOPS" : "IP_MULTICAST_TTL") + ")");
    }

    /**
     * SO_BROADCAST: whether datagrams to a broadcast address may be sent (else EACCES).
     *
     * @param on the value
     * @throws IOException if setsockopt fails
     */
    public void setBroadcast(boolean on) throws IOException {
        check("setBroadcast");
        Errors.check(calls.setBroadcast(fd, on), "setsockopt(SO_BROADCAST)");
    }

    /**
     * IPV6_V6ONLY as the kernel has it: true if this IPv6 endpoint takes no IPv4-mapped peers.
     *
     * @return the value
     * @throws IOException if getsockopt fails
     * @throws IllegalStateException on an IPv4 endpoint
     */
    public boolean v6Only() throws IOException {
        check("v6Only");
        if (!v6) {
            throw new IllegalStateException("IPV6_V6ONLY is an option of IPv6 sockets; this endpoint is IPv4");
        }
        return Errors.check(calls.v6Only(fd), "getsockopt(IPV6_V6ONLY)") != 0;
    }
}
