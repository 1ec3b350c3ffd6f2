package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.Platform;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * The runs of files in a {@link WriteQueue}, in their order, and what sending them needs: made
 * on a connection's first {@code sendFile}, so that a connection that never sends a file pays
 * one reference for them. Loop thread only.
 */
final class FileRuns {
    /** Bytes of a file, queued after {@code ahead} memory bytes that follow the run before it (or the queue's head). */
    static final class Run {
        final OpenFile file;
        long ahead;
        long position;
        long remaining;

        Run(OpenFile file, long position, long count, long ahead) {
            this.file = file;
            this.position = position;
            this.remaining = count;
            this.ahead = ahead;
        }
    }

    final ArrayDeque<Run> runs = new ArrayDeque<>(2);
    long bytes;              // of the runs, not yet sent or taken
    long memoryAfterLast;    // memory bytes queued after the last run
    BufferPool.Buffer chunk; // a piece of the head run, read where sendfile cannot serve
    IOException failure;     // why the head run could not be sent
    boolean lastWasSendfile; // the call the last send made: its error's message, and whether a short count means full

    /**
     * Reads the next piece of the head run into {@link #chunk} (taken from {@code pool}, of
     * {@code chunkSize}, on first use): a view of what was read, or null with {@link #failure}
     * set (and the chunk given back) if the file cannot be read or ends before the run.
     */
    MemorySegment readHead(BufferPool pool, long chunkSize) {
        Run run = runs.peekFirst();
        if (chunk == null) {
            chunk = pool.acquire(chunkSize);
        }
        long want = Math.min(run.remaining, chunk.capacity());
        long n;
        do {
            n = Platform.current().files().pread(run.file.fd(), chunk.segment, want, run.position);
        } while (n == -Err.EINTR);
        if (n > 0) {
            return chunk.segment.asSlice(0, n);
        }
        releaseChunk(pool);
        failure = n == 0 ? shrank(run)
                : Errors.fileException("pread(fd " + run.file.fd() + ")", run.file.path().toString(), (int) -n);
        return null;
    }

    static IOException shrank(Run run) {
        return new IOException(run.file.path() + " ends at byte " + run.position + " with " + run.remaining
                + " bytes still to send: it shrank while it was being sent");
    }

    /** Gives the chunk back to {@code pool}, if one is held. */
    void releaseChunk(BufferPool pool) {
        if (chunk != null) {
            pool.release(chunk);
            chunk = null;
        }
    }
}
