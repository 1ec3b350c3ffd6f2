package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.Platform;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * What the Unix datagram tests share: a temporary directory for socket files, a handler that
 * records what it hears (the sender read in place too), the kernel's bound on a receiver's
 * queue, and a round trip or two to show the loop serves on. The checks at the end (no
 * descriptor or pooled buffer left) are {@link DatagramTestBase}'s.
 */
abstract class UnixDatagramTestBase extends DatagramTestBase {
    static final Platform OS = Platform.current();
    @TempDir
    Path dir;

    /** Records copies of what an endpoint hears, and each sender as read in place. */
    static final class Recorder implements DatagramHandler {
        final BlockingQueue<byte[]> datagrams = new LinkedBlockingQueue<>();
        final BlockingQueue<byte[]> truncated = new LinkedBlockingQueue<>();
        final BlockingQueue<IOException> errors = new LinkedBlockingQueue<>();
        final BlockingQueue<UnixAddress> senders = new LinkedBlockingQueue<>();
        final BlockingQueue<String> inPlace = new LinkedBlockingQueue<>();
        final boolean echo;

        Recorder(boolean echo) {
            this.echo = echo;
        }

        @Override
        public void onDatagram(DatagramEndpoint endpoint, MemorySegment payload, DatagramAddress sender) {
            byte[] name = new byte[108];
            int n = sender.unixName(name);
            inPlace.add((sender.isAbstract() ? "@" : "") + new String(name, 0, n, StandardCharsets.UTF_8)
                    + (sender.isUnnamed() ? "(unnamed)" : ""));
            senders.add(sender.toUnixAddress());
            datagrams.add(payload.toArray(ValueLayout.JAVA_BYTE));
            if (echo) {
                endpoint.send(payload, sender);
            }
        }

        @Override
        public void onTruncated(DatagramEndpoint endpoint, MemorySegment prefix, DatagramAddress sender) {
            truncated.add(prefix.toArray(ValueLayout.JAVA_BYTE));
        }

        @Override
        public void onError(DatagramEndpoint endpoint, IOException error) {
            errors.add(error);
        }
    }

    DatagramEndpoint bind(java.net.SocketAddress at, DatagramOptions options, DatagramHandler handler) throws Exception {
        return DatagramEndpoint.bind(loop, at, options, handler).get(30, TimeUnit.SECONDS);
    }

    UnixAddress freshPath() {
        return UnixAddress.path(UnixTesting.freshPath(dir));
    }

    /** The receiver's queue length, as the kernel bounds it (net.unix.max_dgram_qlen; it takes one more). */
    static int receiverQueue() throws IOException {
        // readAllLines, not readString: procfs files have size 0, and readString then reads one byte.
        return Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/unix/max_dgram_qlen")).get(0).trim()) + 1;
    }

    /** {@code n} round trips between two fresh endpoints on the loop: it serves on. */
    void pingPong(int n) throws Exception {
        Recorder atB = new Recorder(false);
        DatagramEndpoint a = bind(freshPath(), DatagramOptions.DEFAULTS, new Recorder(true));
        DatagramEndpoint b = bind(freshPath(), DatagramOptions.DEFAULTS, atB);
        for (int i = 0; i < n; i++) {
            byte[] p = pattern(16, i);
            onLoop(() -> b.send(MemorySegment.ofArray(p), a.unixAddress()));
            assertArrayEquals(p, atB.datagrams.poll(30, TimeUnit.SECONDS));
        }
        close(a);
        close(b);
    }
}
