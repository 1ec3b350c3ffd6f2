package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.ReceiveBatch;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopCounters;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The receiving side of one {@link DatagramEndpoint}: the batch (one slot per datagram, in
 * memory of the endpoint's own arena), the receive loop of a readiness event, and the handing
 * of each datagram to the handler, split again where GRO coalesced it and reported where it was
 * cut. Loop thread only.
 *
 * <p>Every datagram is handed over at one place, the start of slot 0 (the window): the first
 * of a batch is there already, and each later one is first copied there from its slot, which
 * slot 0's datagram no longer needs once its callback has returned. So the payload views
 * differ only in length, and one read-only view per length serves every datagram of that
 * length: receiving allocates a view the first time a length is seen, and never again. The
 * copy (of at most a datagram the kernel has just written, so in cache) is what a datagram in
 * slot i would otherwise cost in a new view object; a view per slot and length would be up to
 * {@code receiveBatch} times the objects, and a window that is not in the batch would cost the
 * first datagram a copy too. GRO is the exception: the segments of a coalesced receive are
 * handed over in place ({@link #segmentView}), so that up to 64 KiB is not copied piece by
 * piece; only a shorter last segment goes to the window.
 *
 * <p>The memory is the endpoint's, not the loop's pool: a view kept past its callback reads
 * later datagrams of this endpoint only, and throws {@link IllegalStateException} once the
 * endpoint has closed (its arena with it), where a pooled buffer would show another socket's
 * bytes.
 */
final class DatagramReceiver {
    private static final LoopAccess LOOPS = LoopAccess.get();
    private static final MemorySegment[] NO_VIEWS = new MemorySegment[0];

    private final DatagramEndpoint endpoint;
    private final EventLoop loop;
    private final int fd;
    private final DatagramCalls calls;
    private final DatagramOptions options;
    private final DatagramHandler handler;
    private final DatagramAddress sender;
    private final ReceiveBatch batch;
    /** The batch's payloads; slot 0's start is the window every datagram is handed over at. */
    private final MemorySegment payloads;
    private final MemorySegment window;
    /** views[n]: the window's first n bytes, made on first use. */
    private MemorySegment[] views = NO_VIEWS;
    /** The payloads, read-only, and the GRO segment views made of them: see {@link #segmentView}. */
    private final MemorySegment readOnly;
    private MemorySegment[][] segmentViews;
    private int[] segmentViewSize;
    private boolean receiving;
    long received;
    private final long[] loopCounts; // the loop's: each datagram is also its DATAGRAMS_IN
    long truncated;
    long receiveErrors;

    DatagramReceiver(DatagramEndpoint endpoint, EventLoop loop, int fd, DatagramCalls calls, DatagramOptions options,
                     DatagramHandler handler, Arena arena, boolean gro) {
        this.endpoint = endpoint;
        this.loop = loop;
        this.fd = fd;
        this.calls = calls;
        this.options = options;
        this.handler = handler;
        this.loopCounts = LOOPS.counters(loop).counts;
        this.sender = new DatagramAddress(calls, endpoint.unixAddress() != null);
        // With GRO a slot takes a coalesced datagram: up to 64 KiB, whatever the datagram size.
        int slotBytes = gro ? DatagramOptions.MAX_DATAGRAM : options.maxDatagramSize();
        this.payloads = arena.allocate((slotBytes + 1L) * options.receiveBatch(), 64);
        this.readOnly = payloads.asReadOnly();
        this.window = readOnly.asSlice(0, slotBytes);
        this.batch = calls.allocateReceive(arena, payloads, options.receiveBatch(), slotBytes, gro);
    }

    boolean receiving() {
        return receiving;
    }

    /**
     * Drops the views; the endpoint frees their memory (its arena) next, and not while a
     * receive runs.
     */
    void free() {
        views = NO_VIEWS;
        segmentViews = null;
    }

    /**
     * Receives until the kernel has no more (a short batch, or EAGAIN: both are a drained
     * socket, and the next datagram is a new edge) or the budget of calls is spent (then the
     * next iteration goes on, without a syscall).
     */
    void receive() {
        receiving = true;
        try {
            for (int made = 0; !endpoint.closed; made++) {
                if (made == options.receiveBudget()) {
                    LOOPS.redeliver(loop, fd, Interest.READABLE);
                    return;
                }
                int r = calls.receive(fd, batch);
                if (r == -Err.EAGAIN) {
                    loop.clearReadiness(fd, Interest.READABLE);
                    return;
                }
                if (r < 0) {
                    failed(-r);
                    continue;
                }
                deliver(r);
                if (endpoint.closed) {
                    return; // by a callback: the registration is gone
                }
                if (batch.pendingError() != 0) {
                    failed(batch.pendingError()); // after the datagrams that came before it; read on
                    if (endpoint.closed) {
                        return;
                    }
                    continue;
                }
                if (r < batch.slots()) {
                    loop.clearReadiness(fd, Interest.READABLE);
                    return;
                }
            }
        } finally {
            receiving = false;
            if (endpoint.closed) {
                endpoint.freeReceiveMemory(); // closed by a callback while the batch was in use
            }
        }
    }

    private void failed(int errno) {
        IOException error = Errors.exception((calls.batched() ? "recvmmsg" : "recvfrom") + "(fd " + fd + " on "
                + endpoint.local() + ")", errno);
        if (errno == Err.EBADF || errno == Err.ENOTSOCK || errno == Err.EINVAL) {
            endpoint.callbackFailed("recvmmsg", error); // not the peer's doing: the socket itself is unusable
            return;
        }
        receiveErrors++; // an ICMP error, say: the kernel reports it once
        endpoint.report(error);
    }

    private void deliver(int n) {
        for (int i = 0; i < n && !endpoint.closed; i++) {
            sender.point(batch.name(i), batch.nameLength(i));
            long base = batch.offset(i);
            int length = batch.length(i);
            try {
                if (batch.truncated(i)) {
                    truncated++;
                    handler.onTruncated(endpoint, inWindow(base, length), sender);
                    continue;
                }
                int segment = batch.segmentSize(i);
                // With GRO a slot takes 64 KiB whatever the maximum, and the kernel cuts nothing:
                // a datagram or segment longer than the maximum is cut here, as it would be without.
                int max = options.maxDatagramSize();
                if ((segment <= 0 || segment >= length) && length > max) {
                    truncated++;
                    handler.onTruncated(endpoint, inWindow(base, max), sender);
                    continue;
                }
                if (segment <= 0 || segment >= length) {
                    received++;
                    loopCounts[LoopCounters.DATAGRAMS_IN]++;
                    handler.onDatagram(endpoint, inWindow(base, length), sender);
                    continue;
                }
                for (int o = 0, k = 0; o < length && !endpoint.closed; o += segment, k++) { // GRO: what it coalesced
                    int bytes = Math.min(segment, length - o);
                    if (bytes > max) {
                        truncated++;
                        handler.onTruncated(endpoint, inWindow(base + o, max), sender);
                        continue;
                    }
                    received++;
                    loopCounts[LoopCounters.DATAGRAMS_IN]++;
                    handler.onDatagram(endpoint, bytes == segment ? segmentView(i, k, segment) : inWindow(base + o, bytes),
                            sender);
                }
            } catch (Throwable t) {
                endpoint.callbackFailed("onDatagram", t);
                return;
            }
        }
    }

    /**
     * The {@code length} bytes at {@code at} of the payloads, moved to the window if they are
     * not there. What they overwrite was handed over already: slot 0's datagram, or the GRO
     * segments before them (a later segment starts at least one segment further on, so the
     * bytes still to come are never touched).
     */
    private MemorySegment inWindow(long at, int length) {
        if (at != 0) {
            MemorySegment.copy(payloads, at, payloads, 0, length);
        }
        MemorySegment[] v = views;
        MemorySegment view = length < v.length ? v[length] : null;
        return view != null ? view : newView(length);
    }

    /**
     * Segment {@code k} of the GRO datagram in {@code slot}, in place: moving every segment to
     * the window would copy nearly all of a 64 KiB receive. One view per slot and segment index
     * is kept for the segment size the slot last had (a flow keeps its size), at most 64 per
     * slot, the kernel's most segments per GRO receive.
     */
    private MemorySegment segmentView(int slot, int k, int segment) {
        if (segmentViews == null) {
            segmentViews = new MemorySegment[batch.slots()][];
            segmentViewSize = new int[batch.slots()];
        }
        MemorySegment[] v = segmentViews[slot];
        if (v == null || segmentViewSize[slot] != segment) {
            v = new MemorySegment[Math.max(8, k + 1)];
            segmentViews[slot] = v;
            segmentViewSize[slot] = segment;
        } else if (k >= v.length) {
            v = Arrays.copyOf(v, Math.max(2 * v.length, k + 1));
            segmentViews[slot] = v;
        }
        MemorySegment view = v[k];
        if (view == null) {
            view = readOnly.asSlice(batch.offset(slot) + (long) k * segment, segment);
            v[k] = view;
        }
        return view;
    }

    /** The window's first {@code length} bytes, kept for every later datagram of that length. */
    private MemorySegment newView(int length) {
        if (length >= views.length) {
            views = Arrays.copyOf(views, (int) Math.min(window.byteSize() + 1, Math.max(64, 2L * (length + 1))));
        }
        MemorySegment view = window.asSlice(0, length);
        views[length] = view;
        return view;
    }
}
