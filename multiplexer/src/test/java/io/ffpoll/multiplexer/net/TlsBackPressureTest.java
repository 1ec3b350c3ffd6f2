package io.ffpoll.multiplexer.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Back-pressure through TLS, both ways: a peer that does not read makes the server unwritable
 * above the high watermark (counted in plaintext) and its queue is capped; once it reads,
 * writability returns and every byte arrives in order. A handler that pauses with records
 * still unread loses and reorders nothing when it resumes, and what the connection keeps of
 * the ciphertext meanwhile is bounded.
 */
class TlsBackPressureTest extends TlsTestBase {

    static Stream<String> engines() {
        return TlsTestKeys.engines();
    }

    /** Byte i of the test's stream. */
    private static byte at(long i) {
        return (byte) (i * 31 + (i >>> 11));
    }

    private static byte[] pattern(long from, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = at(from + i);
        }
        return b;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aPeerThatDoesNotReadMakesTheServerUnwritableAndItsQueueIsCapped(String engine) throws Exception {
        long total = 8L << 20;
        int block = 16 * 1024;
        long cap = 1L << 20;
        List<String> problems = new ArrayList<>();
        long[] written = new long[1];
        Recorder serverSide = new Recorder() {
            void produce(Connection c) {
                while (written[0] < total && c.isWritable()) {
                    int n = (int) Math.min(block, total - written[0]);
                    if (!c.write(pattern(written[0], n))) {
                        problems.add("a write under the cap was refused at " + c.queuedBytes());
                        return;
                    }
                    written[0] += n;
                }
            }

            @Override
            public void onWritabilityChanged(Connection c, boolean writable) {
                super.onWritabilityChanged(c, writable);
                if (writable) {
                    produce(c);
                }
            }
        };
        serverSide.onOpen(c -> c.setMaxQueued(cap, Connection.Overflow.REFUSE));
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            Connection s = serverSide.opened.get(30, TimeUnit.SECONDS);
            onLoop(() -> {
                // Past the high watermark in one go; then the cap refuses, and nothing is queued.
                assertTrue(s.write(pattern(0, 100_000)));
                written[0] = 100_000;
                assertFalse(s.isWritable(), "100,000 plaintext bytes are past the high watermark");
                assertEquals(100_000, s.queuedBytes(), "queuedBytes counts plaintext");
                while (s.queuedBytes() < cap) {
                    assertTrue(s.write(pattern(written[0], block)));
                    written[0] += block;
                }
                long queued = s.queuedBytes();
                assertFalse(s.write(pattern(written[0], 1)), "the cap refuses");
                assertEquals(queued, s.queuedBytes());
                assertTrue(s.isOpen());
            });
            awaitOnLoop(() -> recordsWait(s), "the socket is full");
            onLoop(() -> {
                assertTrue(s.queuedBytes() + s.sentBytes() == written[0], "plaintext queued and sent add up");
                assertTrue(s.tls.cipherOut.bytes() <= TlsLayer.RECORDS_PER_SEND + 17 * 1024,
                        s.tls.cipherOut.bytes() + " bytes of records made ahead of the socket");
            });
            // The peer reads: writability comes back, the producer goes on to the end.
            long read = 0;
            byte[] previous = null;
            while (read < total) {
                int n = (int) Math.min(256 * 1024, total - read);
                byte[] got = peer.readPlain(n);
                if (!java.util.Arrays.equals(pattern(read, n), got)) {
                    throw new AssertionError("bytes " + read + ".." + (read + n) + " differ");
                }
                read += n;
                previous = got;
            }
            assertTrue(previous != null);
            awaitOnLoop(() -> s.queuedBytes() == 0 && s.isWritable(), "drained");
            assertEquals(total, (long) onLoop(s::sentBytes));
            List<Boolean> changes = serverSide.writability();
            assertEquals(Boolean.FALSE, changes.getFirst());
            assertEquals(Boolean.TRUE, changes.getLast());
            for (int i = 1; i < changes.size(); i++) {
                assertTrue(changes.get(i) != changes.get(i - 1), "alternates: " + changes);
            }
            assertEquals(List.of(), problems);
            onLoop(s::close);
            peer.readToCloseNotify();
        }
        serverSide.awaitClosed();
    }

    /**
     * Takes at most 3,000 bytes of each delivery and pauses; the test resumes it, again and
     * again: plaintext kept from one delivery and records kept unread must come out in order.
     */
    private static final class PausingReader extends Recorder {
        final java.io.ByteArrayOutputStream taken = new java.io.ByteArrayOutputStream();
        final AtomicInteger deliveries = new AtomicInteger();
        volatile long maxKeptCiphertext;
        volatile long maxKeptCapacity;
        volatile long maxKeptPlaintext;

        @Override
        public long onData(Connection c, MemorySegment data) {
            long n = Math.min(3000, data.byteSize());
            synchronized (this) {
                taken.writeBytes(data.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
            }
            c.pauseReading();
            deliveries.incrementAndGet();
            return n;
        }

        synchronized int takenCount() {
            return taken.size();
        }

        synchronized byte[] takenBytes() {
            return taken.toByteArray();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aPausedReaderLosesAndReordersNothingAndKeepsBoundedCiphertext(String engine) throws Exception {
        PausingReader serverSide = new PausingReader();
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> serverSide);
        int total = 300_000;
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            Connection s = serverSide.opened.get(30, TimeUnit.SECONDS);
            // Many records, sent from another thread: the paused server stops reading the socket.
            // The first ten are in the socket before the first resume, so that a read brings
            // more than the record it delivers however slowly a loaded machine runs the sender.
            java.util.concurrent.CountDownLatch firstTen = new java.util.concurrent.CountDownLatch(1);
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                try {
                    for (int from = 0; from < total; from += 5000) {
                        peer.write(pattern(from, Math.min(5000, total - from)));
                        if (from == 45_000) {
                            firstTen.countDown();
                        }
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertTrue(firstTen.await(30, TimeUnit.SECONDS), "ten records sent");
            resumeUntilTaken(serverSide, s, total, () -> {
                serverSide.maxKeptCiphertext = Math.max(serverSide.maxKeptCiphertext, s.tls.cipherIn.length());
                serverSide.maxKeptCapacity = Math.max(serverSide.maxKeptCapacity, s.tls.cipherIn.capacity());
            });
            sending.get(30, TimeUnit.SECONDS);
            assertArrayEquals(pattern(0, total), serverSide.takenBytes(), "every byte, in order");
            assertTrue(serverSide.maxKeptCiphertext > 0, "records were kept while paused");
            assertTrue(serverSide.maxKeptCapacity <= TlsLayer.MAX_KEPT_CIPHERTEXT,
                    "kept ciphertext buffer " + serverSide.maxKeptCapacity);
            awaitOnLoop(() -> heldOnLoop() == 0, "nothing kept once all is taken");
            onLoop(s::close);
            peer.readToCloseNotify();
        }
        serverSide.awaitClosed();
    }

    /**
     * The same reader over 600 KB: it takes 3,000 bytes at each resume, where a read behind what
     * it keeps decrypts a whole buffer of plaintext. What it keeps must stay bounded, not grow
     * by the difference at every resume (a client that pipelined requests and never read their
     * answers made http-lite keep 4 MiB of plaintext per connection, up to the pending bound).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aReaderThatTakesLittleAtEachResumeKeepsBoundedPlaintext(String engine) throws Exception {
        PausingReader serverSide = new PausingReader();
        serverSide.onOpen(c -> c.setMaxPending(64L << 20)); // the bound is not what stops it
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> serverSide);
        int total = 600_000;
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            Connection s = serverSide.opened.get(30, TimeUnit.SECONDS);
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                try {
                    for (int from = 0; from < total; from += 5000) {
                        peer.write(pattern(from, Math.min(5000, total - from)));
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            resumeUntilTaken(serverSide, s, total,
                    () -> serverSide.maxKeptPlaintext = Math.max(serverSide.maxKeptPlaintext, s.input.length()));
            sending.get(30, TimeUnit.SECONDS);
            assertArrayEquals(pattern(0, total), serverSide.takenBytes(), "every byte, in order");
            // A read buffer's worth, and what one more read decrypts behind it.
            long bound = 2 * LoopIo.READ_BUFFER;
            assertTrue(serverSide.maxKeptPlaintext <= bound,
                    "kept plaintext " + serverSide.maxKeptPlaintext + " > " + bound);
            onLoop(s::close);
            peer.readToCloseNotify();
        }
        serverSide.awaitClosed();
    }

    /**
     * Resumes {@code reader} after each of its deliveries until it has taken {@code total} bytes,
     * running {@code measure} on the loop before each resume.
     */
    private void resumeUntilTaken(PausingReader reader, Connection s, int total, Runnable measure) throws Exception {
        int seen = 0;
        while (reader.takenCount() < total) {
            int before = seen;
            io.ffpoll.multiplexer.testing.Await.until(() -> reader.deliveries.get() > before, "a delivery");
            seen = reader.deliveries.get();
            onLoop(() -> {
                measure.run();
                s.resumeReading();
            });
        }
    }
}
