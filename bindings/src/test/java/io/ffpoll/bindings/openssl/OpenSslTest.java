package io.ffpoll.bindings.openssl;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The probe, every facade's symbols, the error queue and memory BIOs, on the machine's OpenSSL 3. */
class OpenSslTest {
    @BeforeEach
    void needOpenSsl() {
        assumeTrue(OpenSsl.available(), "SKIPPED: OpenSSL does not load: " + OpenSsl.unavailableReason());
    }

    @Test
    void probeSaysVersionThreeOrLater() {
        assertEquals(null, OpenSsl.unavailableReason());
        assertTrue(Long.compareUnsigned(OpenSsl.versionNumber(), OpenSsl.MIN_VERSION) >= 0,
                Long.toHexString(OpenSsl.versionNumber()));
    }

    @Test
    void everyFacadeLinksAllItsSymbols() throws Exception {
        for (Class<?> c : new Class<?>[] {Ssl.class, SslInfo.class, SslCtx.class, Bio.class, Crypto.class, SslCallbacks.class}) {
            Class.forName(c.getName(), true, c.getClassLoader()); // a missing symbol throws here
        }
    }

    @Test
    void aFailingCallLeavesItsReasonOnTheQueueAndDrainingEmptiesIt() {
        Crypto.ERR_clear_error();
        assertEquals(MemorySegment.NULL, Crypto.d2i_X509(new byte[] {0x30, 0x03, 1, 2, 3}));
        String reason = Crypto.drainErrors();
        assertTrue(reason.startsWith("error:") && reason.contains("asn1"), reason);
        assertEquals("", Crypto.drainErrors());
        assertEquals(0, Crypto.ERR_get_error());
    }

    @Test
    void memoryBioHandsBackWhatWasWrittenThenWantsRead() {
        MemorySegment bio = Bio.BIO_new(Bio.BIO_s_mem());
        assertNotEquals(0, bio.address());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(100);
            for (int i = 0; i < 100; i++) {
                in.set(ValueLayout.JAVA_BYTE, i, (byte) i);
            }
            assertEquals(60, Bio.BIO_write(bio, in, 40, 60));
            assertEquals(60, Bio.BIO_ctrl_pending(bio));
            MemorySegment out = arena.allocate(100);
            assertEquals(50, Bio.BIO_read(bio, out, 0, 50));
            assertEquals(10, Bio.BIO_read(bio, out, 50, 50));
            assertArrayEquals(in.asSlice(40, 60).toArray(ValueLayout.JAVA_BYTE),
                    out.asSlice(0, 60).toArray(ValueLayout.JAVA_BYTE));
            assertEquals(-1, Bio.BIO_read(bio, out, 0, 50)); // empty: retry, not EOF
            assertThrows(IndexOutOfBoundsException.class, () -> Bio.BIO_read(bio, out, 60, 50));
        } finally {
            assertEquals(1, Bio.BIO_free(bio));
        }
    }
}
