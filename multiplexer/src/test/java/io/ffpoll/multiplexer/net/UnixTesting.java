package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.Platform;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Helpers for the Unix-socket and stream-fd tests: an echo handler, a JDK client, ids. */
final class UnixTesting {
    static final Platform OS = Platform.current();
    private static final AtomicInteger NAMES = new AtomicInteger();

    private UnixTesting() {}

    /** A short, fresh socket path in a fresh directory (sun_path is short). */
    static Path freshPath(Path dir) {
        return dir.resolve("s" + NAMES.incrementAndGet() + ".sock");
    }

    /** A fresh abstract name, unique to this process and call. */
    static String freshName() {
        return "ffpoll-test-" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet();
    }

    /** Writes everything it reads back, pausing while its peer does not read. */
    static class Echo implements ConnectionHandler {
        @Override
        public long onData(Connection connection, MemorySegment data) {
            connection.write(data);
            if (!connection.isWritable()) {
                connection.pauseReading();
            }
            return data.byteSize();
        }

        @Override
        public void onWritabilityChanged(Connection connection, boolean writable) {
            if (writable) {
                connection.resumeReading();
            }
        }
    }

    /** Reads a blocking {@code fd} until {@code max} bytes or its end. */
    static byte[] readUpTo(int fd, int max) {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment buf = arena.allocate(65536);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            while (out.size() < max) {
                long n = OS.read(fd, buf, Math.min(65536, max - out.size()));
                if (n < 0) {
                    throw new AssertionError("read: " + OS.describe((int) -n));
                }
                if (n == 0) {
                    break;
                }
                out.write(buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), 0, (int) n);
            }
            return out.toByteArray();
        }
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Sends {@code bytes} over a JDK Unix client to {@code path} and asserts they come back. */
    static void echoOnce(Path path, byte[] bytes) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            ByteBuffer out = ByteBuffer.wrap(bytes);
            ByteBuffer in = ByteBuffer.allocate(bytes.length);
            // Send and read in turns so that neither side's buffers can fill up and stop both.
            while (in.hasRemaining()) {
                if (out.hasRemaining()) {
                    ByteBuffer slice = out.slice(out.position(), Math.min(out.remaining(), 8192));
                    int n = ch.write(slice);
                    out.position(out.position() + n);
                }
                if (ch.read(in) < 0) {
                    break;
                }
            }
            assertEquals(bytes.length, in.position(), "bytes echoed");
            assertArrayEquals(bytes, in.array());
        }
    }

    /** The effective uid and gid of this process, from /proc/self/status (Linux). */
    static long[] uidGid() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/status"));
        long uid = -1;
        long gid = -1;
        for (String l : lines) {
            String[] f = l.split("\\s+");
            if (f[0].equals("Uid:")) {
                uid = Long.parseLong(f[2]); // real, effective, saved, fs
            } else if (f[0].equals("Gid:")) {
                gid = Long.parseLong(f[2]);
            }
        }
        return new long[] {uid, gid};
    }

    /** Opens and closes the JDK's Unix channels once, so that what they keep is not counted as a leak. */
    static void warmUpJdk(Path dir) throws IOException {
        Path p = dir.resolve("warm.sock");
        try (ServerSocketChannel s = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(p));
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(p)); SocketChannel a = s.accept()) {
                c.write(ByteBuffer.wrap(new byte[1]));
                a.read(ByteBuffer.allocate(1));
            }
        }
        Files.deleteIfExists(p);
    }
}
