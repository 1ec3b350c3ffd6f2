package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.SendBatch;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopCounters;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The bounded send queue of one {@link DatagramEndpoint}, and its flush: every datagram queued
 * since the last flush goes out in one batch (Linux: one sendmmsg). Bounded twice, in datagrams
 * and in payload bytes, both fixed when the endpoint opens: a full queue refuses, it never
 * grows. Its memory (payload bytes in a ring, one sockaddr per datagram slot) comes from the
 * loop's buffer pool while something is queued, and goes back once the queue is empty: an idle
 * endpoint holds none.
 *
 * <p>Entries sit in a ring of {@code maxDatagrams} slots; slot i's sockaddr is at i * 128 of the
 * names buffer, its payload anywhere in the byte ring. A payload that does not fit at the ring's
 * end starts again at 0 (the end stays unused until the head passes it), so that each payload is
 * contiguous and nothing is ever moved. A GSO entry (one payload the kernel cuts into equal
 * datagrams) counts as its datagrams; where the kernel refuses GSO it is sent as those datagrams,
 * each its own message, from the same bytes. Loop thread only.
 */
final class DatagramSendQueue {
    static final int NAME = 128;

    private final DatagramEndpoint endpoint;
    private final EventLoop loop;
    private final int fd;
    private final BufferPool pool;
    private final DatagramCalls calls;
    private final int maxDatagrams;
    private final long maxBytes;
    private final SendBatch batch;
    private final boolean[] whole;
    /** The sockaddr of the last JDK address sent to: encoded once per change of peer, not per send. */
    private final MemorySegment encoded;
    private SocketAddress encodedFor;
    private int encodedLength;
    private BufferPool.Buffer payload;
    private BufferPool.Buffer names;
    private boolean released;
    private boolean flushRequested;
    private boolean writeBlocked;
    boolean gso;
    long sent;
    private final long[] loopCounts; // the loop's: each datagram sent is also its DATAGRAMS_OUT
    long sendErrors;
    long overflows;

    private final long[] off;
    private final int[] len;
    private final int[] nameLen;
    private final int[] seg;
    private final int[] count;
    private int head;
    private int size;
    private long byteHead;
    private long byteTail;
    private int datagrams;
    private long bytes;

    DatagramSendQueue(DatagramEndpoint endpoint, EventLoop loop, int fd, BufferPool pool, DatagramCalls calls,
                      Arena arena, int maxDatagrams, long maxBytes, boolean gso) {
        this.endpoint = endpoint;
        this.loop = loop;
        this.fd = fd;
        this.pool = pool;
        this.calls = calls;
        this.maxDatagrams = maxDatagrams;
        this.maxBytes = maxBytes;
        this.gso = gso;
        this.loopCounts = LoopAccess.get().counters(loop).counts;
        this.batch = calls.allocateSend(arena, maxDatagrams);
        this.whole = new boolean[maxDatagrams];
        this.encoded = arena.allocate(NAME, 8);
        off = new long[maxDatagrams];
        len = new int[maxDatagrams];
        nameLen = new int[maxDatagrams];
        seg = new int[maxDatagrams];
        count = new int[maxDatagrams];
    }

    int datagrams() {
        return datagrams;
    }

