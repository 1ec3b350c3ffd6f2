package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.multiplexer.tls.SessionPair;
import io.ffpoll.multiplexer.tls.TestCertificates;
import io.ffpoll.multiplexer.tls.TestCertificates.Kind;
import io.ffpoll.multiplexer.tls.TlsSession;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLProtocolException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Records after the handshake: bulk data, byte-by-byte feeding, close_notify, garbage, and the life of the native objects. */
class OpenSslTransferTest extends OpenSslTestBase {

    /** Whether the server keeps its {@code SSL} after a TLS 1.3 handshake; by default it frees it. */
    boolean keepSsl() {
        return false;
    }

    private SessionPair pair(Kind kind) throws IOException {
        TestCertificates c = certs(kind);
        return new SessionPair(factory(Settings.client(c.trust()).build()), "localhost", 443,
                track(OpenSslTlsFactory.create(Settings.server(c.server()).build(), keepSsl())));
    }

    @Test
    void oneMebibyteEachWayArrivesIntact() throws Exception {
        byte[] up = new byte[1 << 20];
        byte[] down = new byte[1 << 20];
        new Random(1).nextBytes(up);
        new Random(2).nextBytes(down);
        try (SessionPair p = pair(Kind.EC)) {
            p.handshake();
            assertEquals(up.length, p.write(p.client, up));
            assertEquals(down.length, p.write(p.server, down));
            long records = p.client.recordBytes();
            assertTrue(records > up.length, "records carry at least the plaintext: " + records);
            p.pump(64 * 1024);
            p.rethrow();
            assertArrayEquals(up, p.server.takePlaintext());
            assertArrayEquals(down, p.client.takePlaintext());
        }
    }

    @Test
    void fedOneByteAtATimeTheHandshakeAndDataStillComplete() throws Exception {
        try (SessionPair p = pair(Kind.RSA)) {
            p.client.session().begin();
            p.server.session().begin();
            p.pump(1);
            p.rethrow();
            assertTrue(p.client.session().isHandshakeDone() && p.server.session().isHandshakeDone());
            byte[] data = new byte[40_000]; // three records, split at every byte
            new Random(3).nextBytes(data);
            p.write(p.client, data);
            p.pump(1);
            p.rethrow();
            assertArrayEquals(data, p.server.takePlaintext());
        }
    }

    @Test
    void readTakesWholeRecordsOnlyAndSaysOutFullWhenTheNextMightNotFit() throws Exception {
        try (SessionPair p = pair(Kind.EC); Arena arena = Arena.ofConfined()) {
            p.handshake();
            byte[] data = new byte[50_000]; // records of 16,384, 16,384, 16,384 and 848 bytes of plaintext
            new Random(4).nextBytes(data);
            p.write(p.client, data);
            byte[] records = p.client.takeRecords();
            MemorySegment in = arena.allocate(records.length);
            MemorySegment.copy(records, 0, in, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, records.length);
            MemorySegment out = arena.allocate(SessionPair.OUT_BYTES);
            TlsSession server = p.server.session();
            // All but the last byte: the last record is incomplete and stays with the caller.
            long offered = records.length - 1;
            long taken = 0;
            long total = 0;
            List<Long> produced = new ArrayList<>();
            int status;
            do {
                status = server.read(in.asSlice(taken, offered - taken), out);
                taken += server.consumed();
                total += server.produced();
                produced.add(server.produced());
            } while (status == TlsSession.OUT_FULL);
            assertEquals(TlsSession.NEED_INPUT, status);
            assertEquals(List.of(16_384L, 16_384L, 16_384L), produced, "one full record per call while the next might not fit");
            long lastRecord = records.length - taken;
            assertEquals(848 + 17 + 5, lastRecord, "the incomplete record (header, 848 bytes, type and tag) is left whole");
            assertEquals(TlsSession.NEED_INPUT, server.read(in.asSlice(taken, 0), out), "OpenSSL holds nothing of it");
            assertEquals(0, server.produced());
            assertEquals(TlsSession.NEED_INPUT, server.read(in.asSlice(taken, records.length - taken), out));
            assertEquals(lastRecord, server.consumed());
            total += server.produced();
            assertEquals(data.length, total);
        }
    }

    @Test
    void closeNotifyEachWay() throws Exception {
        try (SessionPair p = pair(Kind.EC)) {
            p.handshake();
            p.write(p.client, "last words".getBytes(StandardCharsets.US_ASCII));
            p.client.session().closeOutbound();
            p.client.session().closeOutbound(); // once only
            p.pump(64 * 1024);
            assertTrue(p.server.closed(), "the server read CLOSED");
            assertArrayEquals("last words".getBytes(StandardCharsets.US_ASCII), p.server.takePlaintext());
            assertFalse(p.client.closed());
            SSLException refused = assertThrows(SSLException.class,
                    () -> p.write(p.client, new byte[] {1}));
            assertTrue(refused.getMessage().contains("closeOutbound"), refused.getMessage());
            // Half-closed: the server still answers, then closes its side.
            p.write(p.server, "bye".getBytes(StandardCharsets.US_ASCII));
            p.server.session().closeOutbound();
            p.pump(64 * 1024);
            p.rethrow();
            assertArrayEquals("bye".getBytes(StandardCharsets.US_ASCII), p.client.takePlaintext());
            assertTrue(p.client.closed());
        }
    }

