package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.testing.rump.Rump;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * {@link WriteLimitsTest} on a NetBSD rump kernel: its sockets, TCP/IP and kqueue, under the real
 * loop and connection code ({@code -Dffpoll.rump=/path/to/rump/lib -Dtest='Rump*'}; skipped
 * without it).
 */
class RumpWriteLimitsTest extends WriteLimitsTest {
    @BeforeAll
    static void bootRump() {
        Rump.require();
    }

    /**
     * Not on the rump kernel: its java.net peer sends tens of MiB through the relay and reads
     * nothing, and the run on 2026-12-06 hung there with every thread idle instead of seeing the
     * server give up (the relay's blocking pumps are not a peer that merely stops reading).
     */
    @Override
    @Test
    @Disabled("rump kernel: hangs through the relay (README, the rump check)")
    void byDefaultAPeerThatReadsNothingCannotGrowTheQueuePastItsCap() {
    }
}