    long bytes() {
        return bytes;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /**
     * Queues the datagram (see {@link #add}) and has the loop flush before its next poll; false,
     * counted, if the queue has no room.
     */
    boolean offer(MemorySegment payload, MemorySegment name, int nameLength, SocketAddress target, int segment) {
        if (!add(payload, 0, (int) payload.byteSize(), name, nameLength, target, segment)) {
            overflows++;
            return false;
        }
        if (!flushRequested && !writeBlocked) {
            flushRequested = true;
            DatagramLoop.of(loop).requestFlush(this);
        }
        return true;
    }

    /** The loop's hook, before its poll: send what this iteration queued. */
    void flushAtEndOfIteration() {
        flushRequested = false;
        if (!released && !writeBlocked) {
            flushNow();
        }
    }

    /** The socket is writable: if the queue waited for that, send the rest. */
    void writable() {
        if (writeBlocked) {
            writeBlocked = false;
            loop.modify(fd, Interest.READABLE);
            flushNow();
        }
    }

    /** The endpoint is closing: one more try, unless the socket's buffer is full. */
    void lastFlush() {
        if (!writeBlocked) {
            flush(fd);
        }
    }

    private void flushNow() {
        if (flush(fd) && !released) {
            writeBlocked = true; // the socket's buffer is full: the rest waits for writability
            loop.clearReadiness(fd, Interest.WRITABLE);
            loop.modify(fd, Interest.BOTH);
        }
    }

    /**
     * Queues {@code length} bytes of {@code src} from {@code srcOffset}, to the sockaddr in
     * {@code name} ({@code nameLength} bytes; 0: the connected peer) or, if {@code target} is not
     * null, to that address; cut into datagrams of {@code segment} bytes if not 0. False, and
     * nothing queued, if the queue has no room.
     */
    private boolean add(MemorySegment src, long srcOffset, int length, MemorySegment name, int nameLength,
                SocketAddress target, int segment) {
        int n = segment == 0 ? 1 : (length + segment - 1) / segment;
        if (datagrams + n > maxDatagrams || bytes + length > maxBytes) {
            return false;
        }
        if (payload == null) {
            payload = pool.acquire(maxBytes);
            names = pool.acquire((long) NAME * maxDatagrams);
            batch.use(payload.segment, names.segment);
        }
        long at = reserve(length);
        if (at < 0) {
            return false; // the bytes fit the cap, but not as one piece of the ring now
        }
        int slot = (head + size) % maxDatagrams;
        MemorySegment.copy(src, srcOffset, payload.segment, at, length);
        MemorySegment from = name;
        int nl = nameLength;
        if (target != null) {
            if (!sameAsEncoded(target)) {
                encodedLength = SocketAddresses.encode(target, encoded);
                encodedFor = target;
            }
            from = encoded;
            nl = encodedLength;
        }
        if (nl != 0) {
            MemorySegment.copy(from, 0, names.segment, (long) NAME * slot, nl);
        }
        off[slot] = at;
        len[slot] = length;
        nameLen[slot] = nl;
        seg[slot] = segment;
        count[slot] = n;
        size++;
        datagrams += n;
        bytes += length;
        return true;
    }

    /**
     * Whether {@code target} encodes as the last address did. Allocates nothing: equals compares
     * the IP bytes and the port; an IPv6 scope (the interface of a link-local peer), which
     * equals ignores, is compared too.
     */
    private boolean sameAsEncoded(SocketAddress target) {
        if (!target.equals(encodedFor)) {
            return false; // a UnixAddress is equal to another of the same bytes and kind
        }
        return !(target instanceof InetSocketAddress ip && ip.getAddress() instanceof Inet6Address v6)
                || v6.getScopeId() == ((Inet6Address) ((InetSocketAddress) encodedFor).getAddress()).getScopeId();
    }

    /** Where {@code length} contiguous bytes go in the ring, or -1 if they do not fit now. */
    private long reserve(long length) {
        long cap = payload.segment.byteSize();
        if (size == 0) {
            byteHead = 0;
            byteTail = 0;
        }
        if (byteTail >= byteHead) {
            if (cap - byteTail >= length) {
                long at = byteTail;
                byteTail += length;
                return at;
            }
            if (byteHead > length) { // wrap; strictly less, so that a full ring never looks empty
                byteTail = length;
                return 0;
            }
            return -1;
        }
        if (byteHead - byteTail > length) {
            long at = byteTail;
            byteTail += length;
            return at;
        }
        return -1;
    }

    /**
     * Sends what is queued, in as few calls as the batch allows (one, unless more than a batch is
     * queued or the kernel stopped part way). Returns true if the socket would block: the rest
     * waits for writability.
     */
    private boolean flush(int fd) {
        boolean retried = false;
        while (size > 0 && !released) {
            int n = build();
            int r = calls.send(fd, batch, n);
            if (r >= 0) {
                int datagramsSent = consume(r);
                sent += datagramsSent;
                loopCounts[LoopCounters.DATAGRAMS_OUT] += datagramsSent;
                retried = false;
                continue; // short: the next call reports why (or EAGAIN)
            }
            int errno = -r;
            if (errno == Err.EAGAIN) {
                if (!peerQueueFull()) {
                    return true;
                }
                if (!retried) {
                    // SO_MEMINFO is read after the EAGAIN: a receiver may have freed this socket's
                    // buffer in between, making a full own buffer look like a full peer. Only the
                    // receivers free it, so if the same datagram fails again with room in the
                    // buffer, the peer's queue is what is full.
                    retried = true;
                    continue;
                }
            }
            retried = false;
            if (gso && whole[0] && seg[head] != 0 && calls.segmentationRefused(errno)) {
                gso = false; // sent again below as single datagrams, from the same bytes
                endpoint.segmentationRefused();
                continue;
            }
            String target = nameLen[head] == 0 ? "the connected peer" : String.valueOf(
                    SocketAddresses.decode(names.segment.asSlice((long) NAME * head, NAME), nameLen[head]));
            sendErrors += whole[0] ? popHead() : advanceHead();
            endpoint.report(Errors.exception((calls.batched() ? "sendmmsg" : "sendto") + "(to " + target
                    + (errno == Err.EAGAIN ? ": its receive queue is full" : "") + ")", errno));
        }
        releaseIfEmpty();
        return false;
    }

    /**
     * Whether an EAGAIN may mean the head's peer has no room, not this socket: a Unix socket's
     * datagram to a named peer (the connected one's room the kernel signals, as it does this
     * socket's own) while its own buffer is not full now. The kernel never signals that peer's
     * room, so the datagram is dropped rather than waited for, once a retry confirms it.
     */
    private boolean peerQueueFull() {
        return nameLen[head] != 0 && endpoint.unixAddress() != null && calls.sendBufferFull(fd) == 0;
    }

    /** Fills the batch from the head: one message per entry, or per datagram of a GSO entry without GSO. */
    private int build() {
        int j = 0;
        for (int k = 0; k < size && j < maxDatagrams; k++) {
            int i = (head + k) % maxDatagrams;
            long name = (long) NAME * i;
            if (seg[i] == 0 || gso) {
                batch.set(j, off[i], len[i], name, nameLen[i], seg[i]);
                whole[j++] = true;
                continue;
            }
            for (int s = 0; s < count[i] && j < maxDatagrams; s++) {
                long start = (long) s * seg[i];
                batch.set(j, off[i] + start, (int) Math.min(seg[i], len[i] - start), name, nameLen[i], 0);
                whole[j++] = false;
            }
        }
        return j;
    }

    /** Takes the first {@code messages} of the last batch off the queue; returns the datagrams they were. */
    private int consume(int messages) {
        int sent = 0;
        for (int j = 0; j < messages; j++) {
            sent += whole[j] ? popHead() : advanceHead();
        }
        return sent;
    }

    /** Removes the head entry; returns its datagrams. */
    private int popHead() {
        int n = count[head];
        datagrams -= n;
        bytes -= len[head];
        head = (head + 1) % maxDatagrams;
        size--;
        if (size > 0) {
            byteHead = off[head];
        }
        return n;
    }

    /** Removes the first datagram of the head (GSO) entry, sent on its own; returns 1. */
    private int advanceHead() {
        if (count[head] == 1) {
            return popHead();
        }
        int s = seg[head];
        off[head] += s;
        len[head] -= s;
        bytes -= s;
        count[head]--;
        datagrams--;
        byteHead = off[head];
        return 1;
    }

    private void releaseIfEmpty() {
        if (size == 0 && payload != null) {
            pool.release(payload);
            pool.release(names);
            payload = null;
            names = null;
            batch.use(MemorySegment.NULL, MemorySegment.NULL);
        }
    }

    /** Drops what is queued and gives the memory back; returns the datagrams dropped. */
    int release() {
        int dropped = datagrams;
        released = true;
        size = 0;
        datagrams = 0;
        bytes = 0;
        releaseIfEmpty();
        return dropped;
    }
}
