package io.ffpoll.multiplexer.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS records kept in cipherIn while the handler paused: each is decrypted and delivered when
 * it resumes, whether the peer's end came behind them or the socket has nothing more.
 */
class TlsPausedReaderTest extends TlsTestBase {

    static Stream<String> engines() {
        return TlsTestKeys.engines();
    }

    /** As EndOfStreamTest.LateAnswers: each line answered 20 ms later, reading paused meanwhile. */
    static final class LateAnswers extends Recorder {
        final java.util.List<String> events = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

        @Override
        public long onData(Connection c, MemorySegment data) {
            long size = data.byteSize();
            for (long i = 0; i < size; i++) {
                if (data.get(ValueLayout.JAVA_BYTE, i) == '\n') {
                    byte[] line = data.asSlice(0, i + 1).toArray(ValueLayout.JAVA_BYTE);
                    c.pauseReading();
                    c.loop().schedule(java.time.Duration.ofMillis(20), () -> {
                        events.add("answer " + (char) line[0] + " " + line.length);
                        c.write(new byte[] {'+'});
                        c.write(line);
                        c.resumeReading();
                    });
                    return i + 1;
                }
            }
            return 0;
        }

        @Override
        public void onReadClosed(Connection c) {
            events.add("end");
            c.close();
        }
    }

    /**
     * Two pipelined lines in two records, then close_notify and FIN, sent at once: the server
     * pauses on the first record and the second stays in cipherIn. The FIN read on the resume
     * was taken for a truncation inside a record, and the second line was never answered.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void pipelinedRecordsThenCloseNotifyAndFinAreAllAnswered(String engine) throws Exception {
        LateAnswers h = new LateAnswers();
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> h);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            h.opened.get(30, TimeUnit.SECONDS);
            peer.holdSends();
            peer.write(("A".repeat(40_000) + "\n").getBytes(StandardCharsets.US_ASCII));
            peer.write(("B".repeat(20_000) + "\n").getBytes(StandardCharsets.US_ASCII));
            peer.closeOutbound();
            peer.sendHeld();
            peer.socket.shutdownOutput();
            IOException cause = h.awaitClosed();
            assertEquals(java.util.List.of("answer A 40001", "answer B 20001", "end"), h.events, "cause: " + cause);
        }
    }

    /** Mode 0: takes none, reads on. 1: takes 100 and pauses. 2: takes all, reads on. */
    static final class Modal extends Recorder {
        volatile int mode;
        final AtomicInteger pauses = new AtomicInteger();
        final AtomicInteger taken = new AtomicInteger();

        @Override
        public long onData(Connection c, MemorySegment data) {
            long n = switch (mode) {
                case 0 -> 0;
                case 1 -> Math.min(100, data.byteSize());
                default -> data.byteSize();
            };
            taken.addAndGet((int) n);
            if (mode == 1) {
                c.pauseReading();
                pauses.incrementAndGet();
            }
            return n;
        }
    }

    /**
     * Kept plaintext past a read buffer, the last offer took some and paused, whole records
     * kept in cipherIn, and nothing more in the socket. On the resume the kept plaintext is
     * offered first (it must not grow at every resume); the records behind it must follow
     * even though the read finds nothing (a review found them stranded, 16,384 bytes).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void recordsKeptInCipherInAreDeliveredOnResume(String engine) throws Exception {
        Modal h = new Modal();
        h.onOpen(c -> c.setMaxPending(64L << 20));
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> h);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            Connection s = h.opened.get(30, TimeUnit.SECONDS);
            int first = 70_000;
            byte[] probe = peer.wrap(new byte[5000]);
            int overhead = probe.length - 5000;
            peer.sendRaw(probe);
            for (int i = 5000; i < first; i += 5000) {
                peer.write(new byte[5000]);
            }
            awaitOnLoop(() -> s.input.length() == first, "70,000 bytes kept");
            h.mode = 1;
            java.io.ByteArrayOutputStream records = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < 4; i++) {
                records.write(peer.wrap(new byte[16_384 - overhead]));
            }
            assertEquals(65_536, records.size(), "four records, exactly a read buffer");
            peer.sendRaw(records.toByteArray());
            io.ffpoll.multiplexer.testing.Await.until(() -> h.pauses.get() > 0, "a pause");
            h.mode = 2;
            onLoop(s::resumeReading);
            int want = first + 4 * (16_384 - overhead);
            io.ffpoll.multiplexer.testing.Await.until(() -> h.taken.get() == want, "every byte delivered");
            onLoop(s::close);
            peer.readToCloseNotify();
        }
        assertTrue(h.awaitClosed() != null);
    }
}
