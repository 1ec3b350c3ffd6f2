package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.tls.openssl.OpenSslTlsFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sessionTickets(false)} on the JDK engine: a client resumes nothing (the JDK would
 * otherwise keep its TLS 1.2 session, resumable by id, for the 7 days the context's timeout says);
 * a server that allows TLS 1.2 is refused, with a message that says why even where the default
 * engine fell back to the JDK's; the JDK's own property is read as the JDK reads it.
 */
class TlsTicketsOffTest extends TlsTestBase {
    private static final String TICKET_PROPERTY = "jdk.tls.server.enableSessionTicketExtension";

    /** The JDK's NativePRNG opens /dev/random and /dev/urandom once per JVM: before the fds are counted. */
    @BeforeAll
    static void warmUpTheJdksRandom() throws Exception {
        javax.net.ssl.SSLContext.getInstance("TLS").init(null, null, null);
        new java.security.SecureRandom().nextBytes(new byte[8]);
    }

    /** Two connections from one client configuration; whether each was resumed. */
    private List<Boolean> twoConnections(TlsConfig client) throws Exception {
        List<Boolean> resumed = new ArrayList<>();
        InetSocketAddress at = new InetSocketAddress(InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}),
                address.getPort());
        for (int i = 0; i < 2; i++) {
            Recorder clientSide = new Recorder().onOpen(Connection::close);
            Connection c = Connection.connect(loop, at, null, client, clientSide).get(30, TimeUnit.SECONDS);
            assertTrue(clientSide.awaitClosed() == Recorder.NO_CAUSE, "closed cleanly");
            resumed.add(c.tls().resumed());
        }
        return resumed;
    }

    @Test
    void aJdkClientWithTicketsOffResumesNothingOnTls12() throws Exception {
        serveTls(TlsTestKeys.server("jdk", "ec").protocols("TLSv1.2").build(), () -> new Recorder().closingAtEndOfInput());
        assertEquals(List.of(false, true), twoConnections(TlsTestKeys.client("jdk").protocols("TLSv1.2").build()),
                "tickets on: the second connection resumes");
        assertEquals(List.of(false, false), twoConnections(TlsTestKeys.client("jdk").protocols("TLSv1.2")
                .sessionTickets(false).build()), "tickets off: neither resumes");
    }

    @Test
    void theDefaultEngineFallingBackToTheJdkSaysWhyItRefusesTls12WithoutTickets() throws Exception {
        TlsConfig.Builder b = TlsTestKeys.server("jdk", "ec").engine(TlsConfig.Engine.AUTO).sessionTickets(false);
        System.setProperty(OpenSslTlsFactory.ENABLE_PROPERTY, "false"); // as on a host without libssl 3
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, b::build);
            assertTrue(e.getMessage().contains("OpenSSL engine is not available here") && e.getMessage().contains("TLSv1.3 alone"),
                    e.getMessage());
            assertDoesNotThrow(() -> b.protocols("TLSv1.3").build(), "TLS 1.3 alone is fine");
        } finally {
            System.clearProperty(OpenSslTlsFactory.ENABLE_PROPERTY);
        }
    }

    @Test
    void theJdksTicketPropertyIsReadAsTheJdkReadsIt() throws Exception {
        TlsConfig.Builder b = TlsTestKeys.server("jdk", "ec").engine(TlsConfig.Engine.JDK).sessionTickets(false);
        assertThrows(IllegalStateException.class, b::build);
        System.setProperty(TICKET_PROPERTY, "FALSE"); // the JDK compares it ignoring case
        try {
            assertDoesNotThrow(b::build);
        } finally {
            System.clearProperty(TICKET_PROPERTY);
        }
    }
}
