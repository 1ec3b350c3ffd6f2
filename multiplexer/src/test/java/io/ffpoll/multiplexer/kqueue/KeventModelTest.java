package io.ffpoll.multiplexer.kqueue;

import io.ffpoll.bindings.Err;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.bsd.KeventAbi;
import io.ffpoll.multiplexer.backend.EventBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kqueue backend against the scripted kernels of {@link KeventModel} (FreeBSD's 64-byte
 * struct kevent, XNU's 32-byte one): what libkqueue cannot show here, and the parts of the
 * Poller contract that do not need real sockets, since CI has no libkqueue.
 */
class KeventModelTest {
    private static final int CAPACITY = 64;

    private static KqueueBackend backend(KeventModel model) throws IOException {
        return new KqueueBackend(model);
    }

    /** Events of one poll, by fd: the ready bits, or -errno for a failed registration. */
    private static Map<Integer, Integer> poll(KqueueBackend b, EventBuffer events) throws IOException {
        Map<Integer, Integer> got = new HashMap<>();
        int n = b.poll(events, 0);
        for (int i = 0; i < n; i++) {
            got.put(events.fd(i), events.failure(i) != 0 ? -events.failure(i) : events.ready(i));
        }
        return got;
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void registrationsInterestChangesAndAWaitAreOneKevent(KeventModel.Kernel kernel) throws IOException {
        KeventModel model = new KeventModel(kernel);
        KqueueBackend b = backend(model);
        EventBuffer events = new EventBuffer(CAPACITY);
        final int n = 20;
        for (int fd = 10; fd < 10 + n; fd++) {
            model.open(fd);
            b.register(fd, EventBuffer.READ, "fd" + fd, false);
            b.modify(fd, EventBuffer.READ | EventBuffer.WRITE);
            b.modify(fd, EventBuffer.WRITE);
        }
        long before = Syscalls.count("kevent");
        Map<Integer, Integer> got = poll(b, events);
        assertEquals(1, Syscalls.count("kevent") - before, n + " registrations, " + 2 * n + " changes, one wait");
        assertEquals(n, got.size());
        got.values().forEach(ready -> assertEquals(EventBuffer.WRITE, ready));
        for (int fd = 10; fd < 10 + n; fd++) {
            assertTrue(model.hasKnote(fd, model.kernel.abi.evfiltRead) && model.hasKnote(fd, model.kernel.abi.evfiltWrite));
        }
        b.close();
        assertTrue(b.memoryReleased());
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void aFailedAddIsReportedForItsOwnFdAndTheRestOfTheBatchIsApplied(KeventModel.Kernel kernel) throws IOException {
        KeventModel model = new KeventModel(kernel);
        KqueueBackend b = backend(model);
        // Far more changes than the caller's event capacity: the event list must still have
        // room for every error entry, or the kernel would drop the rest of the change list.
        EventBuffer events = new EventBuffer(4);
        List<Integer> bad = new ArrayList<>();
        for (int fd = 10; fd < 60; fd++) {
            if (fd % 5 == 0) {
                bad.add(fd); // never opened: EBADF
            } else {
                model.open(fd).writable = false;
            }
            b.register(fd, EventBuffer.READ | EventBuffer.WRITE, null, false);
        }
        long before = Syscalls.count("kevent");
        Map<Integer, Integer> failures = new HashMap<>();
        for (int round = 0; round < 10 && failures.size() < bad.size(); round++) {
            poll(b, events).forEach((fd, r) -> {
                if (r < 0) {
                    failures.put(fd, r);
                }
            });
        }
        assertEquals(bad.size(), failures.size(), "every failed fd reported: " + failures.keySet());
        failures.forEach((fd, r) -> assertEquals(-Err.EBADF, r, "fd " + fd));
        assertTrue(failures.keySet().containsAll(bad));
        List<Integer> good = model.fdsWithKnotes();
        assertEquals(40, good.size(), "the good registrations were all applied");
        for (int fd : good) {
            assertTrue(b.isRegistered(fd));
        }
        for (int fd : bad) {
            assertFalse(b.isRegistered(fd), "a failed registration is dropped");
        }
        // The first poll wrote error entries and returned at once; the failures that did not fit
        // in 4 events were delivered by later polls, each still one kevent.
        assertEquals(0, model.waitsWithNothingToReport);
        assertTrue(Syscalls.count("kevent") - before <= 10);
        b.close();
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void closeRemovesTheKnotesSoDeregisterAndCloseMakesNoKevent(KeventModel.Kernel kernel) throws IOException {
        KeventModel model = new KeventModel(kernel);
        KqueueBackend b = backend(model);
        EventBuffer events = new EventBuffer(CAPACITY);
        model.open(10).writable = false;
        b.register(10, EventBuffer.READ, "old", false);
        poll(b, events);
        long before = Syscalls.count("kevent");
        b.deregisterAndClose(10);
        assertEquals(before, Syscalls.count("kevent"), "no EV_DELETE before the close on a BSD kernel");
        assertFalse(model.hasKnote(10, model.kernel.abi.evfiltRead));
        // The number is reused by a new file: it gets knotes of its own.
        model.open(10).writable = false;
        b.register(10, EventBuffer.READ, "new", false);
        poll(b, events);
        model.arrive(10);
        Map<Integer, Integer> got = poll(b, events);
        assertEquals(Map.of(10, EventBuffer.READ), got);
        assertEquals("new", events.attachment(0));
        b.close();
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void eofWithAnErrnoInFflagsIsAHangUpWithAnError(KeventModel.Kernel kernel) throws IOException {
        KeventModel model = new KeventModel(kernel);
        KqueueBackend b = backend(model);
        EventBuffer events = new EventBuffer(CAPACITY);
        model.open(10).writable = false;
        model.open(11).writable = false;
        b.register(10, EventBuffer.READ | EventBuffer.WRITE, null, false);
        b.register(11, EventBuffer.READ | EventBuffer.WRITE, null, false);
        poll(b, events);
        model.hangUp(10, Err.ECONNRESET);
        model.hangUp(11, 0);
        Map<Integer, Integer> got = poll(b, events);
        int all = EventBuffer.READ | EventBuffer.WRITE | EventBuffer.READ_CLOSED | EventBuffer.WRITE_CLOSED;
        assertEquals(all | EventBuffer.ERROR, got.get(10), "reset: both directions closed, with an error");
        assertEquals(all, got.get(11), "a plain EOF is no error");
        b.close();
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void aWakeupIsAUserEventThatEndsTheWaitAndIsNotDelivered(KeventModel.Kernel kernel) throws IOException {
        KeventModel model = new KeventModel(kernel);
        KqueueBackend b = backend(model);
        EventBuffer events = new EventBuffer(CAPACITY);
        assertEquals(0, b.poll(events, -1));
        assertEquals(1, model.waitsWithNothingToReport, "nothing to report: the model's wait would block");
        b.poll(events, 0); // the latch consumed nothing: a poll that does not block
        Thread waker = Thread.ofPlatform().start(b::wakeup);
        try {
            waker.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        long waits = model.waitsWithNothingToReport;
        // A wakeup while nobody waits: the next poll does not wait and reports nothing.
        assertEquals(0, b.poll(events, -1));
        assertEquals(waits, model.waitsWithNothingToReport);
        b.close();
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void edgesAreReportedOncePerChangeAndRememberedWhileInterestIsOff(KeventModel.Kernel kernel) throws IOException {
        KeventModel model = new KeventModel(kernel);
        KqueueBackend b = backend(model);
        EventBuffer events = new EventBuffer(CAPACITY);
        model.open(10).writable = false;
        b.register(10, EventBuffer.READ, "fd10", false);
        assertEquals(Map.of(), poll(b, events));
        model.arrive(10);
        assertEquals(Map.of(10, EventBuffer.READ), poll(b, events));
        assertEquals(Map.of(), poll(b, events), "not drained, but no new edge: not reported again");
        model.arrive(10);
        assertEquals(Map.of(10, EventBuffer.READ), poll(b, events), "a new edge");

        b.modify(10, 0);
        model.arrive(10);
        assertEquals(Map.of(), poll(b, events), "interest off: remembered, not delivered");
        b.modify(10, EventBuffer.READ);
        long before = Syscalls.count("kevent");
        assertEquals(1, b.poll(events, -1), "delivered by a poll that would otherwise block");
        assertEquals(10, events.fd(0));
        assertEquals("fd10", events.attachment(0));
        assertEquals(1, Syscalls.count("kevent") - before, "re-enabling interest costs no kevent, the poll one");
        assertEquals(0, model.lastTimeoutNanos, "with readiness owed, the kevent does not wait");

        // Drained to EAGAIN (clearReadiness), then re-enabled: nothing is owed.
        b.clearReadiness(10, EventBuffer.READ);
        b.modify(10, 0);
        b.modify(10, EventBuffer.READ);
        assertEquals(Map.of(), poll(b, events));
        b.close();
        assertTrue(b.memoryReleased());
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void aHalfCloseIsReadClosedOnlyAndWriteInterestUsesRememberedWritability(KeventModel.Kernel kernel)
            throws IOException {
        KeventModel model = new KeventModel(kernel);
        KqueueBackend b = backend(model);
        EventBuffer events = new EventBuffer(CAPACITY);
        model.open(10);
        b.register(10, EventBuffer.READ, null, false);
        assertEquals(Map.of(), poll(b, events), "writable, but not of interest");
        b.modify(10, EventBuffer.READ | EventBuffer.WRITE);
        assertEquals(Map.of(10, EventBuffer.WRITE), poll(b, events), "the remembered writability");
        model.peerShutsDownOutput(10);
        assertEquals(Map.of(10, EventBuffer.READ | EventBuffer.READ_CLOSED), poll(b, events),
                "one direction closed, no error");
        b.close();
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void timeoutsReachKeventInNanosecondsNeverRoundedToASpin(KeventModel.Kernel kernel) throws IOException {
        KeventModel model = new KeventModel(kernel);
        KqueueBackend b = backend(model);
        EventBuffer events = new EventBuffer(CAPACITY);
        for (long nanos : new long[] {300_000L, 1L, 2_500_000_001L}) {
            long waits = model.waitsWithNothingToReport;
            assertEquals(0, b.poll(events, nanos));
            assertEquals(nanos, model.lastTimeoutNanos, "the timespec for " + nanos + " ns");
            assertEquals(waits + 1, model.waitsWithNothingToReport, "it waited");
        }
        assertEquals(0, b.poll(events, -1));
        assertEquals(-1, model.lastTimeoutNanos, "no limit is a NULL timespec");
        assertEquals(0, b.poll(events, 0));
        assertEquals(0, model.lastTimeoutNanos);
        b.close();
    }

    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void owedReadinessSharesAFullBufferWithTheKernelsEvents(KeventModel.Kernel kernel) throws IOException {
        KeventModel model = new KeventModel(kernel);
        KqueueBackend b = backend(model);
        EventBuffer one = new EventBuffer(1);
        model.open(10).writable = false;
        b.register(10, EventBuffer.READ, null, false);
        for (int fd = 11; fd < 51; fd++) {
            model.open(fd).writable = false;
            b.register(fd, EventBuffer.READ, null, false);
        }
        poll(b, new EventBuffer(CAPACITY)); // the registrations
        model.arrive(10);
        assertEquals(Map.of(10, EventBuffer.READ), poll(b, new EventBuffer(CAPACITY)));
        b.modify(10, 0);
        b.modify(10, EventBuffer.READ); // readable all along: owed to the next poll
        for (int fd = 11; fd < 51; fd++) {
            model.arrive(fd);
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 41; i++) {
            Map<Integer, Integer> got = poll(b, one);
            assertEquals(1, got.size(), "poll " + i + ": a full buffer");
            order.addAll(got.keySet());
        }
        assertTrue(order.indexOf(10) >= 0 && order.indexOf(10) < 2, "the owed fd came " + order.indexOf(10) + "th");
        assertEquals(41, new java.util.HashSet<>(order).size(), "every fd once: " + order);
        b.close();
    }

    /** The model itself: what each kernel does when the event list has no room for an entry. */
    @ParameterizedTest
    @EnumSource(KeventModel.Kernel.class)
    void theKernelsDifferWhenTheEventListIsFull(KeventModel.Kernel kernel) {
        KeventModel model = new KeventModel(kernel);
        KeventAbi abi = kernel.abi;
        model.open(10);
        model.open(12);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment changes = abi.allocate(arena, 3);
            MemorySegment events = abi.allocate(arena, 1);
            MemorySegment now = arena.allocate(16, 8);
            // A receipt, then a failing add (fd 11 is not open), then a good add.
            abi.set(changes, 0, 10, abi.evfiltRead, KeventAbi.EV_ADD | KeventAbi.EV_RECEIPT, 0, 0, 1);
            abi.set(changes, 1, 11, abi.evfiltRead, KeventAbi.EV_ADD, 0, 0, 2);
            abi.set(changes, 2, 12, abi.evfiltRead, KeventAbi.EV_ADD, 0, 0, 3);
            int r = model.kevent(900, changes, 3, events, 0, now, null);
            if (kernel != KeventModel.Kernel.XNU) {
                assertEquals(0, r, "FreeBSD and NetBSD return at the receipt they have no room for");
                assertTrue(model.hasKnote(10, model.kernel.abi.evfiltRead));
                assertFalse(model.hasKnote(12, model.kernel.abi.evfiltRead), "the rest of the list is not applied");
            } else {
                assertEquals(-Err.EBADF, r, "XNU skips the receipt, then stops at the error");
                assertFalse(model.hasKnote(12, model.kernel.abi.evfiltRead));
            }
            // With room for one entry: the error is reported and the call returns at once.
            KeventModel roomy = new KeventModel(kernel);
            roomy.open(10);
            roomy.open(12);
            abi.set(changes, 0, 10, abi.evfiltRead, KeventAbi.EV_ADD, 0, 0, 1);
            assertEquals(1, roomy.kevent(900, changes, 3, events, 1, MemorySegment.NULL, null));
            assertEquals(KeventAbi.EV_ERROR, abi.flags(events, 0));
            assertEquals(Err.EBADF, abi.data(events, 0));
            assertEquals(2, abi.udata(events, 0));
            assertTrue(roomy.hasKnote(12, model.kernel.abi.evfiltRead), "changes after the failed one are applied");
            assertEquals(0, roomy.waitsWithNothingToReport, "it returned without waiting");
        }
    }
}
