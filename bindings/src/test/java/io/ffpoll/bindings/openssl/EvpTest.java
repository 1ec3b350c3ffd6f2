package io.ffpoll.bindings.openssl;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The AEAD calls against the JDK's own AES-GCM and ChaCha20-Poly1305: the same key, nonce, AAD
 * and plaintext give the same ciphertext and tag; a context re-keyed per message (a NULL
 * cipher) still does; a flipped bit fails the tag check.
 */
class EvpTest {
    @BeforeEach
    void needOpenSsl() {
        assumeTrue(OpenSsl.available(), "SKIPPED: OpenSSL does not load: " + OpenSsl.unavailableReason());
    }

    @Test
    void aes128GcmMatchesTheJdk() throws Exception {
        sealsAsTheJdkDoesAndOpens("AES-128-GCM", 16, "AES/GCM/NoPadding");
    }

    @Test
    void aes256GcmMatchesTheJdk() throws Exception {
        sealsAsTheJdkDoesAndOpens("AES-256-GCM", 32, "AES/GCM/NoPadding");
    }

    @Test
    void chacha20Poly1305MatchesTheJdk() throws Exception {
        sealsAsTheJdkDoesAndOpens("ChaCha20-Poly1305", 32, "ChaCha20-Poly1305");
    }

    private static void sealsAsTheJdkDoesAndOpens(String name, int keyBytes, String jdkName) throws Exception {
        byte[] aad = "header".getBytes(StandardCharsets.US_ASCII);
        byte[] plain = new byte[1000];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = (byte) (i * 7);
        }
        MemorySegment cipher = Evp.EVP_CIPHER_fetch(name);
        assertNotEquals(0, cipher.address(), name);
        MemorySegment enc = Evp.EVP_CIPHER_CTX_new();
        MemorySegment dec = Evp.EVP_CIPHER_CTX_new();
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(1, Evp.EVP_CipherInit_ex2(enc, cipher, MemorySegment.NULL, MemorySegment.NULL, 1));
            assertEquals(1, Evp.EVP_CipherInit_ex2(dec, cipher, MemorySegment.NULL, MemorySegment.NULL, 0));
            for (int message = 0; message < 3; message++) { // re-keyed each time, as TLS records are
                byte[] key = new byte[keyBytes];
                Arrays.fill(key, (byte) (message + 1));
                byte[] nonce = new byte[12];
                nonce[11] = (byte) message;
                MemorySegment k = arena.allocateFrom(ValueLayout.JAVA_BYTE, key);
                MemorySegment n = arena.allocateFrom(ValueLayout.JAVA_BYTE, nonce);
                MemorySegment a = arena.allocateFrom(ValueLayout.JAVA_BYTE, aad);
                MemorySegment p = arena.allocateFrom(ValueLayout.JAVA_BYTE, plain);
                MemorySegment c = arena.allocate(plain.length + 16);
                MemorySegment scratch = arena.allocate(32);

                assertEquals(1, Evp.EVP_CipherInit_ex2(enc, MemorySegment.NULL, k, n, 1));
                assertEquals(aad.length, Evp.EVP_CipherUpdate(enc, MemorySegment.NULL, 0, a, 0, aad.length));
                assertEquals(plain.length, Evp.EVP_CipherUpdate(enc, c, 0, p, 0, plain.length));
                assertEquals(1, Evp.EVP_CipherFinal_ex(enc, scratch));
                assertEquals(1, Evp.EVP_CIPHER_CTX_ctrl(enc, Evp.EVP_CTRL_AEAD_GET_TAG, 16, c.asSlice(plain.length)));

                Cipher jdk = Cipher.getInstance(jdkName);
                jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, name.startsWith("AES") ? "AES" : "ChaCha20"),
                        name.startsWith("AES") ? new GCMParameterSpec(128, nonce) : new IvParameterSpec(nonce));
                jdk.updateAAD(aad);
                assertArrayEquals(jdk.doFinal(plain), c.toArray(ValueLayout.JAVA_BYTE), name + " message " + message);

                MemorySegment back = arena.allocate(plain.length);
                assertEquals(1, Evp.EVP_CipherInit_ex2(dec, MemorySegment.NULL, k, n, 0));
                assertEquals(1, Evp.EVP_CIPHER_CTX_ctrl(dec, Evp.EVP_CTRL_AEAD_SET_TAG, 16, c.asSlice(plain.length)));
                assertEquals(aad.length, Evp.EVP_CipherUpdate(dec, MemorySegment.NULL, 0, a, 0, aad.length));
                assertEquals(plain.length, Evp.EVP_CipherUpdate(dec, back, 0, c, 0, plain.length));
                assertEquals(1, Evp.EVP_CipherFinal_ex(dec, scratch));
                assertArrayEquals(plain, back.toArray(ValueLayout.JAVA_BYTE));

                c.set(ValueLayout.JAVA_BYTE, 10, (byte) (c.get(ValueLayout.JAVA_BYTE, 10) ^ 1));
                assertEquals(1, Evp.EVP_CipherInit_ex2(dec, MemorySegment.NULL, k, n, 0));
                assertEquals(1, Evp.EVP_CIPHER_CTX_ctrl(dec, Evp.EVP_CTRL_AEAD_SET_TAG, 16, c.asSlice(plain.length)));
                Evp.EVP_CipherUpdate(dec, MemorySegment.NULL, 0, a, 0, aad.length);
                Evp.EVP_CipherUpdate(dec, back, 0, c, 0, plain.length);
                assertEquals(0, Evp.EVP_CipherFinal_ex(dec, scratch), "a flipped bit must fail the tag");
                Crypto.ERR_clear_error();
            }
        } finally {
            Evp.EVP_CIPHER_CTX_free(enc);
            Evp.EVP_CIPHER_CTX_free(dec);
            Evp.EVP_CIPHER_free(cipher);
        }
    }
}
