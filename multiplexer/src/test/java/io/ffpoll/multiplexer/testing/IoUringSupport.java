package io.ffpoll.multiplexer.testing;

import io.ffpoll.multiplexer.Poller;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;

/** Skips, loudly, the io_uring tests of a machine where io_uring cannot be set up. */
public final class IoUringSupport {
    private static final String UNAVAILABLE = probe();

    private IoUringSupport() {}

    private static String probe() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("linux")) {
            return "not Linux";
        }
        try (Poller p = Poller.open("io_uring")) {
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    /** Aborts the calling test (or class) with the reason io_uring is unavailable here, printed to stderr. */
    public static void assumeAvailable() {
        if (UNAVAILABLE != null) {
            System.err.println("SKIPPED: io_uring tests: io_uring is unavailable here: " + UNAVAILABLE);
        }
        Assumptions.assumeTrue(UNAVAILABLE == null, "SKIPPED: io_uring is unavailable here: " + UNAVAILABLE);
    }

    /**
     * A poller on io_uring whose sends of 16 KiB or more go as SEND_ZC or SENDMSG_ZC
     * ({@code -Dffpoll.uring.zeroCopySends=true}, read when the poller is made), for the
     * zero-copy runs of a send suite.
     */
    public static Poller zeroCopyPoller() throws IOException {
        return pollerWith("ffpoll.uring.zeroCopySends");
    }

    /**
     * An io_uring poller whose sockets each have one multishot receive armed
     * ({@code -Dffpoll.uring.multishotReceives=true}, Linux 6.0), for the multishot runs of a
     * receive suite.
     */
    public static Poller multishotReceivePoller() throws IOException {
        return pollerWith("ffpoll.uring.multishotReceives");
    }

    // The backend reads these properties when it is made: set for that moment only.
    private static Poller pollerWith(String property) throws IOException {
        System.setProperty(property, "true");
        try {
            return Poller.open("io_uring");
        } finally {
            System.clearProperty(property);
        }
    }

    /** Whether io_uring can be set up on this machine. */
    public static boolean available() {
        return UNAVAILABLE == null;
    }
}
