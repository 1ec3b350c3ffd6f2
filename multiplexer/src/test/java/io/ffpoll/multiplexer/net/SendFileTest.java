package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Connection#sendFile}: a file's bytes go out in their place between written bytes, by
 * sendfile(2) with no buffer while they wait, the file stays open until they are sent, and a
 * file that shrinks under a send ends the connection instead of mis-framing the stream. Runs
 * on both Linux engines (the io_uring suite runs it again).
 */
class SendFileTest extends LoopTestBase {
    @TempDir
    Path dir;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Reads until EOF, or until the peer resets (then what came before it). */
    private static byte[] readToEnd(Socket s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[65536];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        } catch (java.net.SocketException reset) {
            // what came before the reset is what the test compares
        }
        return out.toByteArray();
    }

    /** Runs {@code body} when its connection opens, discards what the peer sends, and records how the connection ends. */
    private static ConnectionHandler sending(java.util.function.Consumer<Connection> body,
                                             CompletableFuture<IOException> closed) {
        return new ConnectionHandler() {
            @Override
            public void onOpen(Connection c) {
                body.accept(c);
            }

            @Override
            public long onData(Connection c, MemorySegment data) {
                return data.byteSize();
            }

            @Override
            public void onClosed(Connection c, IOException cause) {
                closed.complete(cause);
            }
        };
    }

    /** Runs {@code body} on the connection the server accepts next, and records how it ends. */
    private CompletableFuture<IOException> serveOne(java.util.function.Consumer<Connection> body) throws Exception {
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        serve((fd, peer) -> Connection.open(loop, fd, peer, sending(body, closed)));
        return closed;
    }

    /** What a test does with the connection it serves and the file opened for it (closed after). */
    private interface Sending {
        void send(Connection c, OpenFile file) throws IOException;
    }

    /** The connection the last {@link #serveFile} served; read on the loop. */
    private Connection served;

    /** {@link #serveOne} that opens {@code f} for {@code body} and closes it after (the sends hold it on). */
    private CompletableFuture<IOException> serveFile(Path f, Sending body) throws Exception {
        return serveOne(c -> {
            served = c;
            try (OpenFile file = OpenFile.open(f, false)) {
                body.send(c, file);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void aFilesBytesGoOutInTheirPlaceBetweenWritesBySendfile() throws Exception {
        byte[] data = random(3 << 20, 1);
        Path f = dir.resolve("big.bin");
        Files.write(f, data);
        long sendfiles = Syscalls.count("sendfile");
        CompletableFuture<IOException> closed = serveFile(f, (c, file) -> {
            c.write("head:".getBytes(StandardCharsets.US_ASCII));
            assertTrue(c.sendFile(file, 1000, data.length - 2000));
            c.write(":middle:".getBytes(StandardCharsets.US_ASCII));
            assertTrue(c.sendFile(file, 0, 10));
            c.write(":tail".getBytes(StandardCharsets.US_ASCII));
            c.close();
        });
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        want.write("head:".getBytes(StandardCharsets.US_ASCII));
        want.write(data, 1000, data.length - 2000);
        want.write(":middle:".getBytes(StandardCharsets.US_ASCII));
        want.write(data, 0, 10);
        want.write(":tail".getBytes(StandardCharsets.US_ASCII));
        byte[] got;
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            got = readToEnd(s);
        }
        assertEquals(null, closed.get(30, TimeUnit.SECONDS));
        assertEquals(want.size(), got.length);
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(want.toByteArray()),
                MessageDigest.getInstance("SHA-256").digest(got), "the bytes, in their order");
        if (Syscalls.COUNTING) {
            assertTrue(Syscalls.count("sendfile") >= sendfiles + 2, "each file run went by sendfile");
        }
        awaitOnLoop(() -> ConnectionStats.of(loop).join().buffersInUse() == 1, "the queue's buffers went back"
                + " (the loop's read buffer stays)");
    }

    @Test
    void aReaderThatDoesNotReadHoldsTheFileAndNoBufferAndThenGetsItAll() throws Exception {
        byte[] data = random(24 << 20, 2);
        Path f = dir.resolve("slow.bin");
        Files.write(f, data);
        OpenFile[] opened = new OpenFile[1];
        CompletableFuture<IOException> closed = serveFile(f, (c, file) -> {
            opened[0] = file;
            c.sendFile(file, 0, data.length);
            c.close();
        });
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            awaitOnLoop(() -> served != null && served.sentBytes() > 0
                    && !served.isWritable(), "the socket is full");
            onLoop(() -> {
                assertTrue(served.queuedBytes() > 0, "bytes still queued");
                assertTrue(opened[0].isClosed(), "the caller closed its OpenFile");
                assertEquals(1, ConnectionStats.of(loop).join().buffersInUse(),
                        "a waiting file run holds no buffer (the one in use is the loop's read buffer)");
            });
            byte[] got = readToEnd(s);
            assertEquals(data.length, got.length);
            assertTrue(Arrays.equals(data, got), "the bytes");
        }
        assertEquals(null, closed.get(30, TimeUnit.SECONDS));
        // stopLoopAndCheckFds checks the file's descriptor was closed after its last byte
    }

    @Test
    void aFileThatShrinksWhileItIsSentEndsTheConnection() throws Exception {
        byte[] data = random(24 << 20, 3);
        Path f = dir.resolve("shrinking.bin");
        Files.write(f, data);
        CompletableFuture<IOException> closed = serveFile(f, (c, file) -> {
            c.sendFile(file, 0, data.length);
            c.write("after".getBytes(StandardCharsets.US_ASCII));
        });
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            awaitOnLoop(() -> served != null && served.sentBytes() > 0
                    && !served.isWritable(), "the socket is full");
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.truncate(1 << 20);
            }
            byte[] got = readToEnd(s);
            assertTrue(got.length <= (1 << 20) + (16 << 20), "no more than was in the file, then the end: " + got.length);
            assertFalse(new String(got, got.length - 5, 5, StandardCharsets.ISO_8859_1).equals("after"),
                    "what came after the file never follows a short file");
        }
        IOException cause = closed.get(30, TimeUnit.SECONDS);
        assertNotNull(cause, "the connection ended with a cause");
        assertTrue(cause.getMessage().contains("shrank"), cause.toString());
    }

    /**
     * A file cut short before its send begins, on a socket that filled and drained before: the
     * first sendfile returns the few bytes left, less than asked. That is no sign of a full
     * socket; taken for one, the connection waited for an edge that never came (a new user's
     * hung for good, on both engines).
     */
    @Test
    void aFileCutShortBeforeItsSendEndsTheConnectionInsteadOfWaiting() throws Exception {
        byte[] data = random(1 << 20, 4);
        Path f = dir.resolve("cut.bin");
        Files.write(f, data);
        OpenFile[] file = new OpenFile[1];
        CompletableFuture<IOException> closed = serveOne(c -> {
            served = c;
            c.write(new byte[4 << 20]); // fills the socket: the writability edge is used up
        });
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout(30_000); // a hang fails the test instead of holding it
            byte[] first = s.getInputStream().readNBytes(4 << 20);
            assertEquals(4 << 20, first.length);
            awaitOnLoop(() -> served.queuedBytes() == 0, "the first write is out");
            onLoop(() -> {
                file[0] = OpenFile.open(f, false);
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    ch.truncate(10);
                }
                served.sendFile(file[0], 0, data.length);
                served.write("after".getBytes(StandardCharsets.US_ASCII));
                file[0].close();
            });
            byte[] got = readToEnd(s);
            assertTrue(got.length <= 10, "what was left of the file, then the end: " + got.length);
        }
        IOException cause = closed.get(30, TimeUnit.SECONDS);
        assertNotNull(cause, "the connection ended with a cause");
        assertTrue(cause.getMessage().contains("shrank"), cause.toString());
    }

    @Test
    void aRangeOutsideTheFileOrANonRegularFileIsRefusedAtOnce() throws Exception {
        Path f = dir.resolve("small.txt");
        Files.writeString(f, "0123456789");
        CompletableFuture<Throwable> refused = new CompletableFuture<>();
        CompletableFuture<IOException> closed = serveOne(c -> {
            try (OpenFile file = OpenFile.open(f, false); OpenFile d = OpenFile.open(dir, true)) {
                assertEquals(10, file.size());
                assertFalse(d.isRegularFile());
                assertThrows(IndexOutOfBoundsException.class, () -> c.sendFile(file, 5, 6));
                assertThrows(IllegalArgumentException.class, () -> c.sendFile(d, 0, 0));
                assertTrue(c.sendFile(file, 10, 0), "an empty run is taken");
                OpenFile held = OpenFile.open(f, false);
                assertTrue(c.sendFile(held, 0, 10), "queued: the connection holds it now");
                held.close();
                assertThrows(IllegalStateException.class, () -> c.sendFile(held, 0, 1),
                        "closed by its opener, though a send still holds it");
                refused.complete(null);
            } catch (Throwable t) {
                refused.complete(t);
            }
            c.close();
        });
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            assertEquals("0123456789", new String(readToEnd(s), StandardCharsets.US_ASCII));
        }
        assertEquals(null, refused.get(30, TimeUnit.SECONDS));
        assertEquals(null, closed.get(30, TimeUnit.SECONDS));
        OpenFile closedFile = OpenFile.open(f, false);
        closedFile.close();
        assertThrows(java.nio.file.NoSuchFileException.class, () -> OpenFile.open(dir.resolve("missing"), false));
        Path link = Files.createSymbolicLink(dir.resolve("link"), f);
        assertThrows(java.nio.file.FileSystemException.class, () -> OpenFile.open(link, false));
        OpenFile.open(link, true).close();
    }

    @Test
    void anAbortedConnectionClosesTheFilesItStillHeld() throws Exception {
        byte[] data = random(24 << 20, 4);
        Path f = dir.resolve("aborted.bin");
        Files.write(f, data);
        CompletableFuture<IOException> closed = serveFile(f, (c, file) -> {
            c.sendFile(file, 0, data.length);
            c.sendFile(file, 0, data.length);
        });
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            awaitOnLoop(() -> served != null && !served.isWritable() && served.sentBytes() > 0,
                    "the socket is full");
            onLoop(() -> served.abort());
        }
        assertInstanceOf(IOException.class, closed.get(30, TimeUnit.SECONDS) == null ? new IOException() : closed.get());
        // stopLoopAndCheckFds: the file's descriptor is closed with the connection
    }

    @Test
    void aDescriptorThatIsNoSocketGetsTheFileReadIntoAPooledChunkAndWritten() throws Exception {
        byte[] data = random(300_000, 5);
        Path f = dir.resolve("piped.bin");
        Files.write(f, data);
        int[] p = new int[2];
        assertEquals(0, UnixTesting.OS.unix().pipe(p));
        assertEquals(0, UnixTesting.OS.setBlocking(p[0], true));
        long sendfiles = Syscalls.count("sendfile");
        long preads = Syscalls.count("pread");
        CompletableFuture<IOException> closed = new CompletableFuture<>();
        Connection.open(loop, p[1], sending(c -> {
            try (OpenFile file = OpenFile.open(f, false)) {
                c.write(new byte[] {'<'});
                c.sendFile(file, 0, data.length);
                c.write(new byte[] {'>'});
                c.close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, closed)).get(30, TimeUnit.SECONDS);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(65536);
            long n;
            while ((n = UnixTesting.OS.read(p[0], buf, 65536)) > 0) {
                got.write(buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), 0, (int) n);
            }
            assertEquals(0, n, "EOF");
        } finally {
            UnixTesting.OS.close(p[0]);
        }
        assertEquals(null, closed.get(30, TimeUnit.SECONDS));
        byte[] bytes = got.toByteArray();
        assertEquals(data.length + 2, bytes.length);
        assertEquals('<', bytes[0]);
        assertEquals('>', bytes[bytes.length - 1]);
        assertArrayEquals(data, Arrays.copyOfRange(bytes, 1, bytes.length - 1));
        if (Syscalls.COUNTING) {
            assertEquals(sendfiles, Syscalls.count("sendfile"), "no sendfile to a pipe");
            assertTrue(Syscalls.count("pread") >= preads + data.length / WriteQueue.CHUNK, "read a chunk at a time");
        }
        awaitOnLoop(() -> ConnectionStats.of(loop).join().buffersInUse() <= 1, "the chunks went back");
    }

    @Test
    void aLingeringCloseWaitsForASlowReaderThatKeepsReading() throws Exception {
        // A response far larger than the linger time lets a slow reader take: the close must
        // bound a stalled peer, not a slow one (it reset the connection mid-body before).
        byte[] data = random(24 << 20, 6);
        Path f = dir.resolve("lingering.bin");
        Files.write(f, data);
        CompletableFuture<IOException> closed = serveFile(f, (c, file) -> {
            c.setLingering(java.time.Duration.ofSeconds(1), 1 << 20);
            c.sendFile(file, 0, data.length);
            c.closeLingering();
        });
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setReceiveBufferSize(64 * 1024);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                got.write(buf, 0, n);
                Thread.sleep(5); // the slow reader: 384 reads of 64 KiB, well over the second it may linger
            }
        }
        assertEquals(data.length, got.size(), "the whole body, then the FIN");
        assertTrue(Arrays.equals(data, got.toByteArray()));
        assertEquals(null, closed.get(30, TimeUnit.SECONDS));
    }
}
