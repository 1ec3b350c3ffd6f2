package io.ffpoll.multiplexer.tls.openssl;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ffpoll.multiplexer.tls.CipherSink;
import io.ffpoll.multiplexer.tls.TlsSession;

import javax.net.ssl.SSLException;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Coverage-guided fuzzing of the TLS 1.3 record layer a server runs after its handshake
 * ({@link Tls13Records}), with Jazzer. A handshake cannot be fuzzed into completion, so the
 * input describes what a peer that has the keys sends: pieces, each sealed as a record of any
 * inner content type and content (so the fuzzer reaches alerts, KeyUpdate and padding past the
 * AEAD), sealed and then bit-flipped or cut short, or raw bytes. In a normal build this replays
 * the saved corpus in Tls13RecordsFuzzTestInputs. Properties, for any input: every read
 * returns a status with {@code consumed} and {@code produced} within bounds, or throws an
 * {@link SSLException}; nothing else escapes; the thread's cipher contexts stay at most one
 * per suite and direction.
 */
class Tls13RecordsFuzzTest {
    private static final Tls13Suite SUITE = Tls13Suite.AES_128_GCM_SHA256;

    private static final class Sink implements CipherSink {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public void append(MemorySegment src, long offset, long length) {
            bytes.writeBytes(src.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @FuzzTest(maxDuration = "30s")
    void anyRecordsFromAPeerWithTheKeys(byte[] input) throws Exception {
        assumeTrue(OpenSslTlsFactory.available(), "SKIPPED: libssl 3 does not load");
        byte[] up = new byte[SUITE.hashBytes];
        byte[] down = new byte[SUITE.hashBytes];
        Arrays.fill(up, (byte) 1);
        Arrays.fill(down, (byte) 2);
        try (Arena arena = Arena.ofConfined()) {
            Sink toClient = new Sink();
            Sink toServer = new Sink();
            Tls13Records server = new Tls13Records(new TrafficKeys(SUITE, up, 0), new TrafficKeys(SUITE, down, 0), toClient,
                    arena.allocate(64 * 1024), RecordCiphers.current(), 4);
            Tls13Records peer = new Tls13Records(new TrafficKeys(SUITE, down, 0), new TrafficKeys(SUITE, up, 0), toServer,
                    arena.allocate(64 * 1024), RecordCiphers.current(), Long.MAX_VALUE);
            for (int at = 0; at + 3 <= input.length; ) {
                int op = input[at] & 0xff;
                int n = Math.min(((input[at + 1] & 0xff) << 8 | input[at + 2] & 0xff) % 17_000, input.length - at - 3);
                byte[] piece = Arrays.copyOfRange(input, at + 3, at + 3 + n);
                at += 3 + n;
                switch (op & 3) {
                    case 0 -> seal(peer, piece, toServer);
                    case 1 -> toServer.bytes.writeBytes(piece);
                    case 2 -> { // sealed, then one bit flipped
                        int before = toServer.bytes.size();
                        seal(peer, piece, toServer);
                        byte[] all = toServer.bytes.toByteArray();
                        int flip = before + (op >>> 2) % Math.max(1, all.length - before);
                        if (flip < all.length) {
                            all[flip] ^= (byte) (1 << (op & 7));
                        }
                        toServer.bytes.reset();
                        toServer.bytes.writeBytes(all);
                    }
                    default -> { // sealed, then cut short
                        int before = toServer.bytes.size();
                        seal(peer, piece, toServer);
                        byte[] all = toServer.bytes.toByteArray();
                        toServer.bytes.reset();
                        toServer.bytes.write(all, 0, before + (all.length - before) / 2);
                    }
                }
            }
            feed(server, arena, toServer.bytes.toByteArray());
            server.erase();
            peer.erase();
        }
        assertTrue(RecordCiphers.LIVE_CONTEXTS.get() <= 2 * Tls13Suite.values().length * Thread.activeCount() + 6,
                "cipher contexts: " + RecordCiphers.LIVE_CONTEXTS.get());
    }

    // The first byte of the piece is the inner content type; the rest its content, at most 16 KiB.
    private static void seal(Tls13Records peer, byte[] piece, Sink to) throws SSLException {
        if (piece.length == 0) {
            return;
        }
        peer.sendRecord(piece[0], Arrays.copyOfRange(piece, 1, Math.min(piece.length, 1 + 16_384)));
    }

    private static void feed(Tls13Records server, Arena arena, byte[] stream) {
        MemorySegment in = arena.allocate(Math.max(1, stream.length));
        MemorySegment.copy(stream, 0, in, ValueLayout.JAVA_BYTE, 0, stream.length);
        MemorySegment out = arena.allocate(32 * 1024);
        long at = 0;
        try {
            while (true) {
                int status = server.read(in.asSlice(at, stream.length - at), out);
                assertTrue(server.consumed() >= 0 && at + server.consumed() <= stream.length, "consumed " + server.consumed());
                assertTrue(server.produced() >= 0 && server.produced() <= out.byteSize(), "produced " + server.produced());
                at += server.consumed();
                if (status != TlsSession.OUT_FULL) {
                    return;
                }
            }
        } catch (SSLException refused) {
            // the peer's records were refused, with an alert: fine
        }
    }
}
