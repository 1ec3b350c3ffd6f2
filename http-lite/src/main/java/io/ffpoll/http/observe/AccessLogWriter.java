package io.ffpoll.http.observe;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The access log's one writer thread and the bounded queue the loops hand it records through.
 * A loop only ever offers: when the queue is full the record is dropped and counted, so a slow
 * disk or a stalled pipe costs lines, never a loop's time. The writer formats off the loops,
 * writes whole lines only (a batch's lines in one write, so that several worker processes
 * appending to one file never split a line), and flushes whenever the queue runs empty.
 * Dropped lines are logged (slf4j) at most once a minute while they grow, and at close.
 */
public final class AccessLogWriter {
    private static final Logger LOG = LoggerFactory.getLogger(AccessLogWriter.class);
    private static final long REPORT_EVERY = TimeUnit.MINUTES.toNanos(1);
    private static final int WRITE_AT = 64 * 1024; // bytes formatted before a write, within one batch
    private static final RequestRecord END = new RequestRecord(null, 0, false, null, null, null);
    /**
     * Request-line bytes that may wait at most, beside the count: 65,536 records of 8 KiB
     * targets would hold 512 MiB while the writer is stuck, more than the launcher's heap.
     */
    static final long MAX_QUEUED_BYTES = 16L << 20;
    private final long maxQueuedBytes;

    private final ArrayBlockingQueue<RequestRecord> queue;
    private final OutputStream out;
    private final boolean ownsOut;
    private final AccessLogFormat format;
    private final String name;
    private final int capacity;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile boolean closing;
    // Writer thread only.
    private long reported;
    private long reportedAt;
    private boolean failedBefore;

    /**
     * Starts the writer thread.
     *
     * @param out      where lines go
     * @param ownsOut  whether {@link #closeAsync} closes {@code out} (a file opened for it) or only flushes it (stdout)
     * @param json     JSON lines, else the Common Log Format
     * @param capacity records that may wait for the writer; beyond, they are dropped
     * @param name     what the log writes to, for the messages about it
     */
    public AccessLogWriter(OutputStream out, boolean ownsOut, boolean json, int capacity, String name) {
        this(out, ownsOut, json, capacity, MAX_QUEUED_BYTES, name);
    }

    AccessLogWriter(OutputStream out, boolean ownsOut, boolean json, int capacity, long maxQueuedBytes, String name) {
        this.maxQueuedBytes = maxQueuedBytes;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.out = out;
        this.ownsOut = ownsOut;
        this.format = new AccessLogFormat(json, ZoneId.systemDefault());
        this.name = name;
        this.capacity = capacity;
        // A platform thread: blocking file writes would pin a virtual thread's carrier anyway.
        // Daemon: a log its owner forgot to close must not keep the JVM alive.
        Thread.ofPlatform().daemon().name("http-lite-access-log").start(this::run);
    }

    /** Any thread (a loop's): queues {@code r} if there is room, else counts it dropped. Never blocks. */
    public void offer(RequestRecord r) {
        long size = r.lineBytes();
        // Loops racing past the byte bound overshoot it by a request line each at most.
        if (closing || queuedBytes.get() + size > maxQueuedBytes || !queue.offer(r)) {
            dropped.incrementAndGet();
            return;
        }
        queuedBytes.addAndGet(size);
    }

    /** {@return lines not written: dropped because the queue was full, offered after close, or lost to a failed write} */
    public long dropped() {
        return dropped.get();
    }

    /**
     * Stops taking lines, writes and flushes those queued, closes the stream if it is the log's,
     * and ends the thread; never blocks the caller. Again: the same future.
     *
     * @return done once the last line is written and the thread has ended
     */
    public CompletableFuture<Void> closeAsync() {
        closing = true;
        // If the queue is full the writer is busy with it and sees closing when it is empty.
        queue.offer(END);
        return closed;
    }

    private void run() {
        List<RequestRecord> batch = new ArrayList<>();
        StringBuilder text = new StringBuilder(WRITE_AT + 4096);
        try {
            boolean end = false;
            while (!end) {
                batch.add(queue.take());
                queue.drainTo(batch);
                for (RequestRecord r : batch) {
                    queuedBytes.addAndGet(-r.lineBytes());
                    if (r == END) {
                        end = true; // and the records a loop offered as the log closed, after it
                    } else {
                        format.append(r, text);
                    }
                    if (text.length() >= WRITE_AT) {
                        write(text);
                    }
                }
                write(text);
                batch.clear();
                if (queue.isEmpty()) {
                    flush();
                    end |= closing;
                    reportDropped(false);
                }
            }
        } catch (InterruptedException e) {
            // Nobody interrupts this thread but the JVM's end: what is queued is lost.
        } catch (RuntimeException | Error e) {
            LOG.error("the access log to {} failed; no more lines will be written", name, e);
            closing = true;
        } finally {
            flush();
            if (ownsOut) {
                try {
                    out.close();
                } catch (IOException e) {
                    LOG.warn("closing the access log {} failed: {}", name, e.toString());
                }
            }
            reportDropped(true);
            closed.complete(null);
        }
    }

    /** Writes the lines in {@code text}: a failed write loses them, counted as dropped. */
    private void write(StringBuilder text) {
        if (text.isEmpty()) {
            return;
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        try {
            out.write(bytes);
        } catch (IOException e) {
            lost(text, e);
        }
        text.setLength(0);
    }

    private void lost(StringBuilder text, IOException e) {
        long lines = text.chars().filter(c -> c == '\n').count();
        dropped.addAndGet(lines);
        if (!failedBefore) { // once: a full disk would otherwise log at every batch
            failedBefore = true;
            LOG.warn("writing the access log to {} failed; its lines are dropped while it fails: {}", name, e.toString());
        }
    }

    private void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            if (!failedBefore) {
                failedBefore = true;
                LOG.warn("flushing the access log to {} failed: {}", name, e.toString());
            }
        }
    }

    private void reportDropped(boolean atClose) {
        long n = dropped.get();
        long now = System.nanoTime();
        if (n > reported && (atClose || reportedAt == 0 || now - reportedAt > REPORT_EVERY)) {
            LOG.warn("access log to {}: {} line(s) dropped so far (the writer fell behind: queue of {} full{})",
                    name, n, capacity, failedBefore ? ", or writes failed" : "");
            reported = n;
            reportedAt = now;
        }
    }
}
