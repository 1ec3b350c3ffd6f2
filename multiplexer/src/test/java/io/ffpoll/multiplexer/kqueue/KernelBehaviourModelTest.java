package io.ffpoll.multiplexer.kqueue;

import io.ffpoll.bindings.ErrnoName;
import io.ffpoll.bindings.bsd.BsdAbi;
import io.ffpoll.bindings.bsd.KeventAbi;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.backend.EventBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What NetBSD's real kernel did on the rump kernel ({@code RumpKernelTest}, run by hand) and
 * libkqueue does not, as tests of the model, so that CI holds the backend to the kernels'
 * behaviour: a failed change returns at once, flags EV_ERROR alone; a closed fd's knotes are
 * gone (EV_DELETE of the reused number: ENOENT); EV_CLEAR re-arms on new data that nobody
 * read, with every unread byte in data; a listener's data is its backlog; and the errnos of a
 * failed change are numbered alike on Linux and the BSDs, so the model's are the kernels'.
 */
class KernelBehaviourModelTest {
    private static final int KQ = 900;

    private static MemorySegment now(Arena arena) {
        return arena.allocate(16, 8);
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void aFailedChangeComesBackAtOnceWithFlagsEvErrorAlone(KeventModel.Kernel kernel) {
        KeventModel model = new KeventModel(kernel);
        KeventAbi abi = kernel.abi;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment changes = abi.allocate(arena, 1);
            MemorySegment events = abi.allocate(arena, 8);
            MemorySegment fiveSeconds = arena.allocate(16, 8);
            fiveSeconds.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 5);
            abi.set(changes, 0, 999, abi.evfiltRead, KeventAbi.EV_ADD | KeventAbi.EV_CLEAR, 0, 0, 7);
            assertEquals(1, model.kevent(KQ, changes, 1, events, 8, fiveSeconds, null));
            assertEquals(KeventAbi.EV_ERROR, abi.flags(events, 0));
            assertEquals(io.ffpoll.bindings.Err.EBADF, abi.data(events, 0));
            assertEquals(7, abi.udata(events, 0));
            assertEquals(0, model.waitsWithNothingToReport, "it returned without waiting");
        }
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void aClosedFdsKnotesAreGoneAndAReusedNumberHasNone(KeventModel.Kernel kernel) {
        KeventModel model = new KeventModel(kernel);
        KeventAbi abi = kernel.abi;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment changes = abi.allocate(arena, 1);
            MemorySegment events = abi.allocate(arena, 8);
            model.open(10);
            abi.set(changes, 0, 10, abi.evfiltRead, KeventAbi.EV_ADD | KeventAbi.EV_CLEAR, 0, 0, 1);
            assertEquals(0, model.kevent(KQ, changes, 1, events, 0, now(arena), null));
            assertEquals(0, model.close(10));
            model.open(10); // the number, reused
            abi.set(changes, 0, 10, abi.evfiltRead, KeventAbi.EV_DELETE, 0, 0, 2);
            assertEquals(1, model.kevent(KQ, changes, 1, events, 8, now(arena), null));
            assertEquals(io.ffpoll.bindings.Err.ENOENT, abi.data(events, 0), "the knote went with the close");
        }
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void evClearReArmsOnNewDataAndDataCountsEveryUnreadByte(KeventModel.Kernel kernel) {
        KeventModel model = new KeventModel(kernel);
        KeventAbi abi = kernel.abi;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment changes = abi.allocate(arena, 1);
            MemorySegment events = abi.allocate(arena, 8);
            model.open(10).writable = false;
            abi.set(changes, 0, 10, abi.evfiltRead, KeventAbi.EV_ADD | KeventAbi.EV_CLEAR, 0, 0, 1);
            assertEquals(0, model.kevent(KQ, changes, 1, events, 0, now(arena), null));
            model.arrive(10, 3);
            assertEquals(1, model.kevent(KQ, changes, 0, events, 8, now(arena), null));
            assertEquals(3, abi.data(events, 0));
            assertEquals(0, model.kevent(KQ, changes, 0, events, 8, now(arena), null), "once per change");
            model.arrive(10, 2); // nothing was read: a new edge all the same
            assertEquals(1, model.kevent(KQ, changes, 0, events, 8, now(arena), null));
            assertEquals(5, abi.data(events, 0), "every unread byte, not the new ones");
        }
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void aListenersDataIsItsBacklogAndTheBackendAcceptsOnItsEdges(KeventModel.Kernel kernel) throws IOException {
        KeventModel model = new KeventModel(kernel);
        KeventAbi abi = kernel.abi;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment changes = abi.allocate(arena, 1);
            MemorySegment events = abi.allocate(arena, 8);
            model.listener(10);
            abi.set(changes, 0, 10, abi.evfiltRead, KeventAbi.EV_ADD | KeventAbi.EV_CLEAR, 0, 0, 1);
            assertEquals(0, model.kevent(KQ, changes, 1, events, 0, now(arena), null));
            for (int i = 0; i < 3; i++) {
                model.connectionWaits(10);
            }
            assertEquals(1, model.kevent(KQ, changes, 0, events, 8, now(arena), null));
            assertEquals(3, abi.data(events, 0), "the connections waiting to be accepted");
        }
        // The backend: a shared (listening) fd waits for reads only, and each new connection is an edge.
        KeventModel fresh = new KeventModel(kernel);
        KqueueBackend b = new KqueueBackend(fresh);
        EventBuffer events = new EventBuffer(8);
        fresh.listener(20);
        b.register(20, EventBuffer.READ, "listener", true);
        assertEquals(0, b.poll(events, 0));
        fresh.connectionWaits(20);
        assertEquals(1, b.poll(events, 0));
        assertEquals(EventBuffer.READ, events.ready(0));
        assertTrue(fresh.hasKnote(20, abi.evfiltRead) && !fresh.hasKnote(20, abi.evfiltWrite));
        b.close();
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void registrationsAndClosesInOneIterationAreOneKevent(KeventModel.Kernel kernel) throws IOException {
        KeventModel model = new KeventModel(kernel);
        KqueueBackend b = new KqueueBackend(model);
        EventBuffer events = new EventBuffer(64);
        for (int fd = 10; fd < 18; fd++) {
            model.open(fd);
            b.register(fd, EventBuffer.READ, "old", false);
        }
        b.poll(events, 0);
        for (int i = 0; i < 8; i++) {
            long before = Syscalls.count("kevent");
            model.open(30 + i);
            b.register(30 + i, EventBuffer.READ | EventBuffer.WRITE, "new", false);
            b.deregisterAndClose(10 + i);
            b.modify(30 + i, EventBuffer.READ);
            model.arrive(30 + i, 1);
            b.poll(events, 0);
            assertEquals(1, Syscalls.count("kevent") - before, "an add, a close and the wait: one kevent");
        }
        assertEquals(8, model.fdsWithKnotes().size(), "only the new fds have knotes");
        b.close();
    }

    @Test
    void theErrnosOfAFailedChangeAreNumberedAlikeOnLinuxAndTheBsds() {
        // kqueue_register fails with EBADF, ENOENT, EINVAL or ENOMEM (NetBSD, FreeBSD and XNU
        // kern_event.c); 4.4BSD and Linux number these alike, so the model's numbers (this
        // host's) are what the kernels put in data, and the backend names them right anywhere.
        ErrnoName[] changeErrors = {ErrnoName.EBADF, ErrnoName.ENOENT, ErrnoName.EINVAL, ErrnoName.ENOMEM};
        for (BsdAbi bsd : BsdAbi.values()) {
            int[] numbers = bsd.errnos();
            for (ErrnoName name : changeErrors) {
                assertEquals(Platform.current().errno(name), numbers[name.ordinal()], bsd + " " + name);
            }
        }
        // The rest differ: EAGAIN is 35 on the BSDs, 11 on Linux; the rump kernel returned 35.
        assertEquals(35, BsdAbi.NETBSD.errnos()[ErrnoName.EAGAIN.ordinal()]);
    }
}
