/**
 * The ffpoll multiplexer, in layers: {@link io.ffpoll.multiplexer.Poller} (one readiness
 * syscall per iteration, over the epoll, io_uring or kqueue backend) and
 * {@link io.ffpoll.multiplexer.EventLoop} (callbacks, timers, cross-thread tasks) in
 * {@code io.ffpoll.multiplexer}; sockets and connections over a loop in
 * {@code io.ffpoll.multiplexer.net}. The backends and the loop's internals are not exported.
 */
module io.ffpoll.multiplexer {
    // Not transitive: the API names no binding type, and users see no raw syscall (a program
    // that wants them requires io.ffpoll.bindings itself).
    requires io.ffpoll.bindings;
    requires org.slf4j;
    requires jdk.jfr; // the loops' events (observe): stalls, slow handlers, back-pressure, metrics
    requires jdk.unsupported; // sun.misc.Signal: SignalWatch rides the JVM's own signal dispatch

    exports io.ffpoll.multiplexer;
    exports io.ffpoll.multiplexer.net;
    // The loop's futures and its rule against waiting on a loop thread, for http-lite's own
    // futures and blocking conveniences; no user sees them.
    exports io.ffpoll.multiplexer.internal to io.ffpoll.http;
    // Whether JFR runs, so that http-lite touches its own event class only then.
    exports io.ffpoll.multiplexer.observe to io.ffpoll.http;
}
