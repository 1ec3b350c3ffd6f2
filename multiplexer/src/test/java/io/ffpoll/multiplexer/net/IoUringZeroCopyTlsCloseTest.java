package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.Poller;

import java.io.IOException;

/**
 * {@link IoUringTlsCloseTest}'s suite again with zero-copy sends ({@code -Dffpoll.uring.zeroCopySends=true}):
 * a send of TLS records completes twice, and its records may be freed only at the second
 * completion, the notification.
 */
class IoUringZeroCopyTlsCloseTest extends IoUringTlsCloseTest {
    @Override
    protected Poller openPoller() throws IOException {
        System.setProperty("ffpoll.uring.zeroCopySends", "true");
        try {
            return Poller.open("io_uring");
        } finally {
            System.clearProperty("ffpoll.uring.zeroCopySends");
        }
    }
}
