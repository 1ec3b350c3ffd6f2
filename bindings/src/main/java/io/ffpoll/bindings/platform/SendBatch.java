package io.ffpoll.bindings.platform;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Up to {@link #slots()} datagrams to send in one go, each a range of one payload segment, a
 * sockaddr in one names segment (or none, on a connected socket) and, for UDP GSO, the size
 * of the equal datagrams the kernel cuts it into. Made by {@link DatagramCalls#allocateSend};
 * filled with {@link #use} and {@link #set}, sent with {@link DatagramCalls#send}. Only
 * offsets are kept: nothing is allocated per datagram. Used by one thread.
 */
public final class SendBatch {
    /** The longest payload a slot takes: an IP datagram's length field allows no more. */
    public static final int MAX_PAYLOAD = 65_535;

    private final int slots;
    /** The OS's headers for the batch (NULL where it has none); the platform's alone. */
    final MemorySegment headers;
    /**
     * Where the one-datagram calls copy each datagram before its sendto (NULL for a batched
     * platform). A sendto takes a segment that starts at the datagram, and a slice of the
     * payloads made per datagram is an object per datagram; the copy is not.
     */
    final MemorySegment stagedPayload;
    final MemorySegment stagedName;
    MemorySegment payloads = MemorySegment.NULL;
    MemorySegment names = MemorySegment.NULL;
    final long[] offset;
    final int[] length;
    final long[] nameOffset;
    final int[] nameLength;
    final int[] segmentSize;

    SendBatch(Arena arena, int slots, long headerBytes, boolean staged) {
        if (slots < 1) {
            throw new IllegalArgumentException("a send batch needs a slot, got " + slots);
        }
        this.slots = slots;
        this.headers = headerBytes == 0 ? MemorySegment.NULL : arena.allocate(headerBytes, 8);
        MemorySegment stage = staged ? arena.allocate(ReceiveBatch.NAME_SIZE + MAX_PAYLOAD, 8) : MemorySegment.NULL;
        this.stagedName = staged ? stage.asSlice(0, ReceiveBatch.NAME_SIZE) : MemorySegment.NULL;
        this.stagedPayload = staged ? stage.asSlice(ReceiveBatch.NAME_SIZE, MAX_PAYLOAD) : MemorySegment.NULL;
        offset = new long[slots];
        length = new int[slots];
        nameOffset = new long[slots];
        nameLength = new int[slots];
        segmentSize = new int[slots];
    }

    /** {@return how many datagrams one send may take} */
    public int slots() {
        return slots;
    }

    /**
     * The memory the next {@link #set} calls point into.
     *
     * @param payloads where the payloads are
     * @param names where the sockaddrs are (NULL if none is used)
     */
    public void use(MemorySegment payloads, MemorySegment names) {
        this.payloads = payloads;
        this.names = names;
    }

    /**
     * Slot {@code i}: {@code length} bytes at {@code offset} of the payloads, to the sockaddr of
     * {@code nameLength} bytes at {@code nameOffset} of the names (0: the connected peer), cut
     * by the kernel into datagrams of {@code segmentSize} bytes (0: one datagram).
     *
     * @throws IndexOutOfBoundsException if a range lies outside its segment
     * @throws IllegalArgumentException for a payload over {@link #MAX_PAYLOAD} bytes or a sockaddr
     *     over {@link ReceiveBatch#NAME_SIZE}
     */
    public void set(int i, long offset, int length, long nameOffset, int nameLength, int segmentSize) {
        if (length > MAX_PAYLOAD || nameLength > ReceiveBatch.NAME_SIZE) {
            throw new IllegalArgumentException("send batch slot " + i + ": a payload has at most " + MAX_PAYLOAD
                    + " bytes and a sockaddr " + ReceiveBatch.NAME_SIZE + ", got " + length + " and " + nameLength);
        }
        if ((offset | length) < 0 || offset + length > payloads.byteSize()
                || (nameLength != 0 && ((nameOffset | nameLength) < 0 || nameOffset + nameLength > names.byteSize()))) {
            throw new IndexOutOfBoundsException("send batch slot " + i + ": payload " + offset + "+" + length + " of "
                    + payloads.byteSize() + ", name " + nameOffset + "+" + nameLength + " of " + names.byteSize());
        }
        this.offset[i] = offset;
        this.length[i] = length;
        this.nameOffset[i] = nameOffset;
        this.nameLength[i] = nameLength;
        this.segmentSize[i] = segmentSize;
    }
}
