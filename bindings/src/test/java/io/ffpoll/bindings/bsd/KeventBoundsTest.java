package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.Processes;
import io.ffpoll.bindings.testing.Guarded;
import io.ffpoll.bindings.testing.Libkqueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static io.ffpoll.bindings.testing.Guarded.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * kevent() on libkqueue takes no more changes or events than its segments hold: nchanges and
 * nevents times sizeof(struct kevent) must fit the change and event lists, and a timeout must
 * hold a struct timespec. Skipped without libkqueue ({@link Libkqueue}).
 */
class KeventBoundsTest {
    private static final Platform OS = Platform.current();
    private static NativeKevent calls;
    private final Arena arena = Arena.ofConfined();
    private final List<Integer> fds = new ArrayList<>();

    @BeforeAll
    static void loadLibkqueue() {
        Libkqueue.require();
        calls = NativeKevent.libkqueue();
    }

    @AfterEach
    void closeAll() {
        fds.forEach(OS::close);
        arena.close();
    }

    private int track(int fd) {
        assertEquals(true, fd >= 0, "expected an fd, got -errno " + fd);
        fds.add(fd);
        return fd;
    }

    @Test
    void keventTakesNoChangeAndWritesNoEventPastItsLists() {
        KeventAbi abi = calls.abi();
        int kq = calls.kqueue();
        assertEquals(true, kq >= 0, "kqueue: " + kq);
        MemorySegment changes = abi.allocate(arena, 4);
        MemorySegment one = arena.allocate(1);
        for (int i = 0; i < 4; i++) {
            int[] p = new int[2];
            assertEquals(0, Processes.pipe(p));
            track(p[0]);
            track(p[1]);
            assertEquals(1, OS.write(p[1], one, 1));
            abi.set(changes, i, p[0], abi.evfiltRead, KeventAbi.EV_ADD, 0, 0, i);
        }
        MemorySegment zero = arena.allocate(16, 8);
        try {
            assertEquals(0, calls.kevent(kq, changes, 4, MemorySegment.NULL, 0, zero, null));

            Guarded events = new Guarded(arena, abi.size);
            IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "kevent",
                    () -> calls.kevent(kq, MemorySegment.NULL, 0, events.segment(), 4, zero, null), events);
            assertEquals("kevent: nevents 4 (" + 4 * abi.size + " bytes) out of bounds for eventlist of "
                    + abi.size + " bytes", e.getMessage());

            Guarded shortChanges = new Guarded(arena, abi.size);
            e = rejects(IndexOutOfBoundsException.class, "kevent",
                    () -> calls.kevent(kq, shortChanges.segment(), 2, MemorySegment.NULL, 0, zero, null), shortChanges);
            assertEquals("kevent: nchanges 2 (" + 2 * abi.size + " bytes) out of bounds for changelist of "
                    + abi.size + " bytes", e.getMessage());

            Guarded shortTimeout = new Guarded(arena, 8);
            e = rejects(IndexOutOfBoundsException.class, "kevent",
                    () -> calls.kevent(kq, MemorySegment.NULL, 0, events.segment(), 1, shortTimeout.segment(), null),
                    shortTimeout, events);
            assertEquals("kevent: struct timespec (16 bytes) out of bounds for timeout of 8 bytes", e.getMessage());

            assertEquals(1, calls.kevent(kq, MemorySegment.NULL, 0, events.segment(), 1, zero, null));
        } finally {
            calls.close(kq);
        }
    }
}