    @Test
    void closeBeforeTheHandshakeSendsNothing() throws Exception {
        try (SessionPair p = pair(Kind.EC)) {
            p.client.session().begin();
            long hello = p.client.recordBytes();
            p.client.session().closeOutbound();
            assertEquals(hello, p.client.recordBytes());
            assertEquals(0, p.write(p.client, new byte[] {1}), "no plaintext is taken before the handshake");
        }
    }

    @Test
    void garbageFailsTheHandshakeWithAnAlertAndLeaksNothing() throws Exception {
        byte[] garbage = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        try (SessionPair p = pair(Kind.EC); Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, garbage);
            MemorySegment out = arena.allocate(SessionPair.OUT_BYTES);
            SSLHandshakeException e = assertThrows(SSLHandshakeException.class, () -> p.server.session().read(in, out));
            assertTrue(e.getMessage().startsWith("SSL_do_handshake: SSL_ERROR_SSL: error:"), e.getMessage());
            assertTrue(e.getMessage().contains("http request"), e.getMessage());
            // The session is done: every later call says so.
            SSLException again = assertThrows(SSLException.class, () -> p.server.session().read(in, out));
            assertTrue(again.getMessage().contains("failed earlier"), again.getMessage());
        }
    }

    @Test
    void garbageAfterTheHandshakeIsAProtocolErrorAndTheAlertGoesOut() throws Exception {
        try (SessionPair p = pair(Kind.EC); Arena arena = Arena.ofConfined()) {
            p.handshake();
            p.client.takePlaintext();
            long before = p.server.recordBytes();
            byte[] bad = new byte[64];
            new Random(5).nextBytes(bad);
            bad[0] = 23; // application data
            bad[1] = 3;
            bad[2] = 3;
            bad[3] = 0;
            bad[4] = 59; // a whole record that fails to decrypt
            MemorySegment in = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, bad);
            MemorySegment out = arena.allocate(SessionPair.OUT_BYTES);
            SSLProtocolException e = assertThrows(SSLProtocolException.class, () -> p.server.session().read(in, out));
            assertTrue(e.getMessage().startsWith(keepSsl() ? "SSL_read_ex: SSL_ERROR_SSL:" : "TLS 1.3 record layer:"),
                    e.getMessage());
            assertTrue(p.server.recordBytes() > before, "the bad_record_mac alert was put in the sink");
            p.pump(64 * 1024);
            assertInstanceOf(SSLException.class, p.client.failure());
            assertTrue(p.client.failure().getMessage().contains("bad record mac"), p.client.failure().getMessage());
        }
    }

    @Test
    void everySessionIsCountedUntilFreedAndFreeIsIdempotent() throws Exception {
        TestCertificates c = certs(Kind.EC);
        OpenSslTlsFactory server = factory(Settings.server(c.server()).build());
        SessionPair p = new SessionPair(factory(Settings.client(c.trust()).build()), "localhost", 443, server);
        assertEquals(2, OpenSslTlsFactory.liveSessions());
        p.handshake();
        p.close();
        p.client.session().free();
        assertEquals(0, OpenSslTlsFactory.liveSessions());
        assertThrows(IllegalStateException.class, () -> p.client.session().begin());
    }

    @Test
    void sessionsOutliveTheirClosedFactoryAndFreeItsContextsLast() throws Exception {
        TestCertificates c = certs(Kind.EC);
        OpenSslTlsFactory server = OpenSslTlsFactory.create(Settings.server(c.server())
                .byName(java.util.Map.of("other.test", c.other())).alpn("h2").build());
        OpenSslTlsFactory client = OpenSslTlsFactory.create(Settings.client(c.trust()).alpn("h2").build());
        try (SessionPair p = new SessionPair(client, "other.test", 443, server)) {
            server.close();
            client.close();
            assertFalse(server.contextsFreed(), "the sessions hold them");
            assertFalse(client.contextsFreed(), "the sessions hold them");
            MemorySegment scratch = Arena.ofAuto().allocate(io.ffpoll.multiplexer.tls.TlsSessionFactory.SCRATCH_BYTES);
            assertThrows(IOException.class, () -> server.newSession((s, o, l) -> { }, scratch, null, -1));
            p.handshake(); // the servername callback switches to a context of the closed factory
            assertEquals(c.other().leaf(), p.client.session().info().peerCertificates().getFirst());
            assertEquals("h2", p.server.session().info().applicationProtocol());
            OpenSslHandshakeTest.exchange(p);
        }
        assertTrue(server.contextsFreed() && client.contextsFreed(), "the last session freed them");
        assertEquals(0, OpenSslTlsFactory.liveCachedSessions(), "a ticket that came after close was dropped");
    }
}
