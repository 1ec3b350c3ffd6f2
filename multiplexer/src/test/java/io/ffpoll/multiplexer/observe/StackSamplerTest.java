package io.ffpoll.multiplexer.observe;

import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The sampler reads a threshold as JFR does, so that it samples as early as the events want. */
class StackSamplerTest {
    /** The loops skip the events' end() under this: it follows recordings as they start and stop. */
    @Test
    void theLowestThresholdFollowsRecordings() {
        JfrSwitch.on(); // its listener is what follows recordings
        try (Recording none = new Recording()) {
            none.disable("ffpoll.SlowHandler");
            none.disable("ffpoll.LoopStall");
            none.start(); // initializes JFR: the switch listens from then on
            assertEquals(Long.MAX_VALUE, StackSampler.nearThreshold(), "no recording enables the events");
            try (Recording r = new Recording()) {
                r.enable(SlowHandlerEvent.class).withThreshold(Duration.ofMillis(16));
                r.start();
                assertEquals(TimeUnit.MILLISECONDS.toNanos(14), StackSampler.nearThreshold(), "an eighth under 16 ms");
                try (Recording zero = new Recording()) {
                    zero.enable(LoopStallEvent.class).withThreshold(Duration.ZERO);
                    zero.start();
                    assertEquals(0, StackSampler.nearThreshold());
                }
                assertEquals(TimeUnit.MILLISECONDS.toNanos(14), StackSampler.nearThreshold(), "the zero one stopped");
            }
            assertEquals(Long.MAX_VALUE, StackSampler.nearThreshold());
        }
    }

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
