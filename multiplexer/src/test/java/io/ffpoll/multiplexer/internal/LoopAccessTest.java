package io.ffpoll.multiplexer.internal;

import io.ffpoll.multiplexer.EventLoop;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The loop's hooks for the connection layer cannot be replaced from the class path. */
class LoopAccessTest {
    @Test
    void onlyEventLoopInstallsTheAccessAndOnlyOnce() {
        LoopAccess installed = LoopAccess.get();
        assertNotNull(installed, "EventLoop installed it as it was initialised");
        assertNotNull(EventLoop.class.getName());
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> LoopAccess.install(installed));
        assertSame(installed, LoopAccess.get(), "unchanged: " + refused.getMessage());
    }
}
