package io.ffpoll.multiplexer.observe;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The sampler reads a threshold as JFR does, so that it samples as early as the events want. */
class StackSamplerTest {
    @Test
    void thresholdsAreReadAsJfrWritesThem() {
        assertEquals(TimeUnit.MILLISECONDS.toNanos(20), StackSampler.parse("20 ms"));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(5), StackSampler.parse("5ms"));
        assertEquals(0, StackSampler.parse("0"));
        assertEquals(0, StackSampler.parse("0 ns"));
        assertEquals(TimeUnit.MICROSECONDS.toNanos(500), StackSampler.parse("500 us"));
        assertEquals(TimeUnit.SECONDS.toNanos(1), StackSampler.parse("1 s"));
        assertEquals(TimeUnit.HOURS.toNanos(2), StackSampler.parse("2 h"));
        assertEquals(TimeUnit.DAYS.toNanos(1), StackSampler.parse("1 d"));
        assertEquals(StackSampler.NONE, StackSampler.parse("infinity"));
        assertEquals(StackSampler.NONE, StackSampler.parse("20 fortnights"));
        assertEquals(StackSampler.NONE, StackSampler.parse(""));
    }
}
