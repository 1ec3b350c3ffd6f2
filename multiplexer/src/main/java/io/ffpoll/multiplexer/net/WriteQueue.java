package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.FileCalls;
import io.ffpoll.bindings.platform.Gather;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.internal.LoopCounters;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Bytes written to a connection that the socket has not taken yet: a FIFO of pooled chunks.
 * Each byte is copied in once; {@link #gather} points an iovec array at the queued bytes so
 * one sendmsg sends many chunks, and {@link #consume} gives sent chunks back to the pool.
 *
 * <p>Runs of a file ({@link #appendFile}) sit between the bytes in the order they were queued,
 * and cost no memory while they wait: each is sent by sendfile(2) when it reaches the head, or,
 * where sendfile cannot serve (TLS, a descriptor that is not a socket, an OS without it), read
 * into a pooled chunk a piece at a time, just before that piece is sent or encrypted.
 */
final class WriteQueue {
    static final long CHUNK = 16 * 1024;
    /** {@link #send} says so when the file at the head failed; {@link #fileFailure()} says why. */
    static final long FILE_FAILED = Long.MIN_VALUE;
    // Linux's sendfile moves at most 0x7ffff000 bytes a call; a socket takes far less at once.
    private static final long SENDFILE_MOST = 1L << 30;

    private final BufferPool pool;
    // The chunks, linked through their own next fields: an idle connection's queue is these
    // two null references, with no deque or array of its own.
    private BufferPool.Buffer first;
    private BufferPool.Buffer last;
    private long headOffset; // first unsent byte in the first chunk
    private long tailLimit;  // first free byte in the last chunk
    private long bytes;
    // Taken out by TLS into records that are not all sent yet: still counted as queued (the
    // watermarks and flush futures see plaintext, as on plain TCP) until the records are sent.
    private long held;
    private long gathered;
    private long sent;
    private long carried; // of sent: plaintext that went out inside TLS records (heldSent)
    private FileRuns files; // made on the first file queued
    private final long[] loopCounts; // the loop's counters: what the socket took is its BYTES_OUT

    WriteQueue(BufferPool pool, long[] loopCounts) {
        this.pool = pool;
        this.loopCounts = loopCounts;
    }

    /** Bytes written and not yet sent, including those TLS holds in records not yet sent. */
    long bytes() {
        return bytes + fileBytes() + held;
    }

    private long fileBytes() {
        return files == null ? 0 : files.bytes;
    }

    boolean isEmpty() {
        return bytes + fileBytes() + held == 0;
    }

    /** Bytes still to be taken: not yet handed to TLS (all queued bytes on plain TCP). */
    long untaken() {
        return bytes + fileBytes();
    }

    /** Memory bytes before the first queued file (all of them when none is queued). */
    private long memoryAhead() {
        return files == null || files.runs.isEmpty() ? bytes : files.runs.peekFirst().ahead;
    }

    /** Whether the next byte to send is a file's. */
    boolean headIsFile() {
        return files != null && !files.runs.isEmpty() && files.runs.peekFirst().ahead == 0;
    }

    /**
     * The first contiguous run of untaken bytes (at most a chunk), a view valid until the queue
     * changes. Only while {@link #untaken()} is positive. A file at the head is read here, into
     * a pooled chunk that {@link #consume} gives back.
     *
     * @throws IOException if the file at the head cannot be read, or ends before its bytes
     */
    MemorySegment head() throws IOException {
        if (headIsFile()) {
            MemorySegment piece = readFileHead();
            if (piece == null) {
                throw files.failure;
            }
            return piece;
        }
        long end = first == last ? tailLimit : first.capacity();
        return first.segment.asSlice(headOffset, Math.min(end - headOffset, memoryAhead()));
    }

    /**
     * Queues {@code count} bytes of {@code file} from {@code position}, after the bytes queued
     * so far; the caller has taken a hold on the file, which the queue gives back once the
     * bytes are sent or the queue is cleared.
     */
    void appendFile(OpenFile file, long position, long count) {
        if (files == null) {
            files = new FileRuns();
        }
        files.runs.addLast(new FileRuns.Run(file, position, count, files.runs.isEmpty() ? bytes : files.memoryAfterLast));
        files.memoryAfterLast = 0;
        files.bytes += count;
    }

    /** Why the last {@link #send} said {@link #FILE_FAILED}. */
    IOException fileFailure() {
        return files.failure;
    }

    /** The call the last {@link #send} made, for its error's message. */
    String lastCall(boolean notSocket) {
        return files != null && files.lastWasSendfile ? "sendfile" : notSocket ? "writev" : "sendmsg";
    }

    /** The runs' {@link FileRuns#readHead}, into a chunk of this queue's pool. */
    private MemorySegment readFileHead() {
        return files.readHead(pool, CHUNK);
    }

    private void releaseFileChunk() {
        if (files != null) {
            files.releaseChunk(pool);
        }
    }

    /** TLS took {@code n} bytes from the head into records: they leave the chunks, but stay counted until {@link #heldSent()}. */
    void hold(long n) {
        consume(n);
        held += n;
    }

    /** The records that held bytes went out: they count as sent now. */
    void heldSent() {
        sent += held;
        carried += held;
        held = 0;
    }

    private MemorySegment tailWithRoom() {
        if (last == null || tailLimit == last.capacity()) {
            BufferPool.Buffer tail = pool.acquire(CHUNK);
            if (last == null) {
                first = tail;
            } else {
                last.next = tail;
            }
            last = tail;
            tailLimit = 0;
        }
        return last.segment;
    }

    /** Unlinks the first chunk and gives it back to the pool. */
    private void releaseFirst() {
        BufferPool.Buffer b = first;
        first = b.next;
        if (first == null) {
            last = null;
        }
        b.next = null;
        pool.release(b);
    }

    void append(MemorySegment src, long offset, long length) {
        long length0 = length;
        while (length > 0) {
            MemorySegment tail = tailWithRoom();
            long n = Math.min(length, tail.byteSize() - tailLimit);
            MemorySegment.copy(src, offset, tail, tailLimit, n);
            tailLimit += n;
            offset += n;
            length -= n;
            bytes += n;
        }
        queuedAfterFiles(length0);
    }

    void append(byte[] src, int offset, int length) {
        int length0 = length;
        while (length > 0) {
            MemorySegment tail = tailWithRoom();
            int n = (int) Math.min(length, tail.byteSize() - tailLimit);
            MemorySegment.copy(src, offset, tail, ValueLayout.JAVA_BYTE, tailLimit, n);
            tailLimit += n;
            offset += n;
            length -= n;
            bytes += n;
        }
        queuedAfterFiles(length0);
    }

    /** Memory bytes were queued: after the last file run, if one is queued, they are its followers. */
    private void queuedAfterFiles(long n) {
        if (files != null && !files.runs.isEmpty()) {
            files.memoryAfterLast += n;
        }
    }

    /**
     * One gathering sendmsg of the queued bytes (up to {@code gather}'s capacity) to {@code fd},
     * never raising SIGPIPE: the bytes the socket took (they leave the queue), or -errno.
     * {@link #gatheredBytes()} then tells how many were offered.
     */
    long send(int fd, Gather gather) {
        return send(fd, gather, false);
    }

    /** {@link #send(int, Gather)}, with writev for a descriptor that is not a socket. */
    long send(int fd, Gather gather, boolean notSocket) {
        if (headIsFile()) {
            return sendFileHead(fd, notSocket);
        }
        if (files != null) {
            files.lastWasSendfile = false;
        }
        int count = gather(gather);
        // A file follows these bytes at once: the kernel holds them to fill segments with it.
        boolean fileNext = files != null && !files.runs.isEmpty() && gathered == memoryAhead();
        long n = notSocket ? Platform.current().unix().writeGathered(fd, gather, count)
                : fileNext ? Platform.current().sendGatheredWithMore(fd, gather, count)
                : Platform.current().sendGathered(fd, gather, count);
        if (n > 0) {
            consume(n);
            sent += n;
            loopCounts[LoopCounters.BYTES_OUT] += n;
        }
        return n;
    }

    /**
     * Sends the file at the head: with sendfile(2) from the page cache to a socket where the OS
     * has it, else a piece read into a pooled chunk and sent from there. Returns as
     * {@link #send} does; {@link #gatheredBytes()} tells how many bytes were offered.
     */
    private long sendFileHead(int fd, boolean notSocket) {
        FileRuns.Run run = files.runs.peekFirst();
        FileCalls calls = Platform.current().files();
        long n;
        if (!notSocket && calls.hasSendfile()) {
            files.lastWasSendfile = true;
            gathered = Math.min(run.remaining, SENDFILE_MOST);
            n = calls.sendfile(fd, run.file.fd(), run.position, gathered);
            if (n == 0) {
                files.failure = FileRuns.shrank(run);
                return FILE_FAILED;
            }
        } else {
            files.lastWasSendfile = false;
            MemorySegment piece = readFileHead();
            if (piece == null) {
                return FILE_FAILED;
            }
            gathered = piece.byteSize();
            n = notSocket ? Platform.current().write(fd, piece, gathered)
                    : Platform.current().send(fd, piece, gathered, false);
            releaseFileChunk(); // what the socket did not take is read again next time
        }
        if (n > 0) {
            consume(n);
            sent += n;
            loopCounts[LoopCounters.BYTES_OUT] += n;
        }
        return n;
    }

    /**
     * Whether the last send's short count says the socket is full. A short sendfile does not:
     * the file may have ended early (it shrank), and only the next call tells, with EAGAIN
     * for a full socket or 0 for a file with nothing more.
     */
    boolean shortSendMeansFull() {
        return files == null || !files.lastWasSendfile;
    }

    /** A send made elsewhere (a ring's) took the first {@code n} gathered bytes. */
    void sentBy(long n) {
        consume(n);
        sent += n;
        loopCounts[LoopCounters.BYTES_OUT] += n;
    }

    /** Bytes the socket has taken from this queue so far. */
    long sent() {
        return sent;
    }

    /** Bytes of this queue that went to the socket as they are, not inside TLS records. */
    long sentOnWire() {
        return sent - carried;
    }

    /** Bytes taken from this queue so far: sent, or held by TLS in records not yet sent. */
    long taken() {
        return sent + held;
    }

    /** Counts {@code n} bytes that went to the socket without passing through the queue. */
    void sentDirectly(long n) {
        sent += n;
        loopCounts[LoopCounters.BYTES_OUT] += n;
    }

    /** Fills {@code iov}'s iovecs with the queued bytes, in order; returns how many it used. */
    int gather(Gather iov) {
        int max = iov.capacity();
        gathered = 0;
        long limit = memoryAhead(); // a queued file's bytes come next: stop before them
        int i = 0;
        for (BufferPool.Buffer chunk = first; chunk != null && i < max && limit > 0; chunk = chunk.next) {
            long start = chunk == first ? headOffset : 0;
            long end = chunk == last ? tailLimit : chunk.capacity();
            long length = Math.min(end - start, limit);
            iov.set(i++, chunk.segment, start, length);
            gathered += length;
            limit -= length;
        }
        return i;
    }

    /** Bytes the last {@link #gather} pointed at. */
    long gatheredBytes() {
        return gathered;
    }

    /** Drops the first {@code n} bytes, of memory and of files in their order (they were sent or taken). */
    void consume(long n) {
        releaseFileChunk();
        while (n > 0) {
            if (headIsFile()) {
                FileRuns.Run run = files.runs.peekFirst();
                long k = Math.min(n, run.remaining);
                run.position += k;
                run.remaining -= k;
                files.bytes -= k;
                n -= k;
                if (run.remaining == 0) {
                    files.runs.pollFirst();
                    run.file.release();
                    if (files.runs.isEmpty()) {
                        files.memoryAfterLast = 0; // what followed it is simply ahead now
                    }
                }
            } else {
                long k = Math.min(n, memoryAhead());
                if (k == 0) {
                    throw new IllegalStateException("consumed " + n + " bytes more than queued");
                }
                consumeMemory(k);
                n -= k;
            }
        }
    }

    private void consumeMemory(long n) {
        bytes -= n;
        if (files != null && !files.runs.isEmpty()) {
            files.runs.peekFirst().ahead -= n; // the memory sent was ahead of the first run
        }
        while (n > 0) {
            long end = first == last ? tailLimit : first.capacity();
            long available = end - headOffset;
            if (n < available) {
                headOffset += n;
                return;
            }
            n -= available;
            releaseFirst();
            headOffset = 0;
        }
        if (first == null) {
            tailLimit = 0;
        } else if (bytes == 0) {
            // Everything sent but the last chunk still has room: keep only while it is useful.
            releaseFirst();
            headOffset = 0;
            tailLimit = 0;
        }
    }

    /** Gives every chunk back, sent or not. */
    void clear() {
        releaseFileChunk();
        if (files != null) {
            FileRuns.Run run;
            while ((run = files.runs.pollFirst()) != null) {
                run.file.release();
            }
            files.bytes = 0;
            files.memoryAfterLast = 0;
        }
        held = 0; // TLS may have taken bytes of a file into records with no chunk ever made
        while (first != null) {
            releaseFirst();
        }
        headOffset = 0;
        tailLimit = 0;
        bytes = 0;
    }
}
