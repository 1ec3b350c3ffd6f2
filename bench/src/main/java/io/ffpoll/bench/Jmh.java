package io.ffpoll.bench;

/** Runs JMH on this module's benchmarks: {@code bench/run Jmh [JMH options]}, e.g. {@code bench/run Jmh InterestChurn}. */
public final class Jmh {
    private Jmh() {}

    public static void main(String[] args) throws Exception {
        org.openjdk.jmh.Main.main(args);
    }
}
