package io.ffpoll.bindings.platform;

import io.ffpoll.bindings.Err;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteOrder;

/**
 * The datagram calls of one OS family, beside {@link Platform} ({@link Platform#datagrams()}):
 * a non-blocking close-on-exec datagram socket (UDP, or AF_UNIX), batched receive and send, the
 * socket options a UDP endpoint sets, and what a Unix datagram socket needs besides (autobind,
 * telling the two EAGAINs of a send apart). Linux receives and sends a batch in one call each
 * ({@code recvmmsg}, {@code sendmmsg}; a slot's sockaddr has room for a sockaddr_un too) and has
 * UDP GSO and GRO; the BSDs, and Linux when told to ({@code -Dffpoll.platform.datagrams=single}),
 * make one {@code recvfrom} or {@code sendto} per datagram, through the loops here. Every call
 * returns its result or {@code -errno}.
 *
 * <p>Semantics both ways share: {@link #receive} takes what is queued, up to the batch, and
 * returns how many datagrams it took, or -EAGAIN if none was there (an error that came after
 * some datagrams waits for the next call). {@link #send} sends the batch's first {@code count}
 * datagrams in order and returns how many went, or -errno if the first could not (then that
 * one's error); an error after the first is seen by the next call, which starts at the first
 * unsent datagram.
 */
public abstract class DatagramCalls {
    private static final ValueLayout.OfShort PORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** Where sin_port and sin6_port are, on Linux and the BSDs alike. */
    private static final long PORT_OFFSET = 2;
    private static final long IN_ADDR = 4;
    private static final long IN6_ADDR = 8;

    /** For the implementations. */
    protected DatagramCalls() {}

    /**
     * The calls of {@code platform}'s OS.
     *
     * @param platform the platform
     * @return its datagram calls
     */
    static DatagramCalls of(Platform platform) {
        if (platform instanceof io.ffpoll.bindings.linux.LinuxPlatform) {
            return io.ffpoll.bindings.linux.LinuxDatagrams.create(
                    !"single".equals(System.getProperty("ffpoll.platform.datagrams")));
        }
        if (platform instanceof io.ffpoll.bindings.bsd.BsdPlatform bsd) {
            return io.ffpoll.bindings.bsd.BsdDatagrams.create(bsd);
        }
        throw new UnsupportedOperationException("no datagram calls for " + platform.name());
    }

    /** {@return the OS, as {@link Platform#name()} names it} */
    public abstract String os();

    /** {@return whether a batch is received and sent in one call each (recvmmsg and sendmmsg)} */
    public abstract boolean batched();

    /**
     * Whether this OS can have the kernel cut and coalesce datagrams (UDP GSO and GRO): Linux
     * 4.18 and 5.0 on; never the BSDs.
     *
     * @return whether GSO and GRO can be asked for
     */
    public abstract boolean segmentation();

    /**
     * A datagram socket for {@code family} ({@link Platform#family}), non-blocking and close-on-exec.
     *
     * @param family AF_INET, AF_INET6 or AF_UNIX ({@link UnixCalls#unixFamily()})
     * @return the socket, or -errno
     */
    public abstract int socket(int family);

    /**
     * Memory to receive up to {@code slots} datagrams of up to {@code slotBytes} each, payloads in
     * {@code payloads} (at least {@code slots * (slotBytes + 1)} bytes), headers from {@code arena}.
     *
     * @param arena what owns the headers
     * @param payloads where the payloads go
     * @param slots how many datagrams a receive takes at most
     * @param slotBytes the longest datagram taken whole
     * @param segments whether to read the GRO segment size (an endpoint with UDP_GRO on)
     * @return the batch
     */
    public final ReceiveBatch allocateReceive(Arena arena, MemorySegment payloads, int slots, int slotBytes,
                                              boolean segments) {
        ReceiveBatch b = new ReceiveBatch(arena, payloads, slots, slotBytes, segments, receiveHeaderBytes(slots));
        prepare(b);
        return b;
    }

