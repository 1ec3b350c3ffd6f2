package io.ffpoll.http.launcher;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A spawn that throws (a bad argument) rather than returning -errno: the worker's ready pipe,
 * made before the spawn, is closed, both its ends.
 */
class SupervisorSpawnFailureTest {

    @Test
    void aSpawnThatThrowsLeavesNoReadyPipeOpen() throws Exception {
        ObservedChildren throwing = new ObservedChildren() {
            @Override
            public long spawn(String path, List<String> argv, Map<String, String> env, int[][] placements) {
                throw new IllegalArgumentException("a NUL in an argument");
            }

            @Override
            public int kill(long pid, int signal) {
                throw new AssertionError("nothing was spawned to signal");
            }

            @Override
            public int waitpid(long pid, int options) {
                throw new AssertionError("nothing was spawned to reap");
            }
        };
        int[] socket = FakeChildren.socketStandIn();
        int[] parent = FakeChildren.socketStandIn();
        EventLoop loop = EventLoop.start("spawn-failure");
        try {
            long fds = Loopback.openFds();
            for (int i = 0; i < 3; i++) {
                CompletionException e = assertThrows(CompletionException.class, () -> loop.submit(() ->
                        Worker.spawn(throwing, loop, List.of("/fake/worker"), socket[0], -1, parent[0], 0, 1, 0)).join());
                assertInstanceOf(IllegalArgumentException.class, e.getCause(), "the spawn's own exception");
            }
            Loopback.awaitOpenFdsAtMost(fds, "descriptors of this process after three spawns that threw");
        } finally {
            loop.close();
            FakeChildren.closeBoth(socket);
            FakeChildren.closeBoth(parent);
        }
    }
}
