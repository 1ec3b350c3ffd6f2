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
        System.setProperty("ffpoll.uring.zeroCopySends", "true");
        try {
            return Poller.open("io_uring");
        } finally {
            System.clearProperty("ffpoll.uring.zeroCopySends");
        }
    }

    /** An io_uring poller whose sockets each have one multishot receive armed (Linux 6.0). */
    public static Poller multishotReceivePoller() throws IOException {
        System.setProperty("ffpoll.uring.multishotReceives", "true");
        try {
            return Poller.open("io_uring");
        } finally {
            System.clearProperty("ffpoll.uring.multishotReceives");
        }
    }

    /** Whether io_uring can be set up on this machine. */
    public static boolean available() {
        return UNAVAILABLE == null;
    }
}
