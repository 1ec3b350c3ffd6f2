package io.ffpoll.multiplexer;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.testing.Libkqueue;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Poller contract on the kqueue backend, run here on libkqueue (a real kevent() on Linux).
 * Where libkqueue differs from the BSD kernels the expectations say so; the kernels' own
 * behaviour there is tested against the scripted model ({@code kqueue.KeventModelTest}).
 */
class KqueuePollerTest extends PollerContract {
    @BeforeAll
    static void startLibkqueue() throws IOException {
        // On first use libkqueue starts a thread with descriptors of its own, kept for the
        // process's life: not a leak of any test.
        Libkqueue.require();
        Poller.open("kqueue").close();
    }

    @Override
    Poller openPoller() throws IOException {
        return Poller.open("kqueue");
    }

    @Override
    String[] calls() {
        return new String[] {"kevent"};
    }

    @Override
    long registrationCost(int fds, int polls) {
        // libkqueue drops EV_ERROR entries when its wait times out, so new registrations go in a
        // kevent of their own, with EV_RECEIPT. The BSD kernels need none (see KeventModelTest).
        return polls;
    }

    @Override
    long closeCost(int fds) {
        return fds; // libkqueue keeps a closed fd's knotes: EV_DELETE first
    }

    @Override
    String addFailure(int fd) {
        return "kevent(EV_ADD, EVFILT_READ, fd " + fd + "): EBADF (Bad file descriptor)";
    }

    @Override
    String wakeCall() {
        return "kevent";
    }

    @Override
    boolean pollMakesWakeCall() {
        return true;
    }

    @Test
    void theBackendIsKqueue() {
        assertEquals("kqueue", poller.backend());
    }

    @Test
    void registrationsAndInterestChangesCostNoKeventOfTheirOwnButTheReceipts() throws Exception {
        int[][] pairs = net.pairs(net.listen(), 8);
        long before = Syscalls.count("kevent");
        for (int fd : pairs[1]) {
            poller.register(fd, Interest.READABLE, null);
            poller.modify(fd, Interest.BOTH);
            poller.modify(fd, Interest.WRITABLE);
        }
        assertEquals(8, poller.poll(events, WAIT)); // all writable
        assertEquals(2, Syscalls.count("kevent") - before, "the changes with EV_RECEIPT, then the wait");
        before = Syscalls.count("kevent");
        for (int fd : pairs[1]) {
            poller.modify(fd, Interest.NONE);
            poller.modify(fd, Interest.READABLE);
        }
        assertEquals(0, poller.poll(events, Duration.ZERO));
        assertEquals(1, Syscalls.count("kevent") - before, "interest changes cost nothing, the wait one kevent");
    }
}
