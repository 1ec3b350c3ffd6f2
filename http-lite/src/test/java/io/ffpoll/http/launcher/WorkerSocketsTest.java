package io.ffpoll.http.launcher;

import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a worker of {@code --workers} gets its listening sockets: plain HTTP's at fd 3
 * ({@code --fd 3}), HTTPS's at fd 6 ({@code --tls-fd 6}), or {@code --port off} without a plain
 * one; and the order of the dup2s, so that a socket inherited at a low number (systemd's 3 and
 * 4) is placed before its number is overwritten. The spawn is recorded, not run (it returns
 * -ENOENT), and the ready pipe made for it is closed.
 */
class WorkerSocketsTest {
    private static final int ENOENT = 2;

    /** Records one spawn and fails it as a missing program would. */
    private static final class Recording extends ObservedChildren {
        List<String> argv;
        int[][] placements;

        @Override
        public long spawn(String path, List<String> argv, Map<String, String> env, int[][] placements) {
            this.argv = argv;
            this.placements = placements;
            return -ENOENT;
        }

        @Override
        public int kill(long pid, int signal) {
            throw new AssertionError("nothing was spawned to signal");
        }

        @Override
        public int waitpid(long pid, int options) {
            throw new AssertionError("nothing was spawned to reap");
        }
    }

    private static Recording spawn(int listenFd, int tlsFd) {
        Recording r = new Recording();
        assertThrows(IOException.class, () -> Worker.spawn(r, null, List.of("/fake/worker"), listenFd, tlsFd, 40, 0, 1, 0));
        return r;
    }

    /** The placements as (from, to) pairs, the pipes' own (sources the test does not know) left out. */
    private static List<List<Integer>> sockets(Recording r) {
        List<List<Integer>> l = new ArrayList<>();
        for (int[] p : r.placements) {
            if (p[1] == Worker.LISTEN_FD || p[1] == Worker.TLS_FD) {
                l.add(List.of(p[0], p[1]));
            }
        }
        return l;
    }

    @Test
    void plainAndTlsSocketsGoTo3And6() throws InterruptedException {
        long fds = Loopback.openFds();
        Recording r = spawn(20, 21);
        assertEquals(List.of("/fake/worker", "--fd", "3", "--tls-fd", "6", "--supervised", "4,5"), r.argv);
        assertEquals(List.of(List.of(20, 3), List.of(21, 6)), sockets(r));
        assertEquals(List.of(3, 6, 4, 5), java.util.Arrays.stream(r.placements).map(p -> p[1]).toList(),
                "the sockets first: a pipe's placement must not overwrite an inherited one");
        assertEquals(40, r.placements[2][0], "the parent pipe at 4");
        Loopback.awaitOpenFdsAtMost(fds, "the ready pipe closed after the failed spawn");
    }

    @Test
    void httpsAloneIsPortOff() {
        Recording r = spawn(-1, 4);
        assertEquals(List.of("/fake/worker", "--port", "off", "--tls-fd", "6", "--supervised", "4,5"), r.argv);
        assertArrayEquals(new int[] {4, 6}, r.placements[0], "systemd's fd 4 placed before the parent pipe takes 4");
    }

    @Test
    void anHttpsSocketAt3IsMovedBeforePlainHttpTakes3() {
        Recording r = spawn(4, 3);
        assertEquals(List.of(List.of(3, 6), List.of(4, 3)), sockets(r));
    }

    @Test
    void socketsEachWhereTheOtherGoesAreRefused() {
        IOException e = assertThrows(IOException.class,
                () -> Worker.spawn(new Recording(), null, List.of("/fake/worker"), 6, 3, 40, 0, 1, 0));
        assertTrue(e.getMessage().contains("each is where the other goes"), e.getMessage());
    }
}
