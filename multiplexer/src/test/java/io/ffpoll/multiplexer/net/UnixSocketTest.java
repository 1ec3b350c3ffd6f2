package io.ffpoll.multiplexer.net;

/** {@link UnixSocketContract} on epoll. */
class UnixSocketTest extends UnixSocketContract {
    @Override
    String backend() {
        return "epoll";
    }
}
