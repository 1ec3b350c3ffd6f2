package io.ffpoll.multiplexer;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.testing.rump.Rump;
import io.ffpoll.multiplexer.kqueue.KqueueBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Poller contract on a real BSD kernel: NetBSD's kern_event.c and TCP/IP in a rump kernel
 * in this process ({@code -Dffpoll.rump=/path/to/rump/lib}, run alone: {@code -Dtest='Rump*'};
 * skipped without it). The kqueue backend runs unchanged over NetBSD's 40-byte struct kevent.
 * Unlike libkqueue ({@link KqueuePollerTest}), registrations need no kevent of their own (failed
 * changes come back at once) and closing an fd removes its knotes, so the budgets are the BSD
 * kernels' own: one kevent per poll, whatever was queued. The wakeup is the one emulated part
 * (EVFILT_USER postdates this kernel): a write to a socketpair whose read end is a knote.
 */
class RumpPollerTest extends PollerContract {
    @BeforeAll
    static void bootRump() {
        Rump.require();
    }

    @Override
    Poller openPoller() throws IOException {
        return Poller.open();
    }

    @Override
    String[] calls() {
        return new String[] {"kevent"};
    }

    @Override
    long registrationCost(int fds, int polls) {
        return 0; // the adds go in the kevent that waits: an EV_ERROR entry comes back at once
    }

    @Override
    long closeCost(int fds) {
        return 0; // close removes the knotes
    }

    @Override
    String addFailure(int fd) {
        return "kevent(EV_ADD, EVFILT_READ, fd " + fd + "): EBADF (Bad file descriptor)";
    }

    @Override
    String wakeCall() {
        return "write"; // the emulated EVFILT_USER trigger
    }

    @Override
    boolean pollMakesWakeCall() {
        return false;
    }

    @Test
    void theBackendIsTheRumpKernelsKqueue() {
        assertEquals("kqueue", poller.backend());
        KqueueBackend kq = (KqueueBackend) poller.unwrap();
        assertTrue(kq.implementation().contains("NetBSD rump kernel"), kq.implementation());
    }

    @Test
    void registrationsAndClosesInTheSameIterationAreStillOneKevent() throws Exception {
        int listener = net.listen();
        int[][] old = net.pairs(listener, 8);
        for (int fd : old[1]) {
            poller.register(fd, Interest.BOTH, "old");
        }
        assertEquals(8, poller.poll(events, WAIT)); // all writable: the first iteration
        int[][] fresh = net.pairs(listener, 8);
        for (int iteration = 0; iteration < 8; iteration++) {
            long before = Syscalls.count("kevent", Thread.currentThread());
            // One iteration: a new fd is added, an old one closed, interest churned.
            poller.register(fresh[1][iteration], Interest.BOTH, "new");
            poller.deregisterAndClose(old[1][iteration]);
            net.forget(old[1][iteration]);
            poller.modify(fresh[1][iteration], Interest.READABLE);
            net.send(fresh[0][iteration], new byte[] {1});
            int n = poller.poll(events, Duration.ofMillis(100));
            assertEquals(1, Syscalls.count("kevent", Thread.currentThread()) - before,
                    "a registration, a close and the wait: one kevent");
            assertTrue(n >= 0);
        }
        // Steady state, with nothing owed from the closed fds: their knotes went with them.
        long before = Syscalls.count("kevent", Thread.currentThread());
        for (int i = 0; i < 3; i++) {
            int n = poller.poll(events, NOW);
            for (int e = 0; e < n; e++) {
                assertEquals("new", events.get(e).attachment(), "an event of a closed fd");
            }
        }
        assertEquals(3, Syscalls.count("kevent", Thread.currentThread()) - before, "steady state: one each");
    }
}
