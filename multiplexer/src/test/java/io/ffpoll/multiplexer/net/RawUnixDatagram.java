package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.platform.ReceiveBatch;
import io.ffpoll.bindings.platform.SendBatch;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * A Unix datagram socket of the test's own, on no loop: bound to a name or not (then it sends
 * as an unnamed socket), it sends and receives one datagram per call from the test thread, and
 * reads only when told to, so it can stand for a peer that does not read. Non-blocking; its
 * waits poll with a 30 s deadline. Closed by {@link #close()} (its fd and memory).
 */
final class RawUnixDatagram implements AutoCloseable {
    private static final Platform OS = Platform.current();
    private static final int MAX = 4096;

    private final DatagramCalls calls = OS.datagrams();
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment payloads = arena.allocate(MAX + 1);
    private final MemorySegment names = OS.allocateSockaddr(arena);
    private final ReceiveBatch in = calls.allocateReceive(arena, payloads, 1, MAX, false);
    private final SendBatch out = calls.allocateSend(arena, 1);
    final int fd;

    /** A socket bound to {@code name}, or unbound for null. */
    RawUnixDatagram(UnixAddress name) throws IOException {
        fd = Errors.check(calls.socket(OS.unix().unixFamily()), "socket(AF_UNIX, SOCK_DGRAM)");
        if (name != null) {
            int r = OS.bind(fd, names, OS.unix().encodeUnix(name.bytes(), name.isAbstract(), names));
            if (r < 0) {
                close();
                Errors.check(r, "bind(" + name + ")");
            }
        }
        out.use(payloads, names);
    }

    /** Sends {@code bytes} to {@code to} at once: 1, or -errno (-EAGAIN: its queue is full). */
    int send(byte[] bytes, UnixAddress to) {
        MemorySegment.copy(bytes, 0, payloads, ValueLayout.JAVA_BYTE, 0, bytes.length);
        out.set(0, 0, bytes.length, 0, OS.unix().encodeUnix(to.bytes(), to.isAbstract(), names), 0);
        return calls.send(fd, out, 1);
    }

    /** One waiting datagram, or null if none is there. */
    byte[] poll() throws IOException {
        int r = calls.receive(fd, in);
        if (r == -Err.EAGAIN) {
            return null;
        }
        Errors.check(r, "recvfrom(fd " + fd + ")");
        return payloads.asSlice(in.offset(0), in.length(0)).toArray(ValueLayout.JAVA_BYTE);
    }

    /** The next datagram, waited for up to 30 s. */
    byte[] receive() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        byte[] got;
        while ((got = poll()) == null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no datagram came to fd " + fd + " in 30 s");
            }
            Thread.sleep(1);
        }
        return got;
    }

    @Override
    public void close() {
        OS.close(fd);
        arena.close();
    }
}
