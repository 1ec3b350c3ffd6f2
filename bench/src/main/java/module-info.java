/** Benchmarks and measurements of ffpoll (JMH benchmarks arrive with the bench issue). */
module io.ffpoll.bench {
    requires io.ffpoll.multiplexer;
    requires java.management;
    requires io.ffpoll.bindings;
    requires jmh.core;
    requires io.netty.buffer;
    requires io.netty.codec.http;
    requires io.netty.common;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;
}
