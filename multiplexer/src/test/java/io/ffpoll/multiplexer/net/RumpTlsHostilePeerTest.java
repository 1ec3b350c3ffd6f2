package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.testing.rump.Rump;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link TlsHostilePeerTest} on a NetBSD rump kernel: its sockets, TCP/IP and kqueue under the TLS layer and
 * both engines ({@code -Dffpoll.rump=/path/to/rump/lib -Dtest='Rump*'}; skipped without it).
 */
class RumpTlsHostilePeerTest extends TlsHostilePeerTest {
    @BeforeAll
    static void bootRump() {
        Rump.require();
    }
}