    /**
     * Memory to send up to {@code slots} datagrams per call.
     *
     * @param arena what owns the headers
     * @param slots how many datagrams a send takes at most
     * @return the batch
     */
    public final SendBatch allocateSend(Arena arena, int slots) {
        return new SendBatch(arena, slots, sendHeaderBytes(slots), !batched());
    }

    /** Bytes of the OS's headers for a receive batch of {@code slots} (0: none). */
    protected long receiveHeaderBytes(int slots) {
        return 0;
    }

    /** Bytes of the OS's headers for a send batch of {@code slots} (0: none). */
    protected long sendHeaderBytes(int slots) {
        return 0;
    }

    /** Points the OS's headers of a new batch at its memory. */
    protected void prepare(ReceiveBatch b) {
    }

    /** The batch's headers, for the implementations. */
    protected static MemorySegment headers(ReceiveBatch b) {
        return b.headers;
    }

    /** The batch's headers, for the implementations. */
    protected static MemorySegment headers(SendBatch b) {
        return b.headers;
    }

    /**
     * Receives what is queued on {@code fd}, up to the batch's slots (see the class comment).
     *
     * @param fd a non-blocking datagram socket
     * @param b the batch
     * @return the datagrams received, or -errno (-EAGAIN: none)
     */
    public int receive(int fd, ReceiveBatch b) {
        int n = 0;
        b.pendingError = 0;
        while (n < b.slots()) {
            b.nameLength.set(ValueLayout.JAVA_INT, 0, (int) ReceiveBatch.NAME_SIZE);
            long r = recvfrom(fd, b.room(n), b.room(), b.name(n), b.nameLength);
            if (r < 0) {
                if (r == -Err.EINTR) {
                    continue;
                }
                if (n > 0 && r != -Err.EAGAIN) {
                    // recvfrom took the socket's pending error: no later call would see it again.
                    b.pendingError = (int) -r;
                }
                return n > 0 ? n : (int) r;
            }
            b.truncated[n] = r > b.slotBytes();
            b.length[n] = (int) Math.min(r, b.slotBytes());
            b.nameLengths[n] = b.nameLength.get(ValueLayout.JAVA_INT, 0);
            b.segmentSize[n] = 0;
            n++;
        }
        return n;
    }

    /**
     * Sends the batch's first {@code count} datagrams (see the class comment).
     *
     * @param fd a non-blocking datagram socket
     * @param b the batch
     * @param count how many
     * @return how many were sent, or -errno if the first could not be
     * @throws IndexOutOfBoundsException if {@code count} is negative or more than the batch holds
     */
    public int send(int fd, SendBatch b, int count) {
        checkCount(b, count);
        for (int i = 0; i < count; i++) {
            if (b.segmentSize[i] != 0) {
                throw new IllegalArgumentException(os() + " has no UDP segmentation offload (slot " + i + ")");
            }
            // Copied to the batch's stage, which sendto takes whole: no segment is made per datagram.
            MemorySegment name = MemorySegment.NULL;
            if (b.nameLength[i] != 0) {
                MemorySegment.copy(b.names, b.nameOffset[i], b.stagedName, 0, b.nameLength[i]);
                name = b.stagedName;
            }
            MemorySegment.copy(b.payloads, b.offset[i], b.stagedPayload, 0, b.length[i]);
            long r;
            do {
                r = sendto(fd, b.stagedPayload, b.length[i], name, b.nameLength[i]);
            } while (r == -Err.EINTR);
            if (r < 0) {
                return i > 0 ? i : (int) r;
            }
        }
        return count;
    }

    /** For the implementations: {@code count} must fit the batch. */
    protected static void checkCount(SendBatch b, int count) {
        if (count < 0 || count > b.slots()) {
            throw new IndexOutOfBoundsException("send: count " + count + " out of bounds for a batch of " + b.slots());
        }
    }

