package io.ffpoll.multiplexer.testing;

/** The calls each engine's budget is counted in, for tests that run on either Linux engine. */
public final class Engines {
    private Engines() {}

    /** The one call a loop iteration makes to wait: io_uring_enter on io_uring, else epoll_wait. */
    public static String waitCall(String backend) {
        return backend.equals("io_uring") ? "io_uring_enter" : "epoll_wait";
    }

    /** The calls adding {@code fds} new fds costs beyond the wait: one epoll_ctl each; none on io_uring. */
    public static long registrationCalls(String backend, int fds) {
        return backend.equals("io_uring") ? 0 : fds;
    }
}
