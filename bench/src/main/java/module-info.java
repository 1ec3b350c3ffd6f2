/** Benchmarks and measurements of ffpoll (JMH benchmarks arrive with the bench issue). */
module io.ffpoll.bench {
    requires io.ffpoll.multiplexer;
    requires java.management;
    requires jmh.core;
}
