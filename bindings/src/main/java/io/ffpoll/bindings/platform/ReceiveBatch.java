package io.ffpoll.bindings.platform;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Memory for receiving up to {@link #slots()} datagrams in one go, and what the last receive put
 * in each slot: the payload (in the caller's memory, a pooled buffer say), the sender's sockaddr,
 * the length, whether the datagram was cut, and the segment size of a coalesced (GRO) one.
 * Made by {@link DatagramCalls#allocateReceive}; the OS's own headers (Linux: an mmsghdr array,
 * its iovecs and control buffers) live in {@link #headers}. Used by one thread.
 */
public final class ReceiveBatch {
    /** {@code sizeof(struct sockaddr_storage)} on every OS ffpoll runs on. */
    public static final long NAME_SIZE = 128;

    private final int slots;
    private final int slotBytes;
    private final long stride;
    private final MemorySegment payloads;
    /** Slot i's room, for the one-datagram calls: made once, so that a receive makes no segment. */
    private final MemorySegment[] rooms;
    private final MemorySegment[] names;
    /** The OS's headers for the batch (NULL where it has none); the platform's alone. */
    final MemorySegment headers;
    /** A socklen_t, for the one-datagram calls. */
    final MemorySegment nameLength;
    int pendingError;
    final boolean control;
    final int[] length;
    final int[] nameLengths;
    final boolean[] truncated;
    final int[] segmentSize;

    ReceiveBatch(Arena arena, MemorySegment payloads, int slots, int slotBytes, boolean control, long headerBytes) {
        if (slots < 1 || slotBytes < 1) {
            throw new IllegalArgumentException("slots and slot size must be positive: " + slots + ", " + slotBytes);
        }
        this.slots = slots;
        this.slotBytes = slotBytes;
        // One byte more than a datagram may have: a call that fills it received a longer one
        // (recvfrom says nothing else of a cut datagram).
        this.stride = slotBytes + 1L;
        if (payloads.byteSize() < stride * slots) {
            throw new IndexOutOfBoundsException("receive batch: " + slots + " slots of " + stride
                    + " bytes out of bounds for payloads of " + payloads.byteSize() + " bytes");
        }
        this.payloads = payloads;
        this.rooms = new MemorySegment[slots];
        for (int i = 0; i < slots; i++) {
            rooms[i] = payloads.asSlice(stride * i, stride);
        }
        MemorySegment all = arena.allocate(NAME_SIZE * slots, 8);
        this.names = new MemorySegment[slots];
        for (int i = 0; i < slots; i++) {
            names[i] = all.asSlice(NAME_SIZE * i, NAME_SIZE);
        }
        this.headers = headerBytes == 0 ? MemorySegment.NULL : arena.allocate(headerBytes, 8);
        this.nameLength = arena.allocate(8, 8);
        this.control = control;
        this.length = new int[slots];
        this.nameLengths = new int[slots];
        this.truncated = new boolean[slots];
        this.segmentSize = new int[slots];
    }

    /** {@return how many datagrams one receive may take} */
    public int slots() {
        return slots;
    }

    /** {@return the longest datagram a slot takes whole} */
    public int slotBytes() {
        return slotBytes;
    }

    /** Where slot {@code i}'s payload starts in {@link #payloads()}. */
    public long offset(int i) {
        return stride * i;
    }

    /** Room for a slot's payload and the one byte that tells a cut datagram. */
    long room() {
        return stride;
    }

    /** Slot {@code i}'s {@link #room()} bytes. */
    MemorySegment room(int i) {
        return rooms[i];
    }

    /** {@return the payload memory, slot {@code i} at {@link #offset(int)}} */
    public MemorySegment payloads() {
        return payloads;
    }

    /** The sender of the datagram in slot {@code i}: a sockaddr of {@link #nameLength(int)} bytes. */
    public MemorySegment name(int i) {
        return names[i];
    }

    /** {@return the length of the sender's sockaddr in slot {@code i}} */
    public int nameLength(int i) {
        return nameLengths[i];
    }

    /**
     * The errno of a call that failed after the datagrams the last receive returned (0: none).
     * Such an error consumed the socket's pending error (ECONNREFUSED from ICMP, say), so no later
     * call would report it: the caller handles it after those datagrams.
     *
     * @return the errno, or 0
     */
    public int pendingError() {
        return pendingError;
    }

    /** The bytes in slot {@code i}: the datagram's length, or {@link #slotBytes()} for a cut one. */
    public int length(int i) {
        return length[i];
    }

    /** {@return whether slot {@code i}'s datagram was longer than a slot, and so cut} */
    public boolean truncated(int i) {
        return truncated[i];
    }

    /**
     * The size of each datagram coalesced into slot {@code i} by UDP GRO (the last may be
     * shorter), or 0 for one datagram.
     */
    public int segmentSize(int i) {
        return segmentSize[i];
    }
}
