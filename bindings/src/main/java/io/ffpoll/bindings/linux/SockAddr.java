package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.linux.gen.in6_addr;
import io.ffpoll.bindings.linux.gen.sockaddr_in;
import io.ffpoll.bindings.linux.gen.sockaddr_in6;
import io.ffpoll.bindings.linux.gen.sockaddr_storage;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * Converts between {@link InetSocketAddress} and {@code struct sockaddr_in}/{@code sockaddr_in6}
 * in a {@code struct sockaddr_storage}. Family is host order; port and address are network
 * (big-endian) order, as in the C structs.
 */
public final class SockAddr {
    /** {@code sizeof(struct sockaddr_storage)}: room for any address family. */
    public static final long STORAGE_SIZE = sockaddr_storage.layout().byteSize();

    private static final ValueLayout.OfShort PORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long IN_PORT = sockaddr_in.sin_port$offset();
    private static final long IN_ADDR = sockaddr_in.sin_addr$offset();
    private static final long IN6_PORT = sockaddr_in6.sin6_port$offset();
    private static final long IN6_ADDR = sockaddr_in6.sin6_addr$offset();
    private static final long IN6_SCOPE = sockaddr_in6.sin6_scope_id$offset();
    private static final long IN6_ADDR_SIZE = in6_addr.layout().byteSize();
    private static final long IN_SIZE = sockaddr_in.layout().byteSize();
    private static final long IN6_SIZE = sockaddr_in6.layout().byteSize();
    private static final long FAMILY_END = sockaddr_in.sin_family$offset() + Short.BYTES;

    private SockAddr() {}

    /** A zeroed sockaddr_storage. */
    public static MemorySegment allocateStorage(Arena arena) {
        return arena.allocate(sockaddr_storage.layout());
    }

    /** AF_INET or AF_INET6 for {@code address}. */
    public static int family(InetSocketAddress address) {
        return address.getAddress() instanceof Inet6Address ? Sockets.AF_INET6 : Sockets.AF_INET;
    }

    /**
     * Writes {@code address} into {@code dst} (at least {@link #STORAGE_SIZE} bytes) and returns
     * the length to pass as socklen_t. The address must be resolved.
     *
     * @throws IndexOutOfBoundsException if {@code dst} is smaller than {@link #STORAGE_SIZE}
     */
    public static int encode(InetSocketAddress address, MemorySegment dst) {
        Bounds.struct("encode", "sockaddr_storage", STORAGE_SIZE, "dst", dst);
        InetAddress ip = address.getAddress();
        if (ip == null) {
            throw new IllegalArgumentException("unresolved address: " + address);
        }
        dst.asSlice(0, STORAGE_SIZE).fill((byte) 0);
        if (ip instanceof Inet6Address v6) {
            sockaddr_in6.sin6_family(dst, (short) Sockets.AF_INET6);
            dst.set(PORT, IN6_PORT, (short) address.getPort());
            MemorySegment.copy(MemorySegment.ofArray(v6.getAddress()), 0, dst, IN6_ADDR, IN6_ADDR_SIZE);
            dst.set(ValueLayout.JAVA_INT_UNALIGNED, IN6_SCOPE, v6.getScopeId());
            return (int) sockaddr_in6.layout().byteSize();
        }
        sockaddr_in.sin_family(dst, (short) Sockets.AF_INET);
        dst.set(PORT, IN_PORT, (short) address.getPort());
        MemorySegment.copy(MemorySegment.ofArray(ip.getAddress()), 0, dst, IN_ADDR, 4);
        return (int) sockaddr_in.layout().byteSize();
    }

    /**
     * Reads the AF_INET or AF_INET6 address in {@code src}; null for another family.
     *
     * @throws IndexOutOfBoundsException if {@code src} is too small for its family's sockaddr
     */
    public static InetSocketAddress decode(MemorySegment src) {
        Bounds.struct("decode", "sa_family", FAMILY_END, "src", src);
        int family = sockaddr_in.sin_family(src);
        try {
            if (family == Sockets.AF_INET) {
                Bounds.struct("decode", "sockaddr_in", IN_SIZE, "src", src);
                byte[] ip = new byte[4];
                MemorySegment.copy(src, IN_ADDR, MemorySegment.ofArray(ip), 0, 4);
                return new InetSocketAddress(Inet4Address.getByAddress(ip), Short.toUnsignedInt(src.get(PORT, IN_PORT)));
            }
            if (family == Sockets.AF_INET6) {
                Bounds.struct("decode", "sockaddr_in6", IN6_SIZE, "src", src);
                byte[] ip = new byte[16];
                MemorySegment.copy(src, IN6_ADDR, MemorySegment.ofArray(ip), 0, 16);
                int scope = src.get(ValueLayout.JAVA_INT_UNALIGNED, IN6_SCOPE);
                InetAddress address = scope == 0
                        ? InetAddress.getByAddress(ip)
                        : Inet6Address.getByAddress(null, ip, scope);
                return new InetSocketAddress(address, Short.toUnsignedInt(src.get(PORT, IN6_PORT)));
            }
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always a valid address", e);
        }
        return null;
    }
}
