package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.platform.UnixNames;

import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * The address of a datagram's sender: a view over the sockaddr the kernel wrote, which the
 * endpoint points at each datagram in turn, so that receiving allocates no address. Valid only
 * during the callback that got it, unless it is a {@link #copy()}. Pass it to
 * {@link DatagramEndpoint#send(MemorySegment, DatagramAddress)} to reply without decoding it at
 * all. Loop thread only, like its endpoint.
 *
 * <p>On a UDP endpoint the sender is an IP address: its port and address bytes are read without
 * allocating, and {@link #toInetSocketAddress()} makes the JDK's address when one is wanted. On a
 * Unix datagram endpoint ({@link #isUnix()}) it is a path or (Linux) an abstract name, read
 * without allocating with {@link #unixName(byte[])} and {@link #isAbstract()}, or made into a
 * {@link UnixAddress} with {@link #toUnixAddress()}; a sender that never bound its socket is
 * {@linkplain #isUnnamed() unnamed}: nothing can be sent back to it.
 */
public final class DatagramAddress {
    private static final Platform OS = Platform.current();
    private static final int STORAGE = 128;

    private final DatagramCalls calls;
    private final boolean unix;
    private MemorySegment sockaddr = MemorySegment.NULL;
    private int length;
    private final boolean detached;

    DatagramAddress(DatagramCalls calls, boolean unix) {
        this(calls, unix, false);
    }

    private DatagramAddress(DatagramCalls calls, boolean unix, boolean detached) {
        this.calls = calls;
        this.unix = unix;
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

    /** {@return whether the sender is an IPv6 address (IPv4-mapped ones included); false for a Unix sender} */
    public boolean isIpv6() {
        return !unix && calls.isInet6(sockaddr);
    }

    /**
     * The sender's port.
     *
     * @return the port
     * @throws IllegalStateException for a Unix sender, which has none
     */
    public int port() {
        requireIp("port");
        return calls.port(sockaddr);
    }

    /**
     * Copies the sender's address, 4 bytes (IPv4) or 16 (IPv6), network order, into {@code dst}.
     *
     * @param dst at least 16 bytes (4 suffice for IPv4)
     * @return how many bytes were copied
     * @throws IllegalStateException for a Unix sender
     */
    public int addressBytes(byte[] dst) {
        requireIp("addressBytes");
        return calls.addressBytes(sockaddr, dst);
    }

    /**
     * The sender as the JDK's address (allocates).
     *
     * @return the address, or null for a Unix sender (see {@link #toUnixAddress()})
     */
    public InetSocketAddress toInetSocketAddress() {
        return unix ? null : OS.decode(sockaddr);
    }

    private void requireIp(String what) {
        if (unix) {
            throw new IllegalStateException("a Unix datagram sender (" + this + ") has no " + what
                    + ": read it with unixName or toUnixAddress");
        }
    }

    /** {@return whether the sender is a Unix-domain socket (this is a Unix datagram endpoint)} */
    public boolean isUnix() {
        return unix;
    }

    /**
     * Whether the sender is a Unix socket that never bound a name (a client that only sends):
     * the kernel gives no address, and a reply to it is refused
     * ({@link DatagramEndpoint#send(MemorySegment, DatagramAddress)}). False for an IP sender.
     *
     * @return whether the sender is unnamed
     */
    public boolean isUnnamed() {
        return unix && !isAbstract() && unixName(null) == 0;
    }

    /** {@return whether the sender is bound to a Linux abstract name (false for a path, unnamed or IP)} */
    public boolean isAbstract() {
        return unix && UnixNames.isAbstract(sockaddr, length, calls.abstractUnixNames());
    }

    /**
     * Copies the Unix sender's name into {@code dst} without allocating: the path's bytes
     * (without a NUL) or the abstract name's (without the NUL in front); see {@link #isAbstract()}.
     *
     * @param dst room for the name (108 bytes hold any), or null to learn its length only
     * @return the name's length in bytes; 0 for an unnamed sender
     * @throws IllegalStateException for an IP sender
     * @throws IndexOutOfBoundsException if {@code dst} is too small
     */
    public int unixName(byte[] dst) {
        if (!unix) {
            throw new IllegalStateException("an IP datagram sender (" + this + ") has no Unix name");
        }
        return UnixNames.read(sockaddr, length, calls.abstractUnixNames(), dst);
    }

    /**
     * The Unix sender as a {@link UnixAddress} (allocates): its path, its abstract name, or an
     * unnamed address.
     *
     * @return the address, or null for an IP sender
     */
    public UnixAddress toUnixAddress() {
        if (!unix) {
            return null;
        }
        byte[] name = new byte[unixName(null)];
        unixName(name);
        return UnixAddress.received(name, isAbstract());
    }

    /**
     * A copy of this address that stays valid after the callback (and may be sent to later).
     *
     * @return the copy
     */
    public DatagramAddress copy() {
        // A long[]'s segment, not a byte[]'s: the sockaddr's fields are read with their natural
        // alignment, which a byte array's memory does not promise.
        MemorySegment bytes = MemorySegment.ofArray(new long[STORAGE / Long.BYTES]);
        MemorySegment.copy(sockaddr, 0, bytes, 0, length);
        DatagramAddress c = new DatagramAddress(calls, unix, true);
        c.point(bytes, length);
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
        if (sockaddr.address() == 0 && !detached) {
            return "DatagramAddress[none]";
        }
        return unix ? String.valueOf(toUnixAddress()) : String.valueOf(toInetSocketAddress());
    }
}
