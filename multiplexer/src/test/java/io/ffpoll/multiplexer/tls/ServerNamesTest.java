package io.ffpoll.multiplexer.tls;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The names a client checks and sends, the same for both engines. */
class ServerNamesTest {

    @Test
    void aTrailingDotIsDropped() {
        assertEquals("example.com", ServerNames.checked("example.com."));
        assertEquals("example.com", ServerNames.sni(ServerNames.checked("example.com.")));
    }

    @Test
    void anInternationalizedNameIsCheckedAndSentInItsAsciiForm() {
        assertEquals("xn--bcher-kva.example", ServerNames.checked("bücher.example"));
        assertEquals("xn--bcher-kva.example", ServerNames.sni(ServerNames.checked("bücher.example")));
    }

    @Test
    void addressesAndNamesThatAreNoHostNamesAreCheckedButNotSent() {
        for (String host : new String[] {"127.0.0.1", "::1", "my_service"}) {
            assertEquals(host, ServerNames.checked(host));
            assertNull(ServerNames.sni(host), host);
        }
        assertNull(ServerNames.checked(null));
    }
}
