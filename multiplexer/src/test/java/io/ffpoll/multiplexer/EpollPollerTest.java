package io.ffpoll.multiplexer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Poller contract on epoll (a real Linux kernel), and what only epoll does. */
class EpollPollerTest extends PollerContract {
    @Override
    Poller openPoller() throws IOException {
        return Poller.open("epoll");
    }

    @Override
    String[] calls() {
        return new String[] {"epoll_ctl", "epoll_wait"};
    }

    @Override
    long registrationCost(int fds, int polls) {
        return fds; // one epoll_ctl(ADD) each
    }

    @Override
    long closeCost(int fds) {
        return 0; // the kernel drops a closed file from the set
    }

    @Override
    String addFailure(int fd) {
        return "epoll_ctl(EPOLL_CTL_ADD, fd " + fd + "): EBADF (Bad file descriptor)";
    }

    @Override
    String alwaysReadyRefusal(int fd) {
        return "epoll_ctl(EPOLL_CTL_ADD, fd " + fd + "): EPERM (Operation not permitted)";
    }

    @Override
    String wakeCall() {
        return "write";
    }

    @Override
    boolean pollMakesWakeCall() {
        return false;
    }

    @Test
    void theDefaultOnLinuxIsEpoll() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty(Poller.ENGINE_PROPERTY) == null,
                "ffpoll.engine picks another default in this run");
        assertEquals("epoll", poller.backend());
        try (Poller p = Poller.open()) {
            assertEquals("epoll", p.backend());
        }
    }

    @Test
    void aFailedModifyIsReportedWithTheOperationThatFailed() throws Exception {
        int efd = net.pair()[1];
        poller.register(efd, Interest.READABLE, "x");
        pollNow();
        poller.deregister(efd);
        poller.register(efd, Interest.READABLE, "y"); // still in the set: applied as a MOD
        int number = efd;
        net.close(efd); // so the MOD fails with EBADF
        assertEquals(1, poller.poll(events, WAIT));
        IOException failure = events.get(0).registrationFailure();
        assertNotNull(failure);
        assertEquals("epoll_ctl(EPOLL_CTL_MOD, fd " + number + "): EBADF (Bad file descriptor)", failure.getMessage());
    }

    @Test
    void subMillisecondTimeoutsAreRoundedUpToWholeMilliseconds() throws Exception {
        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            assertEquals(0, poller.poll(events, Duration.ofNanos(300_000)));
        }
        assertTrue(System.nanoTime() - start >= 5_000_000L, "epoll_wait takes milliseconds: 0.3 ms waits 1 ms");
    }

    @Test
    void openNamesTheEnginesWhenGivenNoneOrAnUnknownOne() {
        NullPointerException none = org.junit.jupiter.api.Assertions.assertThrows(NullPointerException.class,
                () -> Poller.open(null));
        assertTrue(none.getMessage().contains("epoll, io_uring, auto or kqueue"), none.getMessage());
        IllegalArgumentException unknown = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Poller.open("uring"));
        assertTrue(unknown.getMessage().contains("known: epoll, io_uring, auto, kqueue"), unknown.getMessage());
    }
}
