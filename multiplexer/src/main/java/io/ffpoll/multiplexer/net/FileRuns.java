package io.ffpoll.multiplexer.net;

import java.io.IOException;
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
    boolean lastWasSendfile; // the call the last send made, for its error's message
}