    /** For the implementations: what slot {@code i} of a send batch holds. */
    protected static long payloadAddress(SendBatch b, int i) {
        return b.payloads.address() + b.offset[i];
    }

    /** For the implementations. */
    protected static int payloadLength(SendBatch b, int i) {
        return b.length[i];
    }

    /** For the implementations: the sockaddr's address, 0 for none. */
    protected static long nameAddress(SendBatch b, int i) {
        return b.nameLength[i] == 0 ? 0 : b.names.address() + b.nameOffset[i];
    }

    /** For the implementations. */
    protected static int nameLength(SendBatch b, int i) {
        return b.nameLength[i];
    }

    /** For the implementations. */
    protected static int segmentSize(SendBatch b, int i) {
        return b.segmentSize[i];
    }

    /** For the implementations: what a batched receive found in slot {@code i}. */
    protected static void received(ReceiveBatch b, int i, int length, boolean truncated, int nameLength, int segment) {
        b.length[i] = length;
        b.truncated[i] = truncated;
        b.nameLengths[i] = nameLength;
        b.segmentSize[i] = segment;
    }

    /** For the implementations: whether the batch asks for the GRO segment size. */
    protected static boolean segments(ReceiveBatch b) {
        return b.control;
    }

    /** One datagram (at most {@code len} bytes); the sender to {@code addr}, its length to {@code addrLen}. */
    protected abstract long recvfrom(int fd, MemorySegment buf, long len, MemorySegment addr, MemorySegment addrLen);

    /** One datagram to {@code addr} (NULL and 0 on a connected socket). */
    protected abstract long sendto(int fd, MemorySegment buf, long len, MemorySegment addr, int addrLen);

    // ---- options

    /**
     * IPV6_V6ONLY, before bind: whether an AF_INET6 socket refuses IPv4-mapped peers.
     *
     * @param fd the socket
     * @param on the value
     * @return 0, or -errno
     */
    public abstract int setV6Only(int fd, boolean on);

    /**
     * IPV6_V6ONLY's value: 1, 0 or -errno.
     *
     * @param fd the socket
     * @return 1, 0, or -errno
     */
    public abstract int v6Only(int fd);

    /**
     * SO_BROADCAST: whether datagrams to a broadcast address may be sent.
     *
     * @param fd the socket
     * @param on the value
     * @return 0, or -errno
     */
    public abstract int setBroadcast(int fd, boolean on);

    /**
     * Joins or leaves the multicast {@code group} on the interface {@code ifindex} (0: the
     * kernel's choice): IP_ADD/DROP_MEMBERSHIP for IPv4, IPV6_JOIN/LEAVE_GROUP for IPv6.
     *
     * @param fd the socket
     * @param join true to join, false to leave
     * @param group the group's address
     * @param ifindex the interface's index, or 0
     * @return 0, or -errno
     */
    public abstract int membership(int fd, boolean join, InetAddress group, int ifindex);

    /**
     * IP_MULTICAST_LOOP or IPV6_MULTICAST_LOOP: whether this host's own members get what it sends.
     *
     * @param fd the socket
     * @param v6 for an AF_INET6 socket
     * @param on the value
     * @return 0, or -errno
     */
    public abstract int setMulticastLoop(int fd, boolean v6, boolean on);

    /**
     * IP_MULTICAST_LOOP or IPV6_MULTICAST_LOOP's value: 1, 0 or -errno.
     *
     * @param fd the socket
     * @param v6 for an AF_INET6 socket
     * @return 1, 0, or -errno
     */
    public abstract int multicastLoop(int fd, boolean v6);

    /**
     * IP_MULTICAST_TTL or IPV6_MULTICAST_HOPS.
     *
     * @param fd the socket
     * @param v6 for an AF_INET6 socket
     * @param hops 0 to 255
     * @return 0, or -errno
     */
    public abstract int setMulticastHops(int fd, boolean v6, int hops);

