package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.testing.IoUringSupport;

import java.io.IOException;

/**
 * {@link IoUringTlsSendTest}'s suite again with zero-copy sends ({@code -Dffpoll.uring.zeroCopySends=true}):
 * a send of TLS records completes twice, and its records may be freed only at the second
 * completion, the notification.
 */
class IoUringZeroCopyTlsSendTest extends IoUringTlsSendTest {
    @Override
    protected Poller openPoller() throws IOException {
        return IoUringSupport.zeroCopyPoller();
    }
}
