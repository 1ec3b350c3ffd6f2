package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.testing.rump.Rump;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link ConnectionThreadingTest} on a NetBSD rump kernel: its sockets, TCP/IP and kqueue, under the real
 * loop and connection code ({@code -Dffpoll.rump=/path/to/rump/lib -Dtest='Rump*'}; skipped
 * without it).
 */
class RumpConnectionThreadingTest extends ConnectionThreadingTest {
    @BeforeAll
    static void bootRump() {
        Rump.require();
    }
}
