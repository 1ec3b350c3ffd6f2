/** JMH benchmarks comparing ffpoll with java.nio (benchmarks arrive with the bench issue). */
module io.ffpoll.bench {
    requires io.ffpoll.multiplexer;
    requires jmh.core;
}
