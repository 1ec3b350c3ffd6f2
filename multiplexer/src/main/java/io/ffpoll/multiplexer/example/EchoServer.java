package io.ffpoll.multiplexer.example;

import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.multiplexer.Event;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.IoHandler;
import io.ffpoll.multiplexer.Listener;
import io.ffpoll.multiplexer.Tcp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

/**
 * A TCP echo server on one {@link EventLoop}, written against the public API only: the
 * README's "run" command. Usage: {@code EchoServer [port]} (default 7007, on 127.0.0.1).
 *
 * <p>It shows edge-triggered use: read until EAGAIN; when the peer does not take the echo
 * fast enough, keep the rest, stop reading (interest WRITABLE only) and resume when it drains.
 */
public final class EchoServer {
    private static final Logger LOG = LoggerFactory.getLogger(EchoServer.class);

    private final EventLoop loop;
    private final MemorySegment buffer; // loop-shared: used only on the loop thread
    private final Arena arena = Arena.ofShared();

    public EchoServer(EventLoop loop) {
        this.loop = loop;
        this.buffer = arena.allocate(64 * 1024);
    }

    /** Starts accepting on {@code listenFd}; call on the loop thread. */
    public Listener start(int listenFd) {
        return Listener.start(loop, listenFd, (fd, peer) -> loop.register(fd, Interest.READABLE, new Connection(fd)));
    }

    /** Releases the shared buffer once the loop has stopped. */
    public void release() {
        arena.close();
    }

    private final class Connection implements IoHandler {
        private final int fd;
        private byte[] pending; // bytes read but not yet echoed, if the socket was full
        private int pendingOffset;

        Connection(int fd) {
            this.fd = fd;
        }

        @Override
        public void onEvent(Event event) {
            if (event.isWritable() && pending != null && !flushPending()) {
                return;
            }
            if (pending == null) {
                echo();
            }
        }

        private void echo() {
            while (true) {
                long n = Fd.read(fd, buffer, buffer.byteSize());
                if (n == -ErrnoCodes.EAGAIN) {
                    loop.clearReadiness(fd, Interest.READABLE);
                    return;
                }
                if (n <= 0) { // 0: the peer closed; < 0: reset or another error
                    close();
                    return;
                }
                long written = write(buffer, n);
                if (written < 0) {
                    close();
                    return;
                }
                if (written < n) {
                    pending = buffer.asSlice(written, n - written).toArray(ValueLayout.JAVA_BYTE);
                    pendingOffset = 0;
                    loop.modify(fd, Interest.WRITABLE); // stop reading until the peer catches up
                    return;
                }
            }
        }

        private long write(MemorySegment data, long length) {
            long done = 0;
            while (done < length) {
                long w = Fd.write(fd, data.asSlice(done), length - done);
                if (w == -ErrnoCodes.EAGAIN) {
                    loop.clearReadiness(fd, Interest.WRITABLE);
                    return done;
                }
                if (w < 0) {
                    return w;
                }
                done += w;
            }
            return done;
        }

        /** True when everything pending went out and reading resumed. */
        private boolean flushPending() {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment rest = a.allocateFrom(ValueLayout.JAVA_BYTE, pending)
                        .asSlice(pendingOffset);
                long w = write(rest, rest.byteSize());
                if (w < 0) {
                    close();
                    return false;
                }
                pendingOffset += (int) w;
            }
            if (pendingOffset < pending.length) {
                return false;
            }
            pending = null;
            loop.modify(fd, Interest.READABLE); // remembered readability is delivered, if any
            return true;
        }

        private void close() {
            try {
                loop.close(fd);
            } catch (IOException e) {
                LOG.debug("close fd {}: {}", fd, e.getMessage());
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7007;
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        int listenFd = Tcp.listen(address, 1024, false);
        EventLoop loop = EventLoop.start("echo-loop");
        EchoServer server = new EchoServer(loop);
        loop.execute(() -> server.start(listenFd));
        LOG.info("echo server listening on {} ({} backend); try: nc {} {}   (Ctrl-C stops it)",
                Tcp.localAddress(listenFd), loop.backend(), address.getHostString(), port);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            loop.close();
            server.release();
            stop.countDown();
        }));
        stop.await();
    }
}
