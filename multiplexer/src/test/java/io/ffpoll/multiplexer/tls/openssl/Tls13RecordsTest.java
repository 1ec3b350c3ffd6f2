package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.multiplexer.tls.CipherSink;
import io.ffpoll.multiplexer.tls.TlsSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLProtocolException;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The record layer alone, two of them joined with mirrored keys (one's write keys are the
 * other's read keys), so that every rule can be driven with records no OpenSSL peer would make:
 * KeyUpdate split over records or followed by data, alerts of every kind, overlong and
 * tampered records. Interop with OpenSSL's own record layer is in {@link OpenSslRecordsTest}.
 */
class Tls13RecordsTest {
    private static final byte APPLICATION_DATA = 23;
    private static final byte ALERT = 21;
    private static final byte HANDSHAKE = 22;

    private Arena arena;
    private MemorySegment out;

    /** A record layer and what it put in its sink. */
    private final class End implements CipherSink {
        final ByteArrayOutputStream sent = new ByteArrayOutputStream();
        final Tls13Records records;

        End(Tls13Suite suite, byte[] readSecret, byte[] writeSecret, long keyUpdateRecords) {
            this(new TrafficKeys(suite, readSecret, 0), new TrafficKeys(suite, writeSecret, 0), keyUpdateRecords);
        }

        End(TrafficKeys read, TrafficKeys write, long keyUpdateRecords) {
            records = new Tls13Records(read, write, this, arena.allocate(64 * 1024), RecordCiphers.current(), keyUpdateRecords);
        }

        @Override
        public void append(MemorySegment src, long offset, long length) {
            sent.writeBytes(src.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
        }

        byte[] take() {
            byte[] b = sent.toByteArray();
            sent.reset();
            return b;
        }
    }

    private End server;
    private End client;

    @BeforeEach
    void open() {
        assumeTrue(OpenSslTlsFactory.available(), "SKIPPED: libssl 3 does not load: " + OpenSslTlsFactory.unavailableReason());
        arena = Arena.ofConfined();
        out = arena.allocate(32 * 1024);
        join(Tls13Suite.AES_128_GCM_SHA256, Long.MAX_VALUE);
    }

    @AfterEach
    void close() {
        if (arena != null) {
            server.records.erase();
            client.records.erase();
            arena.close();
        }
    }

    private void join(Tls13Suite suite, long keyUpdateRecords) {
        byte[] up = secret(suite, 1);
        byte[] down = secret(suite, 2);
        server = new End(suite, up, down, keyUpdateRecords);
        client = new End(suite, down, up, keyUpdateRecords);
    }

    private static byte[] secret(Tls13Suite suite, int seed) {
        byte[] s = new byte[suite.hashBytes];
        new Random(seed).nextBytes(s);
        return s;
    }

    private MemorySegment segment(byte[] b) {
        return arena.allocateFrom(ValueLayout.JAVA_BYTE, b);
    }

    private void write(End from, byte[] plaintext) throws SSLException {
        from.records.write(segment(plaintext));
    }

    /** Reads all of {@code records} as the connection does; returns the plaintext and the last status. */
    private record Read(byte[] plaintext, int status) {}

    private Read read(End to, byte[] records) throws SSLException {
        MemorySegment in = segment(records);
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        long at = 0;
        int status;
        do {
            status = to.records.read(in.asSlice(at), out);
            at += to.records.consumed();
            plain.writeBytes(out.asSlice(0, to.records.produced()).toArray(ValueLayout.JAVA_BYTE));
        } while (status == TlsSession.OUT_FULL);
        return new Read(plain.toByteArray(), status);
    }

    @ParameterizedTest
    @EnumSource(Tls13Suite.class)
    void dataBothWaysInEverySuite(Tls13Suite suite) throws Exception {
        join(suite, Long.MAX_VALUE);
        byte[] up = new byte[100_000];
        new Random(3).nextBytes(up);
        write(client, up);
        byte[] records = client.take();
        assertEquals(up.length + 7 * (5 + 17), records.length, "7 records of at most 16 KiB");
        Read r = read(server, records);
        assertEquals(TlsSession.NEED_INPUT, r.status());
        assertArrayEquals(up, r.plaintext());
        write(server, "pong".getBytes());
        assertArrayEquals("pong".getBytes(), read(client, server.take()).plaintext());
    }

    @Test
    void anIncompleteRecordIsLeftAndAFullOutSaysSo() throws Exception {
        write(client, new byte[20_000]); // records of 16,384 and 3,616 bytes
        byte[] records = client.take();
        MemorySegment in = segment(records);
        assertEquals(TlsSession.NEED_INPUT, server.records.read(in.asSlice(0, 100), out));
        assertEquals(0, server.records.consumed());
        MemorySegment small = out.asSlice(0, 16_384 + 100);
        assertEquals(TlsSession.OUT_FULL, server.records.read(in, small));
        assertEquals(5 + 16_384 + 17, server.records.consumed());
        assertEquals(16_384, server.records.produced());
        assertEquals(TlsSession.NEED_INPUT, server.records.read(in.asSlice(server.records.consumed()), small));
        assertEquals(3_616, server.records.produced());
    }

    @Test
    void anEmptyApplicationDataRecordIsFine() throws Exception {
        client.records.sendRecord(APPLICATION_DATA, new byte[0]);
        write(client, "x".getBytes());
        assertArrayEquals("x".getBytes(), read(server, client.take()).plaintext());
    }

    @Test
    void aRequestedKeyUpdateIsAnsweredAndBothWaysGoOnUnderNewKeys() throws Exception {
        client.records.sendRecord(HANDSHAKE, new byte[] {24, 0, 0, 1, 1}); // update_requested
        byte[] toServer = client.take();
        write(client, "after".getBytes()); // still the old key: the client updates once it hears back
        Read r = read(server, toServer);
        assertEquals(0, r.plaintext().length);
        byte[] answer = server.take();
        assertEquals(5 + 5 + 17, answer.length, "the server's own KeyUpdate");
        write(server, "reply".getBytes());
        // The client is this class's record layer too: it reads the KeyUpdate (not requested) and updates.
        assertArrayEquals("reply".getBytes(), read(client, concat(answer, server.take())).plaintext());
        byte[] old = client.take();
        assertThrows(SSLProtocolException.class, () -> read(server, old), "the server's read key moved on");
    }

    @Test
    void aKeyUpdateSplitOverTwoRecordsCounts() throws Exception {
        Tls13Suite suite = Tls13Suite.AES_128_GCM_SHA256;
        client.records.sendRecord(HANDSHAKE, new byte[] {24, 0});
        client.records.sendRecord(HANDSHAKE, new byte[] {0, 1, 0});
        byte[] update = client.take();
        TrafficKeys next = new TrafficKeys(suite, secret(suite, 1), 0);
        next.update(); // what the client's write key becomes after its KeyUpdate
        End updated = new End(new TrafficKeys(suite, secret(suite, 2), 0), next, Long.MAX_VALUE);
        write(updated, "new key".getBytes());
        assertArrayEquals("new key".getBytes(), read(server, concat(update, updated.take())).plaintext());
        assertEquals(0, server.take().length, "not requested: no answer");
        updated.records.erase();
    }

    @Test
    void aKeyUpdateMustEndItsRecord() throws Exception {
        client.records.sendRecord(HANDSHAKE, new byte[] {24, 0, 0, 1, 0, 24});
        assertFails(client.take(), "a KeyUpdate that does not end its record", "unexpected_message");
    }

    @Test
    void anyOtherHandshakeMessageIsUnexpected() throws Exception {
        client.records.sendRecord(HANDSHAKE, new byte[] {1, 0, 0, 0}); // a ClientHello
        assertFails(client.take(), "a handshake message of type 1 after the handshake", "unexpected_message");
    }

    @Test
    void aKeyUpdateOfAnotherLengthIsADecodeError() throws Exception {
        client.records.sendRecord(HANDSHAKE, new byte[] {24, 0, 0, 2, 0, 0});
        assertFails(client.take(), "a KeyUpdate whose length is not 1", "decode_error");
    }

    @Test
    void aKeyUpdateWithABadRequestIsAnIllegalParameter() throws Exception {
        client.records.sendRecord(HANDSHAKE, new byte[] {24, 0, 0, 1, 2});
        assertFails(client.take(), "request_update 2", "illegal_parameter");
    }

    @Test
    void dataInsideASplitHandshakeMessageIsUnexpected() throws Exception {
        client.records.sendRecord(HANDSHAKE, new byte[] {24, 0});
        write(client, "x".getBytes());
        assertFails(client.take(), "inside a handshake message", "unexpected_message");
    }

    @Test
    void aTamperedRecordIsABadRecordMac() throws Exception {
        write(client, "hello".getBytes());
        byte[] r = client.take();
        r[7] ^= 1;
        assertFails(r, "does not decrypt", "bad_record_mac");
    }

    @Test
    void anOverlongRecordIsAnOverflowBeforeItArrives() throws Exception {
        byte[] header = {APPLICATION_DATA, 3, 3, (byte) ((16_384 + 257) >>> 8), (byte) (16_384 + 257)};
        assertFails(header, "a record of 16641 bytes", "record_overflow");
    }

    @Test
    void aPlaintextRecordAfterTheHandshakeIsUnexpected() throws Exception {
        assertFails(new byte[] {ALERT, 3, 3, 0, 2, 2, 40}, "a record of type 21 after the handshake", "unexpected_message");
    }

    @Test
    void aRecordOfNoContentTypeIsUnexpected() throws Exception {
        client.records.sendRecord((byte) 0, new byte[] {0, 0});
        assertFails(client.take(), "no content type", "unexpected_message");
    }

    @Test
    void closeNotifyEndsTheInputAndUserCanceledIsIgnored() throws Exception {
        write(client, "last".getBytes());
        client.records.sendRecord(ALERT, new byte[] {1, 90}); // user_canceled
        client.records.closeNotify();
        write(server, "still writing".getBytes()); // TLS 1.3: the other way stays open
        byte[] records = client.take();
        Read r = read(server, records);
        assertEquals(TlsSession.CLOSED, r.status());
        assertArrayEquals("last".getBytes(), r.plaintext());
        assertEquals(TlsSession.CLOSED, server.records.read(segment(records), out), "and stays ended");
        assertArrayEquals("still writing".getBytes(), read(client, server.take()).plaintext());
        assertThrows(SSLException.class, () -> write(client, "x".getBytes()), "nothing after close_notify");
    }

    @Test
    void aFatalAlertFromThePeerFailsWithItsNameAndIsNotAnswered() throws Exception {
        client.records.sendRecord(ALERT, new byte[] {2, 40});
        SSLProtocolException e = assertThrows(SSLProtocolException.class, () -> read(server, client.take()));
        assertTrue(e.getMessage().contains("handshake_failure"), e.getMessage());
        assertEquals(0, server.take().length);
    }

    @Test
    void aKeyUpdateGoesOutAfterTheRecordLimitAndThePeerFollows() throws Exception {
        join(Tls13Suite.CHACHA20_POLY1305_SHA256, 3);
        byte[] data = new byte[10 * 16_384];
        new Random(9).nextBytes(data);
        write(server, data);
        byte[] records = server.take();
        assertEquals(data.length + 10 * 22 + 3 * 27, records.length, "three KeyUpdates among ten records");
        assertArrayEquals(data, read(client, records).plaintext());
    }

    private void assertFails(byte[] records, String why, String alert) throws Exception {
        SSLProtocolException e = assertThrows(SSLProtocolException.class, () -> read(server, records));
        assertTrue(e.getMessage().contains(why) && e.getMessage().contains(alert), e.getMessage());
        SSLProtocolException atClient = assertThrows(SSLProtocolException.class, () -> read(client, server.take()));
        assertTrue(atClient.getMessage().contains("fatal alert " + alert), atClient.getMessage());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void recordsWithoutDataAreBoundedInARow() throws Exception {
        for (int i = 0; i < Tls13Records.MAX_WITHOUT_DATA; i++) {
            client.records.sendRecord(ALERT, new byte[] {1, 90}); // user_canceled
        }
        write(client, "data".getBytes()); // resets the count
        for (int i = 0; i < Tls13Records.MAX_WITHOUT_DATA; i++) {
            client.records.sendRecord(APPLICATION_DATA, new byte[0]);
        }
        assertArrayEquals("data".getBytes(), read(server, client.take()).plaintext());
        client.records.sendRecord(APPLICATION_DATA, new byte[0]);
        assertFails(client.take(), "33 records in a row without data", "unexpected_message");
    }

    @Test
    void aFloodOfRequestedKeyUpdatesEndsTheConnection() throws Exception {
        SSLProtocolException e = assertThrows(SSLProtocolException.class, () -> {
            for (int i = 0; i < 1_000; i++) {
                client.records.sendKeyUpdate(true);
                read(server, client.take());
                read(client, server.take()); // the answer: the client's read key moves on
            }
        });
        assertTrue(e.getMessage().contains("records in a row without data"), e.getMessage());
    }

    @Test
    void aSmallerFragmentLengthBoundsRecordsBothWays() throws Exception {
        Tls13Suite suite = Tls13Suite.AES_128_GCM_SHA256;
        Tls13Records small = new Tls13Records(new TrafficKeys(suite, secret(suite, 1), 0),
                new TrafficKeys(suite, secret(suite, 2), 0), server, arena.allocate(64 * 1024), RecordCiphers.current(),
                Long.MAX_VALUE, 512);
        small.write(segment(new byte[1_000]));
        assertEquals(1_000 + 2 * 22, server.take().length, "two records of at most 512 bytes");
        write(client, new byte[513]);
        MemorySegment in = segment(client.take());
        SSLProtocolException e = assertThrows(SSLProtocolException.class, () -> small.read(in, out));
        assertTrue(e.getMessage().contains("record_overflow"), e.getMessage());
        small.erase();
    }
}
