package io.ffpoll.bindings.bsd;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where {@link NativeKevent#libkqueue()} looks for libkqueue, and what it says when it is not there. */
class NativeKeventTest {
    private String saved;

    @BeforeEach
    void saveProperty() {
        saved = System.getProperty(NativeKevent.LIBKQUEUE_PROPERTY);
    }

    @AfterEach
    void restoreProperty() {
        if (saved == null) {
            System.clearProperty(NativeKevent.LIBKQUEUE_PROPERTY);
        } else {
            System.setProperty(NativeKevent.LIBKQUEUE_PROPERTY, saved);
        }
    }

    @Test
    void aPropertyNamingNoFileIsAnErrorNamingTheProperty() {
        System.setProperty(NativeKevent.LIBKQUEUE_PROPERTY, "/nonexistent/libkqueue.so.0");
        IllegalStateException e = assertThrows(IllegalStateException.class, NativeKevent::libkqueue);
        assertEquals("libkqueue not found at -Dffpoll.libkqueue=/nonexistent/libkqueue.so.0", e.getMessage());
    }

    @Test
    void withoutThePropertyTheDynamicLinkersLibkqueueIsUsedWhereItHasOne() {
        System.clearProperty(NativeKevent.LIBKQUEUE_PROPERTY);
        boolean linkerHasIt;
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup.libraryLookup("libkqueue.so.0", arena);
            linkerHasIt = true;
        } catch (IllegalArgumentException e) {
            linkerHasIt = false;
        }
        if (linkerHasIt) {
            NativeKevent k = NativeKevent.libkqueue();
            assertEquals("kqueue (libkqueue libkqueue.so.0)", k.name());
            assertEquals(KeventAbi.LIBKQUEUE, k.abi());
        } else {
            IllegalStateException e = assertThrows(IllegalStateException.class, NativeKevent::libkqueue);
            assertTrue(e.getMessage().contains("-Dffpoll.libkqueue=/path/to/libkqueue.so.0 is unset")
                    && e.getMessage().contains("the dynamic linker finds no libkqueue.so.0"), e.getMessage());
        }
    }
}
