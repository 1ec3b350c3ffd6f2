package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.Platform;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;

/**
 * The address of a datagram's sender: a view over the sockaddr the kernel wrote, which the
 * endpoint points at each datagram in turn, so that receiving allocates no address. Valid only
 * during the callback that got it, unless it is a {@link #copy()}. Its port and address bytes
 * are read without allocating; {@link #toInetSocketAddress()} makes the JDK's address when one
 * is wanted. Pass it to {@link DatagramEndpoint#send(MemorySegment, DatagramAddress)} to reply
 * without decoding it at all. Loop thread only, like its endpoint.
 */
public final class DatagramAddress {
    private static final Platform OS = Platform.current();
    private static final int STORAGE = 128;

    private final DatagramCalls calls;
    private MemorySegment sockaddr = MemorySegment.NULL;
    private int length;
    private final boolean detached;

    DatagramAddress(DatagramCalls calls) {
        this(calls, false);
    }

    private DatagramAddress(DatagramCalls calls, boolean detached) {
        this.calls = calls;
        this.detached = detached;
    }

    /** Points the view at the sockaddr of {@code length} bytes in {@code sockaddr}. */
    void point(MemorySegment sockaddr, int length) {
        this.sockaddr = sockaddr;
        this.length = length;
    }

    /** The sockaddr's memory (at least {@link #length()} bytes). */
    MemorySegment sockaddr() {
        return sockaddr;
    }

    /** {@return the length of the sockaddr, as the kernel gave it} */
    int length() {
        return length;
    }

    /** {@return whether the sender is an IPv6 address (IPv4-mapped ones included)} */
    public boolean isIpv6() {
        return calls.isInet6(sockaddr);
    }

    /** {@return the sender's port} */
    public int port() {
        return calls.port(sockaddr);
    }

    /**
     * Copies the sender's address, 4 bytes (IPv4) or 16 (IPv6), network order, into {@code dst}.
     *
     * @param dst at least 16 bytes (4 suffice for IPv4)
     * @return how many bytes were copied
     */
    public int addressBytes(byte[] dst) {
        return calls.addressBytes(sockaddr, dst);
    }

    /**
     * The sender as the JDK's address (allocates).
     *
     * @return the address
     */
    public InetSocketAddress toInetSocketAddress() {
        return OS.decode(sockaddr);
    }

    /**
     * A copy of this address that stays valid after the callback (and may be sent to later).
     *
     * @return the copy
     */
    public DatagramAddress copy() {
        byte[] bytes = new byte[STORAGE];
        MemorySegment.copy(sockaddr, ValueLayout.JAVA_BYTE, 0, bytes, 0, length);
        DatagramAddress c = new DatagramAddress(calls, true);
        c.point(MemorySegment.ofArray(bytes), length);
        return c;
    }

    /**
     * Whether {@code other} names the same sender (the same sockaddr bytes). No allocation.
     *
     * @param other another address
     * @return whether both are the same
     */
    public boolean sameAs(DatagramAddress other) {
        return other.length == length && MemorySegment.mismatch(sockaddr, 0, length, other.sockaddr, 0, length) == -1;
    }

    /** {@return whether this is a copy, valid for good} */
    public boolean isCopy() {
        return detached;
    }

    @Override
    public String toString() {
        return sockaddr.address() == 0 && !detached ? "DatagramAddress[none]" : String.valueOf(toInetSocketAddress());
    }
}
