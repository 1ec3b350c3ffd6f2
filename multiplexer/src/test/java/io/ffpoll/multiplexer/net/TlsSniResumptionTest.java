package io.ffpoll.multiplexer.net;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A session made with a certificate chosen by SNI resumes as one made with the default
 * certificate does, on both server engines, when the two certificates have different key
 * types (the default RSA, the named one EC). Before, the JDK engine's server could not restore
 * the named certificate from its ticket ("Local certificates can not be restored from session
 * ticket for algorithms [EC]"): the ticket is read before the handshake's session, and with it
 * the client's server name, exists, and the key manager then chose the default key, which
 * does not fit.
 */
class TlsSniResumptionTest extends TlsTestBase {

    /** The JDK's NativePRNG opens /dev/random and /dev/urandom once per JVM: before the fds are counted. */
    @BeforeAll
    static void warmUpTheJdksRandom() throws Exception {
        javax.net.ssl.SSLContext.getInstance("TLS").init(null, null, null);
        new java.security.SecureRandom().nextBytes(new byte[8]);
    }

    static Stream<String> engines() {
        return TlsTestKeys.engines();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aSessionOfACertificateChosenByNameResumes(String engine) throws Exception {
        serveTls(TlsTestKeys.server(engine, "rsa")
                .serverName("other.example", TlsTestKeys.chain("other-host"), TlsTestKeys.key("other-host")).build(),
                () -> new Recorder().closingAtEndOfInput());
        for (String name : List.of("localhost", "other.example")) {
            // TLS 1.2: its ticket comes within the handshake, before a client that closes at once
            // has closed (TLS 1.3 sends it after).
            TlsConfig client = TlsTestKeys.client(engine).protocols("TLSv1.2").build();
            InetSocketAddress at = new InetSocketAddress(InetAddress.getByAddress(name, new byte[] {127, 0, 0, 1}),
                    address.getPort());
            List<Boolean> resumed = new ArrayList<>();
            List<Boolean> hasGroup = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Recorder clientSide = new Recorder().onOpen(Connection::close);
                Connection c = Connection.connect(loop, at, null, client, clientSide).get(30, TimeUnit.SECONDS);
                assertTrue(clientSide.awaitClosed() == Recorder.NO_CAUSE, "closed cleanly");
                resumed.add(c.tls().resumed());
                hasGroup.add(c.tls().group() != null);
            }
            assertEquals(List.of(false, true), resumed, name + ": the second connection resumes");
            // TLS 1.2's abbreviated handshake makes no key exchange: no group (the JDK's tells none).
            assertEquals(List.of("openssl".equals(engine), false), hasGroup, name + ": a group for the full handshake only");
        }
    }
}
