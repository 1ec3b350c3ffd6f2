package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.ReceiveBatch;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.internal.LoopAccess;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The receiving side of one {@link DatagramEndpoint}: the batch (payloads in a buffer of the
 * loop's pool, one slot per datagram), the receive loop of a readiness event, and the handing of
 * each datagram to the handler, split again where GRO coalesced it and reported where it was
 * cut. Loop thread only.
 */
final class DatagramReceiver {
    private static final LoopAccess LOOPS = LoopAccess.get();

    private final DatagramEndpoint endpoint;
    private final EventLoop loop;
    private final int fd;
    private final DatagramCalls calls;
    private final DatagramOptions options;
    private final DatagramHandler handler;
    private final BufferPool pool;
    private final DatagramAddress sender;
    private BufferPool.Buffer buffer;
    private final ReceiveBatch batch;
    private boolean receiving;
    long received;
    long truncated;
    long receiveErrors;

    DatagramReceiver(DatagramEndpoint endpoint, EventLoop loop, int fd, DatagramCalls calls, DatagramOptions options,
                     DatagramHandler handler, BufferPool pool, Arena arena, boolean gro) {
        this.endpoint = endpoint;
        this.loop = loop;
        this.fd = fd;
        this.calls = calls;
        this.options = options;
        this.handler = handler;
        this.pool = pool;
        this.sender = new DatagramAddress(calls, endpoint.unixAddress() != null);
        // With GRO a slot takes a coalesced datagram: up to 64 KiB, whatever the datagram size.
        int slotBytes = gro ? DatagramOptions.MAX_DATAGRAM : options.maxDatagramSize();
        this.buffer = pool.acquire((slotBytes + 1L) * options.receiveBatch());
        this.batch = calls.allocateReceive(arena, buffer.segment, options.receiveBatch(), slotBytes, gro);
    }

    boolean receiving() {
        return receiving;
    }

    /** The buffer back to the pool; once, and not while a receive runs. */
    void free() {
        if (buffer != null) {
            pool.release(buffer);
            buffer = null;
        }
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
        MemorySegment view = buffer.readOnly;
        for (int i = 0; i < n && !endpoint.closed; i++) {
            sender.point(batch.name(i), batch.nameLength(i));
            long base = batch.offset(i);
            int length = batch.length(i);
            try {
                if (batch.truncated(i)) {
                    truncated++;
                    handler.onTruncated(endpoint, view.asSlice(base, length), sender);
                    continue;
                }
                int segment = batch.segmentSize(i);
                if (segment <= 0 || segment >= length) {
                    received++;
                    handler.onDatagram(endpoint, view.asSlice(base, length), sender);
                    continue;
                }
                for (int o = 0; o < length && !endpoint.closed; o += segment) { // GRO: the datagrams it coalesced
                    received++;
                    handler.onDatagram(endpoint, view.asSlice(base + o, Math.min(segment, length - o)), sender);
                }
            } catch (Throwable t) {
                endpoint.callbackFailed("onDatagram", t);
                return;
            }
        }
    }
}
