package io.ffpoll.multiplexer.net;

/** {@link StreamFdContract} on epoll. */
class StreamFdTest extends StreamFdContract {
    @Override
    String backend() {
        return "epoll";
    }
}
