/**
 * The ffpoll multiplexer: {@link io.ffpoll.multiplexer.Poller} (one readiness syscall per
 * iteration), {@link io.ffpoll.multiplexer.EventLoop} (callbacks, timers, cross-thread tasks),
 * and socket helpers ({@link io.ffpoll.multiplexer.Listener}, {@link io.ffpoll.multiplexer.Connector}).
 */
module io.ffpoll.multiplexer {
    requires transitive io.ffpoll.bindings;
    requires org.slf4j;

    exports io.ffpoll.multiplexer;
}
