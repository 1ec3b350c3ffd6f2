package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.bindings.openssl.Ssl;
import io.ffpoll.multiplexer.tls.SessionPair;
import io.ffpoll.multiplexer.tls.TestCertificates;
import io.ffpoll.multiplexer.tls.TestCertificates.Kind;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server's TLS 1.3 session frees its {@code SSL} after the handshake and goes on with
 * {@link Tls13Records}, against a client on OpenSSL's own record layer: both ways, across
 * KeyUpdates either side starts, with tickets that resume. TLS 1.2, and a factory told to keep
 * its {@code SSL}s, keep them.
 */
class OpenSslRecordsTest extends OpenSslTestBase {

    private SessionPair pair(Settings server, boolean keepSsl, long keyUpdateRecords) throws IOException {
        TestCertificates c = certs(Kind.EC);
        OpenSslTlsFactory serverFactory = OpenSslTlsFactory.create(server.key(c.server()).build(), keepSsl);
        track(serverFactory);
        serverFactory.keyUpdateAfter(keyUpdateRecords);
        return new SessionPair(factory(Settings.client(c.trust()).build()), "localhost", 443, serverFactory);
    }

    private static OpenSslSession session(SessionPair.Side side) {
        return (OpenSslSession) side.session();
    }

    private static byte[] random(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void exchange(SessionPair p, byte[] up, byte[] down) throws IOException {
        p.write(p.client, up);
        p.write(p.server, down);
        p.pump(64 * 1024);
        p.rethrow();
        assertArrayEquals(up, p.server.takePlaintext());
        assertArrayEquals(down, p.client.takePlaintext());
    }

    @Test
    void aTls13ServerFreesItsSslAtTheEndOfTheHandshake() throws Exception {
        try (SessionPair p = pair(Settings.server(null), false, Tls13Records.KEY_UPDATE_RECORDS)) {
            p.handshake();
            assertTrue(session(p.server).releasedSsl());
            assertEquals(0, session(p.server).ssl().address(), "the server's SSL is freed");
            assertEquals(1, OpenSslTlsFactory.liveSessions(), "only the client's SSL is left");
            assertEquals("TLSv1.3", p.server.session().info().protocol());
            exchange(p, random(200_000, 1), random(300_000, 2));
        }
    }

    @Test
    void keyUpdatesTheClientAsksForAreAnsweredAndDataFlowsOnBothWays() throws Exception {
        try (SessionPair p = pair(Settings.server(null), false, Tls13Records.KEY_UPDATE_RECORDS)) {
            p.handshake();
            for (int round = 0; round < 3; round++) {
                int type = round % 2 == 0 ? Ssl.SSL_KEY_UPDATE_REQUESTED : Ssl.SSL_KEY_UPDATE_NOT_REQUESTED;
                assertEquals(1, Ssl.SSL_key_update(session(p.client).ssl(), type));
                long before = p.server.recordBytes();
                exchange(p, random(40_000, round), random(1_000, round + 10));
                long answered = p.server.recordBytes() - before;
                // 1,000 bytes in one record, and the server's own KeyUpdate when asked for one
                assertEquals(1_000 + 22 + (type == Ssl.SSL_KEY_UPDATE_REQUESTED ? 27 : 0), answered, "round " + round);
            }
        }
    }

    @Test
    void theServersOwnKeyUpdatesAreFollowedByTheClient() throws Exception {
        try (SessionPair p = pair(Settings.server(null), false, 2)) {
            p.handshake();
            long before = p.server.recordBytes();
            byte[] down = random(10 * 16_384, 3);
            exchange(p, random(10, 4), down);
            // ten records, and a KeyUpdate after each second one (the tickets counted in the first)
            long sent = p.server.recordBytes() - before;
            assertTrue(sent >= down.length + 10 * 22 + 4 * 27, "records sent: " + sent);
        }
    }

    @Test
    void ticketsSentBeforeTheHandoverResume() throws Exception {
        TestCertificates c = certs(Kind.EC);
        OpenSslTlsFactory serverFactory = OpenSslTlsFactory.create(Settings.server(c.server()).build(), false);
        track(serverFactory);
        OpenSslTlsFactory clientFactory = factory(Settings.client(c.trust()).build());
        for (int i = 0; i < 2; i++) {
            try (SessionPair p = new SessionPair(clientFactory, "localhost", 443, serverFactory)) {
                p.handshake();
                exchange(p, random(100, i), random(100, i + 1)); // the client reads its tickets here
                assertTrue(session(p.server).releasedSsl());
                assertEquals(i == 1, p.client.session().info().resumed(), "connection " + i);
            }
        }
    }

    @Test
    void tls12AndAFactoryThatKeepsItsSslsKeepThem() throws Exception {
        try (SessionPair p = pair(Settings.server(null).protocols("TLSv1.2"), false, Tls13Records.KEY_UPDATE_RECORDS)) {
            p.handshake();
            assertFalse(session(p.server).releasedSsl());
            assertEquals(2, OpenSslTlsFactory.liveSessions());
            exchange(p, random(50_000, 5), random(50_000, 6));
        }
        try (SessionPair p = pair(Settings.server(null), true, Tls13Records.KEY_UPDATE_RECORDS)) {
            p.handshake();
            assertFalse(session(p.server).releasedSsl());
            assertEquals(2, OpenSslTlsFactory.liveSessions());
            exchange(p, random(50_000, 7), random(50_000, 8));
        }
    }

    @Test
    void noTicketsMeansTheFirstRecordIsSequenceZero() throws Exception {
        try (SessionPair p = pair(Settings.server(null).tickets(false), false, Tls13Records.KEY_UPDATE_RECORDS)) {
            p.handshake();
            assertTrue(session(p.server).releasedSsl());
            exchange(p, random(1_000, 9), random(1_000, 10));
        }
    }

    /**
     * RFC 6066 max_fragment_length, which OpenSSL's server accepts: after the handover the
     * records still carry at most what was settled (512 bytes here), as OpenSSL's would; the
     * client refuses longer ones with record_overflow.
     */
    @Test
    void aNegotiatedMaxFragmentLengthHoldsAfterTheHandover() throws Exception {
        try (SessionPair p = pair(Settings.server(null), false, Tls13Records.KEY_UPDATE_RECORDS)) {
            assertEquals(1, Ssl.SSL_set_tlsext_max_fragment_length(session(p.client).ssl(), 1)); // 512 bytes
            p.handshake();
            assertTrue(session(p.server).releasedSsl());
            long before = p.server.recordBytes();
            exchange(p, random(2_000, 11), random(2_000, 12));
            assertEquals(2_000 + 4 * 22, p.server.recordBytes() - before, "four records of at most 512 bytes");
        }
    }
}