    /**
     * IP_MULTICAST_TTL or IPV6_MULTICAST_HOPS's value, or -errno.
     *
     * @param fd the socket
     * @param v6 for an AF_INET6 socket
     * @return the hops, or -errno
     */
    public abstract int multicastHops(int fd, boolean v6);

    /**
     * UDP_GRO: let the kernel coalesce datagrams of one flow, and say their size with each
     * receive. -ENOPROTOOPT where the OS (or kernel) has none.
     *
     * @param fd the socket
     * @param on the value
     * @return 0, or -errno
     */
    public abstract int setGro(int fd, boolean on);

    /**
     * Whether the kernel knows UDP_SEGMENT (GSO) on this socket.
     *
     * @param fd the socket
     * @return whether a send may carry a segment size
     */
    public abstract boolean canSegment(int fd);

    /**
     * Whether a send's {@code errno} means the kernel cannot cut datagrams at all (EIO: the
     * device cannot checksum the segments; ENOPROTOOPT, EOPNOTSUPP): the same bytes go as
     * single datagrams instead, from then on. Not EINVAL: Linux's udp_send_skb answers EINVAL
     * for one message's own fault (a segment larger than the path's MTU, too many segments),
     * which fails that message alone.
     *
     * @param errno the errno
     * @return whether it is a refusal of segmentation
     */
    public abstract boolean segmentationRefused(int errno);

    // ---- sockaddrs without allocation

    /**
     * Whether {@code sockaddr} is an AF_INET6 one.
     *
     * @param sockaddr a sockaddr
     * @return whether it is IPv6
     */
    public abstract boolean isInet6(MemorySegment sockaddr);

    /**
     * The port of an AF_INET or AF_INET6 {@code sockaddr}.
     *
     * @param sockaddr a sockaddr
     * @return the port
     */
    public final int port(MemorySegment sockaddr) {
        return Short.toUnsignedInt(sockaddr.get(PORT, PORT_OFFSET));
    }

    /**
     * Copies the 4 or 16 address bytes of {@code sockaddr} into {@code dst}.
     *
     * @param sockaddr a sockaddr
     * @param dst 4 bytes or more (16 for IPv6)
     * @return how many bytes: 4 or 16
     */
    public final int addressBytes(MemorySegment sockaddr, byte[] dst) {
        int n = isInet6(sockaddr) ? 16 : 4;
        MemorySegment.copy(sockaddr, ValueLayout.JAVA_BYTE, isInet6(sockaddr) ? IN6_ADDR : IN_ADDR, dst, 0, n);
        return n;
    }

    // ---- Unix-domain datagram sockets

    /**
     * Whether this OS's Unix sockets can have abstract names (Linux): how {@link UnixNames#read}
     * reads a sender's sockaddr_un from these calls.
     *
     * @return whether abstract names exist
     */
    public abstract boolean abstractUnixNames();

    /**
     * Binds the AF_UNIX datagram socket {@code fd} to a name the kernel picks, so that peers
     * can reply to it: Linux's autobind (bind with {@code sun_family} alone), which gives it an
     * unused abstract name of five hex digits. Linux only.
     *
     * @param fd an unbound AF_UNIX socket
     * @return 0, or -errno
     * @throws UnsupportedOperationException where the OS has no autobind (the BSDs)
     */
    public abstract int autobind(int fd);

    /**
     * Whether the send buffer of the Unix datagram socket {@code fd} is full (1) or not (0), or
     * -errno. Linux answers EAGAIN to a datagram send for two reasons: this socket's own buffer
     * is full (its datagrams wait, unread, in receivers' queues; the kernel wakes the socket
     * when they are read), or the receiver's queue is full (net.unix.max_dgram_qlen datagrams;
     * for an unconnected sender the kernel never says when it has room again). This tells them
     * apart after the fact. Where the OS cannot tell, 1: wait, as for UDP.
     *
     * @param fd the socket
     * @return 1, 0 or -errno
     */
    public abstract int sendBufferFull(int fd);
}
