package io.ffpoll.bindings;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

class JdkVersionTest {
    @Test
    void testsRunOnAJdkWithTheFinalFfmApi() {
        int feature = Runtime.version().feature();
        // FFM is final in 22; the generated bindings also use SymbolLookup.findOrThrow from 23.
        assertTrue(feature >= 23, "tests must run on JDK >= 23, but run on " + Runtime.version());
    }
}
